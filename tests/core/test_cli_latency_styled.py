"""The search results' styled lines without Rich (commands/styled.py): styles only on a
terminal, as Rich decides it; NO_COLOR keeps bold and dim; a dumb terminal gets none; wrapped
at spaces to the width on a terminal, one line on a pipe."""

from __future__ import annotations

import io

import pytest

from journal_me.commands.styled import Lines, cells, is_terminal

ROW = [("2026-05-03", "bold cyan"), ("  ", None), ("Running again", "bold"), ("  a.md:12", "dim")]


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TTY_COMPATIBLE", "FORCE_COLOR", "NO_COLOR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def test_a_pipe_gets_plain_unwrapped_lines() -> None:
    out = io.StringIO()
    lines = Lines(out)
    lines.write(ROW)
    lines.write([("word " * 100, None)])
    lines.write()
    first, second, third, end = out.getvalue().split("\n")
    assert first == "2026-05-03  Running again  a.md:12"
    assert second == "word " * 100 and third == "" and end == ""


def test_a_terminal_gets_rich_s_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    out = Tty()
    Lines(out).write(ROW)
    assert out.getvalue() == (
        "\x1b[1;36m2026-05-03\x1b[0m  \x1b[1mRunning again\x1b[0m\x1b[2m  a.md:12\x1b[0m\n"
    )


def test_no_color_keeps_bold_and_a_dumb_terminal_gets_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")
    out = Tty()
    Lines(out).write(ROW)
    assert out.getvalue().startswith("\x1b[1m2026-05-03\x1b[0m")
    monkeypatch.setenv("TERM", "dumb")
    out = Tty()
    Lines(out).write(ROW)
    assert "\x1b" not in out.getvalue()


@pytest.mark.parametrize(
    ("env", "tty", "expected"),
    [
        ({}, False, False),
        ({}, True, True),
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": ""}, True, False),
        ({"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"}, True, False),
        ({"TTY_COMPATIBLE": "1"}, False, True),
    ],
)
def test_is_terminal_as_rich_decides(
    env: dict[str, str], tty: bool, expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    stream = Tty() if tty else io.StringIO()
    assert is_terminal(stream) is expected
    assert Console(file=stream).is_terminal is expected


def test_wrapped_at_spaces_to_the_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "20")
    out = Tty()
    text = "The knee: completely silent. Not a twinge. Supercalifragilisticexpialidocious!"
    Lines(out).write([(text[:10], None), (text[10:26], "bold yellow"), (text[26:], None)])
    rows = out.getvalue().rstrip("\n").split("\n")
    plain = [r.replace("\x1b[1;33m", "").replace("\x1b[0m", "") for r in rows]
    assert all(cells(r) <= 20 for r in plain)
    assert " ".join(plain).replace("  ", " ").startswith("The knee: completely silent. Not a twinge.")
    assert "".join(plain).replace(" ", "") == text.replace(" ", "")
    # each row opens and closes its own style: a wrapped highlight does not bleed
    assert all(r.count("\x1b[1;33m") == r.count("\x1b[0m") for r in rows)


def test_wide_characters_take_two_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cells("日記を書く") == 10 and cells("café") == 4 and cells("cafe\u0301") == 4
    monkeypatch.setenv("COLUMNS", "6")
    out = Tty()
    Lines(out).write([("日記 日記 日記", None)])
    assert out.getvalue() == "日記\n日記\n日記\n"


TABLE_HEAD = ("entity", "type", "entries", "aliases")
TABLE_ROWS = [
    ("Samantha Ortiz", "person", "42", "Sam, Sammy, the one who runs"),
    ("日記クラブ", "topic", "3", ""),
]


def test_a_table_on_a_pipe_is_tab_separated() -> None:
    """Entities (`journal-me entities | cut -f1`): every cell whole, a header first."""
    out = io.StringIO()
    Lines(out).table(TABLE_HEAD, TABLE_ROWS, shrink=(3, 0))
    assert out.getvalue().split("\n") == [
        "entity\ttype\tentries\taliases",
        "Samantha Ortiz\tperson\t42\tSam, Sammy, the one who runs",
        "日記クラブ\ttopic\t3\t",
        "",
    ]


def test_a_table_on_a_terminal_fits_the_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    out = Tty()
    Lines(out).table(TABLE_HEAD, TABLE_ROWS, shrink=(3, 0))
    head, sam, club, end = out.getvalue().split("\n")
    assert head == "\x1b[1mentity          type    entries  aliases\x1b[0m" and end == ""
    assert sam == "Samantha Ortiz  person  42       Sam, Sammy, the one who runs"
    assert club == "日記クラブ      topic   3"  # ten columns wide, padded to the name column's 14
    monkeypatch.setenv("COLUMNS", "40")
    out = Tty()
    Lines(out).table(TABLE_HEAD, TABLE_ROWS, shrink=(3, 0))
    rows = out.getvalue().replace("\x1b[1m", "").replace("\x1b[0m", "").rstrip("\n").split("\n")
    assert all(cells(r) <= 40 for r in rows)
    assert rows[1] == "Samantha Ort…  person  42       Sam, Sa…"  # aliases down to 8, then one name
    monkeypatch.setenv("COLUMNS", "35")  # the aliases at their least (8), then the names cut
    out = Tty()
    Lines(out).table(TABLE_HEAD, TABLE_ROWS, shrink=(3, 0))
    rows = out.getvalue().replace("\x1b[1m", "").replace("\x1b[0m", "").rstrip("\n").split("\n")
    assert all(cells(r) <= 35 for r in rows)
    assert rows[1].startswith("Samanth…  person") and rows[2].startswith("日記ク…   topic")
