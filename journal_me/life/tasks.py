"""Tasks in the vault's own format (Obsidian Tasks, and Dataview fields), read and completed.

A task is a list item with a checkbox: ``- [ ] call the physio 📅 2026-12-05``. Understood:
``📅`` due, ``⏳`` scheduled, ``🛫`` start, ``➕`` created, ``✅`` done, ``❌`` cancelled,
``🔁 every day`` recurrence, priorities ``🔺⏫🔼🔽⏬``, ``⏰ 09:00`` a reminder time (ours), and
the Dataview spellings ``due:: 2026-12-05`` / ``[due:: …]`` / ``(due:: …)`` (also
``scheduled``, ``start``, ``created``, ``completion``, ``repeat``, ``priority``).

``complete_line`` marks one line done the way Obsidian Tasks does: ``[x]`` and ``✅ <today>``
at the end, and for a recurring task the next occurrence (every date moved by the same step)
as a new line above it. Nothing else in the file changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from journal_me.api import Journal

__all__ = [
    "DoneResult",
    "RecurrenceError",
    "Task",
    "TaskNotFound",
    "collect",
    "complete",
    "complete_line",
    "next_occurrence",
    "parse_line",
    "parse_tasks",
    "task_id",
]

_TASK_RE = re.compile(
    r"^(?P<lead>[ \t>]*(?:[-*+]|\d+[.)])[ \t]+\[)(?P<status>[^\]\n])(?P<close>\][ \t]+)(?P<body>.*)$"
)
_FENCE_RE = re.compile(r"^[ \t>]*(```|~~~)")
_VS = "\ufe0f?"  # emoji variation selector, present or not
_DATE = r"(\d{4}-\d{2}-\d{2})"

# emoji signifier -> field
_EMOJI_DATES = {
    "📅": "due",
    "🗓": "due",
    "⏳": "scheduled",
    "🛫": "start",
    "➕": "created",
    "✅": "done",
    "❌": "cancelled",
}
_PRIORITIES = {"🔺": "highest", "⏫": "high", "🔼": "medium", "🔽": "low", "⏬": "lowest"}
_DV_FIELDS = {
    "due": "due",
    "scheduled": "scheduled",
    "start": "start",
    "created": "created",
    "completion": "done",
    "cancelled": "cancelled",
}
_SIGNIFIERS = "".join(list(_EMOJI_DATES) + list(_PRIORITIES) + ["🔁", "⏰"])
_EMOJI_DATE_RE = re.compile(rf"([{''.join(_EMOJI_DATES)}]){_VS}[ \t]*{_DATE}")
_PRIORITY_RE = re.compile(rf"([{''.join(_PRIORITIES)}]){_VS}")
_RECUR_RE = re.compile(rf"🔁{_VS}[ \t]*([^{_SIGNIFIERS}\[\(#\n]*[^{_SIGNIFIERS}\[\(#\s])")
_TIME_RE = re.compile(rf"⏰{_VS}[ \t]*(\d{{1,2}}):(\d{{2}})")
# [due:: 2026-12-05], (due:: …) or a bare due:: 2026-12-05
_DV_RE = re.compile(
    r"(?P<open>[\[\(])?(?P<key>due|scheduled|start|created|completion|cancelled|repeat|priority|remind)"
    r"::[ \t]*(?P<value>[^\]\)\n]*?)[ \t]*(?(open)[\]\)]|(?=$|[ \t]+\w+::|[ \t]+[\[\(]\w+::))",
    re.I,
)


class RecurrenceError(ValueError):
    """A recurrence rule this module cannot follow (the message says which)."""


@dataclass(frozen=True)
class Task:
    rel: str
    line: int  # 1-based line number at the time of reading
    raw: str  # the line as written (without its line break)
    description: str  # the text without checkbox, dates and signifiers
    status: str  # the checkbox character: " ", "x", "/", "-"…
    id: str
    due: dt.date | None = None
    scheduled: dt.date | None = None
    start: dt.date | None = None
    created: dt.date | None = None
    done_date: dt.date | None = None
    cancelled: dt.date | None = None
    recurrence: str | None = None
    priority: str | None = None
    remind_at: dt.time | None = None
    private: bool = False
    dataview: bool = False  # written with Dataview fields (completion is added the same way)
    tags: tuple[str, ...] = field(default=())

    @property
    def done(self) -> bool:
        return self.status.lower() == "x" or self.status == "-"

    @property
    def open(self) -> bool:
        return not self.done

    @property
    def when(self) -> dt.date | None:
        """The day the task is for: due, else scheduled, else start."""
        return self.due or self.scheduled or self.start

    def to_json(self) -> dict[str, object]:
        def d(x: dt.date | None) -> str | None:
            return x.isoformat() if x else None

        return {
            "id": self.id,
            "rel": self.rel,
            "line": self.line,
            "description": self.description,
            "status": self.status,
            "done": self.done,
            "due": d(self.due),
            "scheduled": d(self.scheduled),
            "start": d(self.start),
            "created": d(self.created),
            "done_date": d(self.done_date),
            "recurrence": self.recurrence,
            "priority": self.priority,
            "remind_at": self.remind_at.strftime("%H:%M") if self.remind_at else None,
            "private": self.private,
            "tags": list(self.tags),
        }


def task_id(rel: str, raw: str, occurrence: int = 0) -> str:
    """A short stable ID: the entry and the line's text (not its number), so it survives lines
    moving; ``occurrence`` tells identical lines in one file apart."""
    key = f"{rel}\n{raw.strip()}\n{occurrence}".encode()
    return hashlib.sha1(key, usedforsecurity=False).hexdigest()[:8]


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def parse_line(
    rel: str, raw: str, line: int = 1, *, occurrence: int = 0, private: bool = False
) -> Task | None:
    """The task on one line, or None when the line is no task."""
    m = _TASK_RE.match(raw.rstrip("\r\n"))
    if m is None:
        return None
    body = m.group("body")
    values: dict[str, object] = {}
    dataview = False
    for em in _EMOJI_DATE_RE.finditer(body):
        values.setdefault(_EMOJI_DATES[em.group(1)], _date(em.group(2)))
    pm = _PRIORITY_RE.search(body)
    if pm:
        values["priority"] = _PRIORITIES[pm.group(1)]
    rm = _RECUR_RE.search(body)
    if rm:
        values["recurrence"] = rm.group(1).strip()
    tm = _TIME_RE.search(body)
    remind_at = _time(tm.group(1), tm.group(2)) if tm else None
    for dm in _DV_RE.finditer(body):
        key, value = dm.group("key").lower(), dm.group("value").strip()
        dataview = True
        if key in _DV_FIELDS:
            values.setdefault(_DV_FIELDS[key], _date(value))
        elif key == "repeat" and value:
            values.setdefault("recurrence", value)
        elif key == "priority" and value:
            values.setdefault("priority", value.lower())
        elif key == "remind" and remind_at is None:
            hm = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
            remind_at = _time(hm.group(1), hm.group(2)) if hm else None
    description = _RECUR_RE.sub(" ", body)
    description = _EMOJI_DATE_RE.sub(" ", description)
    description = _TIME_RE.sub(" ", description)
    description = _PRIORITY_RE.sub(" ", description)
    description = _DV_RE.sub(" ", description)
    description = re.sub(r"\s+", " ", description).strip()
    tags = tuple(dict.fromkeys(t.lower() for t in re.findall(r"(?<![\w#])#([\w/\-]+)", body)))

    def date_of(name: str) -> dt.date | None:
        v = values.get(name)
        return v if isinstance(v, dt.date) else None

    recurrence = values.get("recurrence")
    priority = values.get("priority")
    return Task(
        rel=rel,
        line=line,
        raw=raw.rstrip("\r\n"),
        description=description,
        status=m.group("status"),
        id=task_id(rel, raw, occurrence),
        due=date_of("due"),
        scheduled=date_of("scheduled"),
        start=date_of("start"),
        created=date_of("created"),
        done_date=date_of("done"),
        cancelled=date_of("cancelled"),
        recurrence=recurrence if isinstance(recurrence, str) else None,
        priority=priority if isinstance(priority, str) else None,
        remind_at=remind_at,
        private=private,
        dataview=dataview,
        tags=tags,
    )


def _time(h: str, m: str) -> dt.time | None:
    try:
        return dt.time(int(h), int(m))
    except ValueError:
        return None


def _task_lines(text: str) -> Iterator[tuple[int, str, int]]:
    """(line number, line, occurrence among identical lines) of each checkbox line outside
    fenced code blocks."""
    fenced = False
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if _FENCE_RE.match(raw):
            fenced = not fenced
            continue
        if fenced or "[" not in raw or _TASK_RE.match(raw) is None:
            continue
        key = raw.strip()
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        yield number, raw, occurrence


def parse_tasks(rel: str, text: str, *, private: bool = False) -> list[Task]:
    """Every task in one entry's text, in file order."""
    out: list[Task] = []
    for number, raw, occurrence in _task_lines(text):
        task = parse_line(rel, raw, number, occurrence=occurrence, private=private)
        if task is not None:
            out.append(task)
    return out


# -- recurrence ------------------------------------------------------------------------------
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_UNITS = {"day": "days", "days": "days", "week": "weeks", "weeks": "weeks", "month": "months",
          "months": "months", "year": "years", "years": "years"}  # fmt: skip


def next_occurrence(rule: str, reference: dt.date) -> dt.date:
    """The next date after ``reference`` for an Obsidian Tasks recurrence phrase: ``every day``,
    ``every 3 days``, ``every weekday``, ``every week``, ``every 2 weeks``, ``every week on
    Monday, Thursday``, ``every month``, ``every month on the 15th`` / ``on the last``, ``every
    year`` (a trailing ``when done`` is the caller's business). Raises RecurrenceError."""
    from dateutil.relativedelta import relativedelta
    from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule

    text = re.sub(r"\s+when done\s*$", "", rule.strip().lower())
    m = re.fullmatch(
        r"every\s+(?:(\d+)\s+)?(day|days|week|weeks|month|months|year|years)(?:\s+on\s+(.+))?", text
    )
    if text == "every weekday":
        return _as_date(
            rrule(DAILY, byweekday=range(5), dtstart=reference + dt.timedelta(days=1), count=1)[0]
        )
    if m is None:
        bare = re.fullmatch(r"every\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday)", text)
        if bare:
            m = re.fullmatch(
                r"every\s+(?:(\d+)\s+)?(week)(?:\s+on\s+(.+))?", f"every week on {bare.group(1)}"
            )
    if m is None:
        raise RecurrenceError(f"recurrence {rule!r} is not one this version follows")
    n = int(m.group(1) or 1)
    if n < 1:
        raise RecurrenceError(f"recurrence {rule!r}: the interval must be at least 1")
    unit, on = _UNITS[m.group(2)], (m.group(3) or "").strip()
    start = dt.datetime.combine(reference + dt.timedelta(days=1), dt.time())
    if not on:
        return _as_date(reference + relativedelta(**{unit: n}))
    if unit == "weeks":
        days = [w.strip() for w in re.split(r",|\band\b", on) if w.strip()]
        try:
            byweekday = [
                _WEEKDAYS.index(d.rstrip("s")) if d.rstrip("s") in _WEEKDAYS else _WEEKDAYS.index(d)
                for d in days
            ]
        except ValueError as exc:
            raise RecurrenceError(f"recurrence {rule!r}: unknown weekday") from exc
        # the next matching weekday in this week, else in the week n weeks on
        ref = dt.datetime.combine(reference, dt.time())
        r = rrule(
            WEEKLY, interval=n, byweekday=byweekday, dtstart=ref - dt.timedelta(days=reference.weekday())
        )
        after = r.after(ref)
        if after is None:
            raise RecurrenceError(f"recurrence {rule!r} has no next date")
        return _as_date(after)
    if unit == "months":
        dm = re.fullmatch(r"the\s+(\d{1,2})(?:st|nd|rd|th)?|the\s+last(?:\s+day)?", on)
        if dm is None:
            raise RecurrenceError(f"recurrence {rule!r} is not one this version follows")
        day = -1 if dm.group(1) is None else int(dm.group(1))
        if not (day == -1 or 1 <= day <= 31):
            raise RecurrenceError(f"recurrence {rule!r}: no such day of the month")
        r = rrule(MONTHLY, interval=n, bymonthday=day, dtstart=start)
        return _as_date(r[0])
    raise RecurrenceError(f"recurrence {rule!r} is not one this version follows")


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise RecurrenceError("the recurrence has no next date")


# -- completing ------------------------------------------------------------------------------
_ANY_DATE_FIELD_RE = re.compile(
    rf"(?P<emoji>[📅🗓⏳🛫]{_VS}[ \t]*){_DATE}|(?P<dv>[\[\(]?(?:due|scheduled|start)::[ \t]*){_DATE}", re.I
)


def complete_line(raw: str, today: dt.date, *, rel: str = "", occurrence: int = 0) -> tuple[str, str | None]:
    """The line marked done (``[x]`` and ``✅ today``, or ``[completion:: today]`` for a
    Dataview-style task) and, for a recurring task, the next occurrence's line (unchecked, every
    date moved by the same step; None otherwise). Raises ValueError for a line that is no open
    task, RecurrenceError for a rule it cannot follow (nothing is then changed)."""
    task = parse_line(rel, raw, occurrence=occurrence)
    if task is None:
        raise ValueError("not a task line")
    if task.done:
        raise ValueError("the task is already done")
    m = _TASK_RE.match(raw)
    assert m is not None
    nxt: str | None = None
    if task.recurrence:
        when_done = task.recurrence.strip().lower().endswith("when done")
        reference = task.when or today
        delta = next_occurrence(task.recurrence, today if when_done else reference) - reference

        def shift(mm: re.Match[str]) -> str:
            prefix = mm.group("emoji") if mm.group("emoji") is not None else mm.group("dv")
            old = _date(mm.group(2) if mm.group("emoji") is not None else mm.group(4))
            return mm.group(0) if old is None else f"{prefix}{(old + delta).isoformat()}"

        body = _ANY_DATE_FIELD_RE.sub(shift, m.group("body"))
        nxt = f"{m.group('lead')} {m.group('close')}{body}"
    stamp = (
        f"[completion:: {today.isoformat()}]"
        if task.dataview and "✅" not in raw
        else f"✅ {today.isoformat()}"
    )
    done = f"{m.group('lead')}x{m.group('close')}{m.group('body').rstrip()} {stamp}"
    return done, nxt


# -- the journal's tasks ---------------------------------------------------------------------
class TaskNotFound(LookupError):
    """No (open) task has that ID; the message says so in one line."""


@dataclass(frozen=True)
class DoneResult:
    task: Task
    rel: str
    next_line: str | None  # the new occurrence written above, for a recurring task
    conflict_rel: str | None  # the file changed meanwhile: this version went there


def collect(journal: Journal) -> list[Task]:
    """Every task in the journal's entries (private ones included: they are the owner's and
    shown to the owner only; conflict copies left out), in date then file order."""
    out: list[Task] = []
    for summary in journal.entries():
        if summary.conflict_of is not None:
            continue
        try:
            text, _digest = journal.read_text(summary.rel)
        except (OSError, ValueError):
            continue
        if "[" in text:
            out.extend(parse_tasks(summary.rel, text, private=summary.private))
    return out


def complete(journal: Journal, tid: str, today: dt.date) -> DoneResult:
    """Mark the open task ``tid`` done in its entry through the vault's safe save (a file
    changed on disk meanwhile keeps both versions); a recurring task gains its next
    occurrence on a new line above. Raises TaskNotFound, RecurrenceError."""
    tid = tid.strip().lower()
    matches = [t for t in collect(journal) if t.id.startswith(tid)] if len(tid) >= 4 else []
    if not matches:
        raise TaskNotFound(f"no task with ID {tid!r} (`journal-me tasks` lists them)")
    if len(matches) > 1:
        raise TaskNotFound(f"ID {tid!r} fits {len(matches)} tasks: give more of it")
    task = matches[0]
    if task.done:
        raise TaskNotFound(f"task {task.id} is already done ({task.rel}:{task.line})")
    text, digest = journal.read_text(task.rel)
    lines = text.splitlines(keepends=True)
    found = [x for x in _task_lines(text) if task_id(task.rel, x[1], x[2]) == task.id]
    if not found:  # pragma: no cover - collect just found it
        raise TaskNotFound(f"task {task.id} moved away while being marked done")
    number, raw, occurrence = found[0]
    old = lines[number - 1]
    ending = old[len(old.rstrip("\r\n")) :]
    done, nxt = complete_line(raw, today, rel=task.rel, occurrence=occurrence)
    new_lines = ([nxt + (ending or "\n")] if nxt is not None else []) + [done + ending]
    lines[number - 1 : number] = new_lines
    result = journal.save_entry(task.rel, "".join(lines), digest)
    if result.needs_confirmation:  # marking a task done never changes privacy or front matter
        raise TaskNotFound(f"not written: {result.needs_confirmation}")
    return DoneResult(task=task, rel=task.rel, next_line=nxt, conflict_rel=result.conflict_rel)
