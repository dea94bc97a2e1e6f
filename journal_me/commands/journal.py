"""Journal commands: new, add, search, entities, index, watch, doctor, import."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from journal_me.api import Journal, open_vault
from journal_me.config import Settings
from journal_me.dates import DateParseError, parse_day
from journal_me.memory.index import IndexLockedError


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _err(message: str) -> int:
    # soft_wrap: a long message (a path, a parser error) stays one line in logs and pipes
    _console(stderr=True).print(Text(f"journal-me: {message}", style="bold red"), soft_wrap=True)
    return 1


def open_journal(settings: Settings, *, refresh: bool = True, quiet: bool = False) -> Journal:
    """Open the vault and bring its memory up to date, with a progress bar when slow."""
    err = _console(stderr=True)
    journal = open_vault(settings=settings, on_wait=lambda msg: err.print(msg, style="yellow"))
    if journal.index.recovered and not quiet:
        err.print(f"note: {journal.index.recovered}", style="yellow")
    if refresh:
        reindex_with_progress(journal, quiet=quiet)
    return journal


def reindex_with_progress(journal: Journal, *, rebuild: bool = False, quiet: bool = False) -> Any:
    err = _console(stderr=True)
    show = not quiet and err.is_terminal
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not show,
    ) as bar:
        task = bar.add_task("indexing", total=None)

        def progress(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, description=what)

        return journal.reindex(rebuild=rebuild, progress=progress)


def _editor(settings: Settings) -> list[str]:
    cmd = settings.editor or os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    return shlex.split(cmd)


def _day(value: str | None) -> dt.date:
    return parse_day(value) if value else dt.date.today()


# -- new / add -----------------------------------------------------------------------------
def cmd_new(args: argparse.Namespace, settings: Settings) -> int:
    try:
        day = _day(args.date)
    except DateParseError as exc:
        return _err(str(exc))
    journal = open_journal(settings, refresh=False)
    rel = journal.vault.entry_rel_for(day)
    path = journal.vault.root / rel
    created = False
    if args.separate or not path.exists():
        entry = journal.new_entry("", day, title=args.title)
        rel, path, created = entry.rel, entry.path, True
    before = path.read_bytes()

    def discard() -> None:
        # the blank entry made for the editor, left as it was: leave nothing behind
        path.unlink(missing_ok=True)
        journal.update_paths([rel])

    try:
        subprocess.run([*_editor(settings), str(path)], check=False)
    except FileNotFoundError:
        if created:
            discard()
        return _err(f"editor not found: {_editor(settings)[0]} (set $EDITOR or `editor` in the config)")
    after = path.read_bytes() if path.exists() else b""
    if created and (after == before or not after.strip()):
        discard()
        print("nothing written; no entry created")
        return 0
    journal.update_paths([rel])
    print(f"saved {rel}")
    return 0


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    text = " ".join(args.text).strip()
    if text == "-" or (not text and not sys.stdin.isatty()):
        text = sys.stdin.read().strip()
    if not text:
        return _err("nothing to add: give the text as an argument or on stdin")
    try:
        day = _day(args.date)
    except DateParseError as exc:
        return _err(str(exc))
    journal = open_journal(settings, refresh=False)
    entry = journal.append(text, day)
    print(f"added to {entry.rel} ({entry.date.isoformat()})")
    return 0


# -- search --------------------------------------------------------------------------------
def _styled_passage(passage: str, spans: tuple[tuple[int, int], ...], width: int = 320) -> Text:
    # journal text is never parsed as markup: Text(...) + stylize by offsets
    start = 0
    if spans and spans[0][0] > width // 2:
        start = max(0, spans[0][0] - 60)
        while start > 0 and not passage[start - 1].isspace():
            start -= 1
    end = min(len(passage), start + width)
    text = Text(
        ("…" if start else "") + passage[start:end].replace("\n", " ") + ("…" if end < len(passage) else "")
    )
    shift = 1 if start else 0
    for a, b in spans:
        if a >= start and b <= end:
            text.stylize("bold yellow", a - start + shift, b - start + shift)
    return text


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    try:
        before = parse_day(args.before, end_of_period=True) if args.before else None
        after = parse_day(args.after) if args.after else None
    except DateParseError as exc:
        return _err(str(exc))
    journal = open_journal(settings, refresh=not args.no_refresh, quiet=args.json)
    from journal_me.memory.retrieval import QueryPlan

    plan = QueryPlan()
    hits = journal.search(
        " ".join(args.query), limit=args.limit, before=before, after=after, tags=args.tag or (), plan=plan
    )
    if args.json:
        print(json.dumps({"query": " ".join(args.query), "hits": [h.to_json() for h in hits]}, indent=2))
        return 0
    out = _console()
    if args.explain:
        out.print(
            Text(
                f"terms: {plan.terms}  entities: {plan.entities}  neighbours: {plan.neighbours}", style="dim"
            )
        )
        if plan.after or plan.before:
            out.print(
                Text(
                    f"dates: {plan.after} … {plan.before}{' (relaxed)' if plan.relaxed else ''}", style="dim"
                )
            )
    if not hits:
        out.print("no matches")
        return 0
    for hit in hits:
        head = Text()
        head.append(hit.entry.date.isoformat(), style="bold cyan")
        head.append("  ")
        head.append(hit.entry.title, style="bold")
        head.append(f"  {hit.entry.rel}:{hit.line_start}", style="dim")
        out.print(head)
        out.print(_styled_passage(hit.passage, hit.highlights))
        out.print()
    return 0


# -- entities ------------------------------------------------------------------------------
def cmd_entities(args: argparse.Namespace, settings: Settings) -> int:
    journal = open_journal(settings, refresh=not args.no_refresh, quiet=args.json)
    items = journal.entities(args.type)
    if args.limit:
        items = items[: args.limit]
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "name": e.name,
                        "type": e.type,
                        "count": e.count,
                        "first": e.first.isoformat() if e.first else None,
                        "last": e.last.isoformat() if e.last else None,
                        "aliases": list(e.aliases),
                    }
                    for e in items
                ],
                indent=2,
            )
        )
        return 0
    table = Table("entity", "type", "entries", "first", "last", "aliases")
    for e in items:
        table.add_row(
            Text(e.name),
            e.type,
            str(e.count),
            str(e.first or ""),
            str(e.last or ""),
            Text(", ".join(e.aliases)),
        )
    _console().print(table)
    return 0


# -- index / watch / doctor ----------------------------------------------------------------
def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    try:
        journal = open_journal(settings, refresh=False)
        report = reindex_with_progress(journal, rebuild=args.rebuild)
    except IndexLockedError as exc:
        return _err(str(exc))
    print(report.summary())
    for w in report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def cmd_watch(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.watch import VaultWatcher, WatchStatus

    journal = open_journal(settings)
    out = _console()
    out.print(f"watching {journal.vault.root} (Ctrl-C to stop)")

    def report(status: WatchStatus) -> None:
        if status.state == "watching" and status.last_report and status.last_report.changed:
            r = status.last_report
            out.print(Text(f"{time.strftime('%H:%M:%S')} {r.summary()}"))
        elif status.state == "error":
            out.print(Text(f"{time.strftime('%H:%M:%S')} {status.describe()}", style="red"))

    watcher = VaultWatcher(journal, polling=args.polling or None, on_update=report)
    with watcher:
        try:
            while True:
                time.sleep(0.5)
        except KeyboardInterrupt:
            out.print("stopped")
    return 0


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    out = _console()
    ok = True
    out.print(Text(f"vault:      {settings.vault}"))
    out.print(Text(f"data:       {settings.vault_data_dir}"))
    out.print(Text(f"config:     {settings.config_file or '(none, defaults)'}"))
    if not settings.vault.is_dir():
        return _err(f"vault folder not found: {settings.vault}")
    try:
        journal = open_journal(settings, quiet=True)
    except IndexLockedError as exc:
        return _err(str(exc))
    entries = journal.entries()
    out.print(Text(f"entries:    {len(entries)} indexed, {sum(e.private for e in entries)} private"))
    out.print(Text(f"entities:   {len(journal.entities())}"))
    warnings = journal.warnings
    if warnings:
        ok = False
        out.print(Text(f"{len(warnings)} file(s) need attention:", style="yellow"))
        for w in warnings:
            out.print(Text(f"  {w.rel}: {w.reason}"))
    else:
        out.print(Text("files:      all readable", style="green"))
    for check in doctor_checks():
        ok = check(args, settings, out) and ok
    return 0 if ok else 1


DoctorCheck = Callable[[argparse.Namespace, Settings, Console], bool]
# Extra checks a caller may add; the command modules (model, trainer) contribute theirs as a
# module attribute ``doctor_check``, found at run time rather than appended at import time
# (an import inside a test that had swapped this list out would otherwise lose them).
DOCTOR_CHECKS: list[DoctorCheck] = []


def doctor_checks() -> list[DoctorCheck]:
    import importlib

    from journal_me.commands import COMMAND_MODULES

    checks = list(DOCTOR_CHECKS)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        check = getattr(module, "doctor_check", None)
        if check is not None and check not in checks:
            checks.append(check)
    return checks


# -- import --------------------------------------------------------------------------------
def cmd_import_jrnl(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.importers import JrnlImportError, import_jrnl

    journal = open_journal(settings, refresh=False)
    try:
        result = import_jrnl(journal, Path(args.file))
    except JrnlImportError as exc:
        return _err(str(exc))
    print(f"imported {result.created} entries, skipped {result.skipped} already imported")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("new", help="open today's entry (or --date) in $EDITOR")
    p.add_argument("--date", help="which day (natural language: 'yesterday', '2026-03-02')")
    p.add_argument("--title")
    p.add_argument("--separate", action="store_true", help="a new file even if the day has one")
    p.set_defaults(handler=cmd_new)

    p = sub.add_parser("add", help='quick append: journal-me add "text" (or - for stdin)')
    p.add_argument("text", nargs="*")
    p.add_argument("--date", help="which day (natural language)")
    p.set_defaults(handler=cmd_add)

    p = sub.add_parser("search", help="search the journal with a question or words")
    p.add_argument("query", nargs="+")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--before", help="on or before this date")
    p.add_argument("--after", help="on or after this date")
    p.add_argument("--tag", action="append", help="only entries with this tag (repeatable)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--explain", action="store_true", help="show how the question was understood")
    p.add_argument("--no-refresh", action="store_true", help="skip the incremental reindex")
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser("entities", help="people, places, topics and tags in the journal")
    p.add_argument("--type", choices=["person", "place", "org", "topic", "tag"])
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-refresh", action="store_true")
    p.set_defaults(handler=cmd_entities)

    p = sub.add_parser("index", help="bring the search index up to date")
    p.add_argument("--rebuild", action="store_true", help="rebuild from scratch")
    p.set_defaults(handler=cmd_index)

    p = sub.add_parser("watch", help="watch the vault and index changes as you write")
    p.add_argument("--polling", action="store_true", help="poll (network drives, WSL)")
    p.set_defaults(handler=cmd_watch)

    p = sub.add_parser("doctor", help="check the vault, index and models")
    p.add_argument("--smoke", action="store_true", help="also run the end-to-end model smoke test")
    p.set_defaults(handler=cmd_doctor)

    p = sub.add_parser("import", help="import entries from another journal app")
    isub = p.add_subparsers(dest="source", metavar="SOURCE", required=True)
    j = isub.add_parser("jrnl", help="jrnl's JSON export (jrnl --export json > FILE.json)")
    j.add_argument("file")
    j.set_defaults(handler=cmd_import_jrnl)


__all__ = ["DOCTOR_CHECKS", "doctor_checks", "open_journal", "register"]
