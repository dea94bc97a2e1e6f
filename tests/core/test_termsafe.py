"""``journal_me.termsafe.clean``: nothing a file says can drive the terminal."""

from __future__ import annotations

import time

import pytest

from journal_me.termsafe import clean, clean_line


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain text, ünïcode ✓", "plain text, ünïcode ✓"),
        ("keeps\nnewlines\tand tabs", "keeps\nnewlines\tand tabs"),
        ("osc52 \x1b]52;c;aGVsbG8=\x07done", "osc52 done"),
        ("osc52 st \x1b]52;c;aGVsbG8=\x1b\\done", "osc52 st done"),
        ("link \x1b]8;;http://evil\x1b\\text\x1b]8;;\x1b\\", "link text"),
        ("title \x1b]0;pwned\x07", "title "),
        ("csi \x1b[31mred\x1b[0m \x1b[2J\x1b[1;1H", "csi red "),
        ("private csi \x1b[?1049h", "private csi "),
        ("dcs \x1bPtmux;\x1b\x1b]52;c;eA==\x07\x1b\\after", "dcs after"),
        ("apc \x1b_Gpayload\x1b\\x", "apc x"),
        ("pm sos \x1b^pm\x1b\\\x1bXsos\x1b\\", "pm sos "),
        ("8-bit csi \x9b31mred", "8-bit csi red"),
        ("8-bit osc \x9d52;c;eA==\x9c!", "8-bit osc !"),
        ("8-bit dcs \x90stuff\x9c!", "8-bit dcs !"),
        ("short esc \x1b7\x1bc\x1b(B!", "short esc !"),
        ("bell\x07 bs\x08 nul\x00 del\x7f vt\x0b ff\x0c", "bell bs nul del vt ff"),
        ("c1 \x85\x8d\x9a", "c1 "),
        ("crlf\r\nline", "crlf\nline"),
        ("over\rwrite", "overwrite"),
        ("lone esc at end\x1b", "lone esc at end"),
        # Unterminated: the introducer goes, the rest shows as inert text.
        ("open osc \x1b]52;c;eA==", "open osc 52;c;eA=="),
        ("open osc then csi \x1b]0;t\x1b[31mx", "open osc then csi 0;tx"),
        ("open dcs \x1bPq#0;2;0;0;0", "open dcs "),
    ],
)
def test_clean(raw: str, expected: str) -> None:
    assert clean(raw) == expected


def test_nothing_dangerous_survives_any_byte_soup() -> None:
    soup = "".join(chr(c) for c in range(0, 0xA0)) * 3 + "\x1b]52;c;"
    out = clean(soup)
    assert not any(ord(ch) < 0x20 and ch not in "\n\t" for ch in out)
    assert not any(0x7F <= ord(ch) <= 0x9F for ch in out)


def test_hostile_input_takes_linear_time() -> None:
    start = time.perf_counter()
    for soup in ("\x1bPabc" * 20_000, "\x1b]abc" * 20_000, "\x1b[" * 50_000, "x\n" * 500_000):
        clean(soup)
    assert time.perf_counter() - start < 2.0


def test_clean_line_is_one_line() -> None:
    assert clean_line("a\nb\tc\x1b[2Kd") == "a b cd"
