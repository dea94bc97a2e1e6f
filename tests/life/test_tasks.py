"""Tasks in the vault's own format: parsing (hypothesis), recurrence, completing one line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from journal_me.api import Journal
from journal_me.life.tasks import (
    RecurrenceError,
    TaskNotFound,
    collect,
    complete,
    complete_line,
    next_occurrence,
    parse_line,
    parse_tasks,
)

D = dt.date


def test_obsidian_tasks_emoji_fields() -> None:
    t = parse_line("a.md", "- [ ] call the physio 📅 2026-12-05 ⏳ 2026-12-04 🛫 2026-12-01 ⏫ #health")
    assert t is not None
    assert (t.description, t.due, t.scheduled, t.start) == (
        "call the physio #health",
        D(2026, 12, 5),
        D(2026, 12, 4),
        D(2026, 12, 1),
    )
    assert t.priority == "high" and t.tags == ("health",) and t.open
    done = parse_line("a.md", "  * [x] vitamin D 🔁 every day ⏰ 08:30 📅 2026-12-03 ✅ 2026-12-03")
    assert done is not None and done.done and done.done_date == D(2026, 12, 3)
    assert done.recurrence == "every day" and done.remind_at == dt.time(8, 30)
    assert parse_line("a.md", "- [ ] 🔽 low one")
    assert parse_line("a.md", "- plain list item") is None
    assert parse_line("a.md", "[ ] not a list item") is None


def test_dataview_fields() -> None:
    t = parse_line("a.md", "- [ ] pay rent [due:: 2026-12-01] [repeat:: every month] (priority:: high)")
    assert t is not None and t.dataview
    assert (t.description, t.due, t.recurrence, t.priority) == (
        "pay rent",
        D(2026, 12, 1),
        "every month",
        "high",
    )
    bare = parse_line("a.md", "- [ ] put the bins out due:: 2026-12-04")
    assert bare is not None and bare.due == D(2026, 12, 4) and bare.description == "put the bins out"


def test_code_blocks_are_skipped_and_ids_are_stable_when_lines_move() -> None:
    text = "# day\n```\n- [ ] not a task 📅 2026-01-01\n```\n- [ ] a\n- [ ] a\n"
    tasks = parse_tasks("x.md", text)
    assert [t.line for t in tasks] == [5, 6]
    assert tasks[0].id != tasks[1].id  # identical lines told apart
    moved = parse_tasks("x.md", "intro\n\nmore intro\n" + text)
    assert [t.id for t in moved] == [t.id for t in tasks]
    assert parse_tasks("y.md", text)[0].id != tasks[0].id  # the entry is part of the ID


_date = st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 31))
_words = st.text(alphabet=st.sampled_from("abcdefgh xyz"), min_size=1, max_size=30).filter(
    lambda s: s.strip()
)


@given(
    words=_words,
    due=st.none() | _date,
    scheduled=st.none() | _date,
    start=st.none() | _date,
    status=st.sampled_from([" ", "x", "X", "/", "-"]),
    bullet=st.sampled_from(["-", "*", "+", "1.", "  -"]),
    prio=st.sampled_from(["", "⏫", "🔼", "🔽", "🔺"]),
    dataview=st.booleans(),
)
def test_parse_round_trips_every_field(
    words: str,
    due: dt.date | None,
    scheduled: dt.date | None,
    start: dt.date | None,
    status: str,
    bullet: str,
    prio: str,
    dataview: bool,
) -> None:
    parts = [words]
    for value, emoji, key in ((due, "📅", "due"), (scheduled, "⏳", "scheduled"), (start, "🛫", "start")):
        if value is not None:
            parts.append(f"[{key}:: {value.isoformat()}]" if dataview else f"{emoji} {value.isoformat()}")
    if prio:
        parts.append(prio)
    line = f"{bullet} [{status}] " + " ".join(parts)
    t = parse_line("n.md", line)
    assert t is not None
    assert (t.due, t.scheduled, t.start) == (due, scheduled, start)
    assert t.description == " ".join(words.split())
    assert t.done == (status in "xX-")
    assert t.priority == ({"⏫": "high", "🔼": "medium", "🔽": "low", "🔺": "highest"}.get(prio))


@given(text=st.text(max_size=200))
def test_parser_never_raises(text: str) -> None:
    for t in parse_tasks("z.md", text):
        assert t.raw in text


@given(ref=_date, n=st.integers(1, 30), unit=st.sampled_from(["day", "week", "month", "year"]))
def test_recurrence_moves_forward(ref: dt.date, n: int, unit: str) -> None:
    rule = f"every {n} {unit}s" if n > 1 else f"every {unit}"
    nxt = next_occurrence(rule, ref)
    assert nxt > ref
    if unit == "day":
        assert nxt - ref == dt.timedelta(days=n)
    if unit == "week":
        assert nxt - ref == dt.timedelta(weeks=n)


def test_recurrence_phrases() -> None:
    thu = D(2026, 12, 3)
    assert next_occurrence("every week on Monday", thu) == D(2026, 12, 7)
    assert next_occurrence("every week on Monday, Thursday", D(2026, 12, 7)) == D(2026, 12, 10)
    assert next_occurrence("every weekday", D(2026, 12, 4)) == D(2026, 12, 7)
    assert next_occurrence("every month", D(2026, 1, 31)) == D(2026, 2, 28)
    assert next_occurrence("every month on the 15th", thu) == D(2026, 12, 15)
    assert next_occurrence("every month on the last", thu) == D(2026, 12, 31)
    assert next_occurrence("every year", thu) == D(2027, 12, 3)
    with pytest.raises(RecurrenceError):
        next_occurrence("whenever I feel like it", thu)


def test_complete_line_recurring_and_when_done() -> None:
    today = D(2026, 12, 4)
    done, nxt = complete_line("- [ ] vitamin D 🔁 every day 📅 2026-12-03", today)
    assert done == "- [x] vitamin D 🔁 every day 📅 2026-12-03 ✅ 2026-12-04"
    assert nxt == "- [ ] vitamin D 🔁 every day 📅 2026-12-04"
    done, nxt = complete_line("- [ ] water 🔁 every 3 days when done 📅 2026-11-20 ⏳ 2026-11-19", today)
    assert nxt == "- [ ] water 🔁 every 3 days when done 📅 2026-12-07 ⏳ 2026-12-06"
    done, nxt = complete_line("- [ ] rent [due:: 2026-12-01] [repeat:: every month]", today)
    assert (
        done.endswith("[completion:: 2026-12-04]")
        and nxt == "- [ ] rent [due:: 2027-01-01] [repeat:: every month]"
    )
    done, nxt = complete_line("- [ ] one-off 📅 2026-12-05", today)
    assert nxt is None
    with pytest.raises(ValueError):
        complete_line("- [x] already ✅ 2026-12-01", today)


ENTRY = (
    "---\ntitle: Monday\n---\r\n"
    "Slept badly.\r\n"
    "- [ ] call the physio 📅 2026-12-05\r\n"
    "- [ ] vitamin D 🔁 every day 📅 2026-12-03\r\n"
    "Tail text stays.\r\n"
)


def test_complete_touches_only_that_line(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    path = write(vault, "journal/2026/2026-12-03.md", ENTRY)
    journal = open_journal(vault)
    tasks = {t.description: t for t in collect(journal)}
    before = path.read_bytes()
    result = complete(journal, tasks["vitamin D"].id, D(2026, 12, 4))
    assert result.conflict_rel is None
    after = path.read_bytes()
    old_lines, new_lines = before.split(b"\n"), after.split(b"\n")
    assert len(new_lines) == len(old_lines) + 1
    assert new_lines[:5] == old_lines[:5] and new_lines[7:] == old_lines[6:]
    assert new_lines[5] == "- [ ] vitamin D 🔁 every day 📅 2026-12-04\r".encode()
    assert new_lines[6] == "- [x] vitamin D 🔁 every day 📅 2026-12-03 ✅ 2026-12-04\r".encode()
    # the physio task still has its ID although its line did not move, and done twice is refused
    assert tasks["call the physio"].id in {t.id for t in collect(journal)}
    with pytest.raises(TaskNotFound):
        complete(journal, tasks["vitamin D"].id, D(2026, 12, 4))


def test_complete_keeps_both_versions_on_a_conflict(
    vault: Path,
    write: Callable[..., Path],
    open_journal: Callable[..., Journal],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write(vault, "journal/2026/2026-12-03.md", ENTRY)
    journal = open_journal(vault)
    tid = next(t.id for t in collect(journal) if t.description == "call the physio")
    real_read = journal.read_text

    def read_then_someone_edits(rel: str) -> tuple[str, str]:
        text, digest = real_read(rel)
        if rel.endswith("2026-12-03.md") and "[x]" not in path.read_text(encoding="utf-8"):
            path.write_bytes(path.read_bytes() + b"edited elsewhere\r\n")
        return text, digest

    tasks = collect(journal)
    monkeypatch.setattr(journal, "read_text", read_then_someone_edits)
    monkeypatch.setattr("journal_me.life.tasks.collect", lambda _j: tasks)
    result = complete(journal, tid, D(2026, 12, 4))
    assert result.conflict_rel is not None
    assert b"edited elsewhere" in path.read_bytes() and b"[x]" not in path.read_bytes()
    assert "✅ 2026-12-04" in (vault / result.conflict_rel).read_text(encoding="utf-8")
