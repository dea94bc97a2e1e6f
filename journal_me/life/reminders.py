"""Reminders: which open tasks are due now, and delivering them (desktop notification or print).

A task is due now when its day (due, else scheduled) is today or past; a task with a time
(``⏰ 09:00``) is due on its day once the clock passes that time (every day when it has no
date, e.g. a daily medication). ``remind`` remembers what it already delivered today in the
vault's data dir, so an hourly timer does not repeat itself.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from journal_me.fsutil import JsonFileError, read_json
from journal_me.life.tasks import Task

log = logging.getLogger(__name__)

__all__ = ["deliver", "due_now", "filter_tasks", "not_yet_reminded", "notifier", "remember"]


def _day_of(task: Task) -> dt.date | None:
    return task.due or task.scheduled


def due_now(tasks: Iterable[Task], now: dt.datetime) -> list[Task]:
    """Open tasks due at ``now``, overdue first (oldest day first), then by time."""
    today = now.date()
    out: list[Task] = []
    for t in tasks:
        if not t.open or (t.start is not None and t.start > today):
            continue
        day = _day_of(t)
        if t.remind_at is not None:
            day = day or today
            if day < today or (day == today and now.time() >= t.remind_at):
                out.append(t)
        elif day is not None and day <= today:
            out.append(t)
    return sorted(out, key=lambda t: (_day_of(t) or today, t.remind_at or dt.time(), t.rel, t.line))


def filter_tasks(
    tasks: Iterable[Task], due: str | None, today: dt.date, *, include_done: bool = False
) -> list[Task]:
    """``due``: None (all), ``today`` (due or scheduled today), ``overdue`` (day before today),
    ``week`` (overdue and the next seven days)."""
    out: list[Task] = []
    for t in tasks:
        if t.done and not include_done:
            continue
        day = _day_of(t)
        if due == "today" and not (t.due == today or t.scheduled == today):
            continue
        if due == "overdue" and not (day is not None and day < today):
            continue
        if due == "week" and not (day is not None and day <= today + dt.timedelta(days=7)):
            continue
        out.append(t)
    return sorted(out, key=lambda t: (t.done, _day_of(t) or dt.date.max, t.rel, t.line))


# -- what was delivered today ------------------------------------------------------------------
def _delivered(state_file: Path) -> dict[str, Any]:
    """What was delivered (by day); a mangled file is logged and read as nothing delivered."""
    try:
        return read_json(state_file) or {}
    except JsonFileError as exc:
        log.warning("reminder state unreadable, read as empty: %s", exc)
        return {}


def not_yet_reminded(tasks: Sequence[Task], state_file: Path, today: dt.date) -> list[Task]:
    seen = _delivered(state_file)
    done_today = set(seen.get(today.isoformat(), []))
    return [t for t in tasks if t.id not in done_today]


def remember(tasks: Sequence[Task], state_file: Path, today: dt.date) -> None:
    """Record ``tasks`` as delivered today (only today's list is kept)."""
    from journal_me.models.files import write_json_atomic

    ids = list(_delivered(state_file).get(today.isoformat(), []))
    ids += [t.id for t in tasks if t.id not in ids]
    state_file.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(state_file, {today.isoformat(): ids})


# -- delivery ----------------------------------------------------------------------------------
Sender = Callable[[str, str], bool]


def _run(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=10, check=False).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def notifier(
    platform: str = sys.platform, which: Callable[[str], str | None] = shutil.which
) -> Sender | None:
    """A desktop notifier (title, body) -> delivered: notify-send, or osascript on macOS; None
    where neither is present."""
    if platform == "darwin" and which("osascript"):

        def mac(title: str, body: str) -> bool:
            script = f"display notification {json.dumps(body)} with title {json.dumps(title)}"
            return _run(["osascript", "-e", script])

        return mac
    path = which("notify-send")
    if path:

        def linux(title: str, body: str) -> bool:
            return _run([path, "--app-name=journal-me", title, body])

        return linux
    return None


def describe(task: Task, today: dt.date) -> str:
    day = _day_of(task)
    when = ""
    if day is not None and day < today:
        when = f"overdue since {day.isoformat()}"
    elif task.remind_at is not None:
        when = f"at {task.remind_at:%H:%M}"
    elif day is not None:
        when = "today"
    return f"{task.description} ({when})" if when else task.description


def deliver(tasks: Sequence[Task], today: dt.date, send: Sender | None, echo: Callable[[str], None]) -> str:
    """Deliver ``tasks`` as one notification (``send``), else print them; says how."""
    if not tasks:
        return "nothing"
    lines = [describe(t, today) for t in tasks]
    title = "journal-me: 1 task due" if len(tasks) == 1 else f"journal-me: {len(tasks)} tasks due"
    if send is not None and send(title, "\n".join(lines[:8]) + ("\n…" if len(lines) > 8 else "")):
        return "notification"
    echo(title)
    for line in lines:
        echo(f"  {line}")
    return "terminal"
