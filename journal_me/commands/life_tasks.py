"""Task commands: ``tasks`` (list, ``tasks done ID``) and ``remind`` (what is due now).

Registered from ``journal_me.commands.life`` by ``register_tasks(sub)``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from journal_me.commands.output import clean, clean_line, print_json
from journal_me.config import Settings

__all__ = ["cmd_remind", "cmd_tasks", "register_tasks"]


def _now() -> dt.datetime:
    """The clock (tests replace it)."""
    return dt.datetime.now()


def _err(message: str) -> int:
    from rich.console import Console
    from rich.text import Text

    Console(stderr=True, highlight=False).print(
        Text(f"journal-me: {clean(message)}", style="bold red"), soft_wrap=True
    )
    return 1


def _row(task: object, today: dt.date) -> str:
    from journal_me.life.tasks import Task

    assert isinstance(task, Task)
    day = task.due or task.scheduled
    mark = "x" if task.done else ("!" if day is not None and day < today else " ")
    when = day.isoformat() if day else "          "
    extra = f" 🔁 {task.recurrence}" if task.recurrence else ""
    extra += f" ⏰ {task.remind_at:%H:%M}" if task.remind_at else ""
    return f"{task.id}  [{mark}] {when}  {task.description}{extra}  ({task.rel}:{task.line})"


def cmd_tasks(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.commands.journal import open_journal
    from journal_me.life.reminders import filter_tasks
    from journal_me.life.tasks import RecurrenceError, TaskNotFound, collect, complete
    from journal_me.vault import EntryReadError, VaultError

    today = _now().date()
    if args.action == "done" and not args.id:
        return _err("give the task's ID: `journal-me tasks done ID` (`journal-me tasks` lists them)")
    journal = open_journal(settings, quiet=True)
    try:
        if args.action == "done":
            try:
                result = complete(journal, args.id, today)
            except (TaskNotFound, RecurrenceError, EntryReadError, VaultError, OSError) as exc:
                return _err(str(exc))
            if result.conflict_rel:
                return _err(
                    f"{result.rel} changed on disk meanwhile: the task is marked done in "
                    f"{result.conflict_rel}; merge the two (the TUI shows both)"
                )
            print(clean_line(f"done: {result.task.description} ({result.rel})"))
            if result.next_line:
                print(clean_line(f"next: {result.next_line.strip()}"))
            return 0
        tasks = filter_tasks(collect(journal), args.due, today, include_done=args.all)
        if args.json:
            print_json([t.to_json() for t in tasks])
            return 0
        if not tasks:
            print(
                "no tasks"
                + (f" due {args.due}" if args.due else "")
                + " (write `- [ ] … 📅 2026-12-05` in an entry)"
            )
            return 0
        for t in tasks:
            print(clean_line(_row(t, today)))
        return 0
    finally:
        journal.close()


def cmd_remind(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.commands.journal import open_journal
    from journal_me.life.reminders import deliver, due_now, not_yet_reminded, notifier, remember
    from journal_me.life.tasks import collect

    now = _now()
    journal = open_journal(settings, quiet=True)
    try:
        due = due_now(collect(journal), now)
    finally:
        journal.close()
    if args.json:
        print_json([t.to_json() for t in due])
        return 0
    if not args.notify:
        if not due:
            print("nothing due now")
        for t in due:
            print(clean_line(_row(t, now.date())))
        return 0
    state = settings.vault_data_dir / "reminded.json"
    fresh = not_yet_reminded(due, state, now.date())
    how = deliver(fresh, now.date(), notifier(), lambda s: print(clean_line(s)))
    if how == "terminal" and sys.stdout.isatty():
        sys.stdout.write("\a")  # the terminal bell
        sys.stdout.flush()
    if fresh:
        remember(fresh, state, now.date())
    if how == "nothing" and not args.quiet:
        print("nothing new due now")
    return 0


def register_tasks(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "tasks",
        help="tasks in your entries (Obsidian Tasks / Dataview format); `tasks done ID` marks one done",
    )
    p.add_argument("action", nargs="?", choices=["done"], help="done ID: mark that task done")
    p.add_argument("id", nargs="?", help="the task's ID (the first column of the list)")
    p.add_argument("--due", choices=["today", "overdue", "week"], help="only tasks due then")
    p.add_argument("--all", action="store_true", help="done tasks too")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_tasks)
    r = sub.add_parser(
        "remind",
        help="what is due now (due/scheduled today or overdue, ⏰ times passed); --notify delivers it",
    )
    r.add_argument(
        "--notify",
        action="store_true",
        help="a desktop notification (notify-send/osascript), else print; once a day each",
    )
    r.add_argument("--json", action="store_true")
    r.add_argument("--quiet", action="store_true", help="say nothing when nothing is due (for timers)")
    r.set_defaults(handler=cmd_remind)
