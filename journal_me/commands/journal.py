"""Journal commands: init, new, add, search, entities, index, watch, doctor, import."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from journal_me.commands.output import clean, clean_line, print_json, vault_problem
from journal_me.config import Settings
from journal_me.datadir import user_umask

# The journal's modules (index, graph, dates) load in the handlers, not here: `journal-me
# --help` and `init` should not wait for Whoosh, networkx and dateparser.
if TYPE_CHECKING:
    from rich.console import Console

    from journal_me.api import Journal


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _warn(message: str) -> None:
    from rich.text import Text

    _console(stderr=True).print(Text(f"journal-me: {clean(message)}", style="yellow"), soft_wrap=True)


def _err(message: str) -> int:
    from rich.text import Text

    # soft_wrap: a long message (a path, a parser error) stays one line in logs and pipes
    _console(stderr=True).print(Text(f"journal-me: {clean(message)}", style="bold red"), soft_wrap=True)
    return 1


def _index_incomplete(journal: Journal) -> bool:
    """A rebuild was started and never committed: search sees only part of the vault."""
    return bool(journal.index_incomplete)


def open_journal(
    settings: Settings,
    *,
    refresh: bool = True,
    quiet: bool = False,
    defer_index: bool = False,
    long_running: bool = False,
) -> Journal:
    """Open the vault and bring its memory up to date, with a progress bar when slow.

    ``defer_index``: what the command writes is indexed by the next refresh, not now (`add`,
    `new`: they never load the index). A command that is not ``long_running`` (`watch`,
    `serve`, `mcp` are) searches with Whoosh alone up to a larger index than a long-running
    process does: numpy's start-up costs it more than numpy saves on a few queries."""
    from journal_me.api import open_vault

    def waiting(message: str) -> None:  # (rich loads only when there is something to say)
        _console(stderr=True).print(message, style="yellow")

    journal = open_vault(
        settings=settings, on_wait=waiting, defer_index=defer_index, one_shot=not long_running
    )
    recovered = reindex_with_progress(journal, quiet=quiet).recovered if refresh else journal.index_recovered
    if recovered and not quiet:
        from rich.text import Text

        _console(stderr=True).print(Text(f"note: {clean(str(recovered))}", style="yellow"))
    return journal


def reindex_with_progress(journal: Journal, *, rebuild: bool = False, quiet: bool = False) -> Any:
    """``journal.reindex`` with a progress bar on a terminal, drawn (and rich.progress loaded)
    only once there are files to read or index: a refresh that finds nothing changed shows
    nothing and costs no import."""
    from journal_me.commands.styled import is_terminal

    if quiet or not is_terminal(sys.stderr):  # (Rich's test, without loading Rich)
        return journal.reindex(rebuild=rebuild)
    shown: list[Any] = []  # [Progress, task id] once the bar is up

    def progress(done: int, total: int, what: str) -> None:
        if not shown:
            if not total:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            err = _console(stderr=True)
            bar = Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            )
            bar.start()
            shown.extend([bar, bar.add_task(what, total=total)])
        shown[0].update(shown[1], completed=done, total=total, description=what)

    try:
        return journal.reindex(rebuild=rebuild, progress=progress)
    finally:
        if shown:
            shown[0].stop()


def _editor(settings: Settings) -> list[str]:
    cmd = settings.editor or os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    return shlex.split(cmd)


def _day(value: str | None) -> dt.date:
    from journal_me.dates import parse_day

    return parse_day(value) if value else dt.date.today()


# -- init ----------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.setup import SetupError, init_vault

    path = Path(args.path) if args.path else settings.vault
    config_file = Path(args.config).expanduser() if getattr(args, "config", None) else None
    try:
        result = init_vault(path, settings, config_file=config_file, force=args.force)
    except SetupError as exc:
        return _err(str(exc))
    where = clean_line(str(result.vault))
    print(f"created the journal folder {where}" if result.created else f"using the existing folder {where}")
    if result.config_changed:
        print(clean_line(f"set vault = {result.vault} in {result.config_file}"))
    else:
        print(clean_line(f"{result.config_file} already points at it"))
    print('open it: `journal-me` (the TUI), or `journal-me add "first words"` / `journal-me new`')
    return 0


# -- new / add -----------------------------------------------------------------------------
def _day_or_error(value: str | None) -> dt.date | str:
    """The day ``value`` names (today when None), or why it names none. The date parser
    loads only when a date was given."""
    if not value:
        return dt.date.today()
    from journal_me.dates import DateParseError

    try:
        return _day(value)
    except DateParseError as exc:
        return str(exc)


def cmd_new(args: argparse.Namespace, settings: Settings) -> int:
    day = _day_or_error(args.date)
    if isinstance(day, str):
        return _err(day)
    journal = open_journal(settings, refresh=False, defer_index=True)
    existing = None if args.separate else journal.day_entry(day)  # the day's note, wherever it is
    created = existing is None
    if existing is None:
        entry = journal.new_entry("", day, title=args.title, separate=args.separate)
        rel, path = entry.rel, entry.path
    else:
        rel, path = existing, journal.path_of(existing)
    before = path.read_bytes()

    def discard() -> None:
        # the blank entry made for the editor, left as it was: leave nothing behind (never
        # indexed: the next refresh indexes what `new` wrote)
        path.unlink(missing_ok=True)

    try:
        # the user's own umask: journal-me's owner-only one is for the data dir, and editors
        # that save by rename would otherwise turn a 0644 entry into 0600
        import subprocess

        subprocess.run([*_editor(settings), str(path)], check=False, umask=user_umask())
    except FileNotFoundError:
        if created:
            discard()
        return _err(f"editor not found: {_editor(settings)[0]} (set $EDITOR or `editor` in the config)")
    after = path.read_bytes() if path.exists() else b""
    if created and (after == before or not after.strip()):
        discard()
        print("nothing written; no entry created")
        return 0
    print(f"saved {clean_line(rel)}")  # indexed by the next refresh (search, the TUI…)
    return 0


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    text = " ".join(args.text).strip()
    if text == "-" or (not text and not sys.stdin.isatty()):
        text = sys.stdin.read().strip()
    if not text:
        return _err("nothing to add: give the text as an argument or on stdin")
    from journal_me.vault import VaultError

    day = _day_or_error(args.date)
    if isinstance(day, str):
        return _err(day)
    # the next refresh (search, doctor, the TUI) indexes the text: `add` never loads the index
    journal = open_journal(settings, refresh=False, defer_index=True)
    try:
        rel = journal.append_text(text, day)
    except (VaultError, RuntimeError) as exc:  # e.g. the day's file keeps changing on disk
        return _err(clean_line(str(exc)))
    print(f"added to {clean_line(rel)} ({day.isoformat()})")
    # the text is on disk; an index that could not follow is only a warning (a retry would
    # add the text twice)
    problem = journal.last_index_error
    if problem:
        _warn(f"added; the index will catch up ({clean_line(str(problem))})")
    return 0


# -- search --------------------------------------------------------------------------------
def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.commands.styled import Lines, Segment
    from journal_me.snippet import snippet_spans

    before = after = None
    if args.before or args.after:  # (the date parser loads only for a date typed)
        from journal_me.dates import DateParseError, parse_day

        try:
            before = parse_day(args.before, end_of_period=True) if args.before else None
            after = parse_day(args.after) if args.after else None
        except DateParseError as exc:
            return _err(str(exc))
    journal = open_journal(settings, refresh=not args.no_refresh, quiet=args.json)
    if args.no_refresh and _index_incomplete(journal):
        _warn("the index is incomplete (a rebuild was interrupted); run `journal-me index`")
    from journal_me.memory.retrieval import QueryPlan

    plan = QueryPlan()
    hits = journal.search(
        " ".join(args.query), limit=args.limit, before=before, after=after, tags=args.tag or (), plan=plan
    )
    if args.json:
        print_json({"query": " ".join(args.query), "hits": [h.to_json() for h in hits]})
        return 0
    out = Lines()  # (no Rich: styled lines for a terminal, plain ones for a pipe)
    if args.explain:
        terms = f"terms: {plan.terms}  entities: {plan.entities}  neighbours: {plan.neighbours}"
        out.write([(clean(terms), "dim")])
        if plan.after or plan.before:
            out.write([(f"dates: {plan.after} … {plan.before}{' (relaxed)' if plan.relaxed else ''}", "dim")])
    if not hits:
        out.write([("no matches", None)])
        return 0
    for hit in hits:
        out.write(
            [
                (hit.entry.date.isoformat(), "bold cyan"),
                ("  ", None),
                (clean_line(hit.entry.title), "bold"),
                (f"  {clean_line(hit.entry.rel)}:{hit.line_start}", "dim"),
            ]
        )
        text, spans = snippet_spans(hit.passage, hit.highlights, width=320)
        parts: list[Segment] = []
        at = 0
        for a, b in spans:
            if a < at:
                continue
            parts += [(text[at:a], None), (text[a:b], "bold yellow")]
            at = b
        out.write([*parts, (text[at:], None)])
        out.write()
    return 0


# -- entities ------------------------------------------------------------------------------
def cmd_entities(args: argparse.Namespace, settings: Settings) -> int:
    journal = open_journal(settings, refresh=not args.no_refresh, quiet=args.json)
    items = journal.entities(args.type)
    if args.limit:
        items = items[: args.limit]
    if args.json:
        print_json(
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
            ]
        )
        return 0
    from journal_me.commands.styled import Lines

    # columns, not a Rich table: Rich took 3.6 s to lay out the 9,500 entities of 6k notes
    Lines().table(
        ("entity", "type", "entries", "first", "last", "aliases"),
        [
            (
                clean_line(e.name),
                clean_line(e.type),
                str(e.count),
                str(e.first or ""),
                str(e.last or ""),
                clean_line(", ".join(e.aliases)),
            )
            for e in items
        ],
        shrink=(5, 0),
    )
    return 0


# -- index / watch / doctor ----------------------------------------------------------------
def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from rich.text import Text

    from journal_me.memory.index import IndexLockedError

    try:
        journal = open_journal(settings, refresh=False)
        report = reindex_with_progress(journal, rebuild=args.rebuild)
    except IndexLockedError as exc:
        return _err(str(exc))
    if report.recovered:
        _console(stderr=True).print(Text(f"note: {clean(str(report.recovered))}", style="yellow"))
    print(clean(report.summary()))
    for w in report.warnings:
        print(f"warning: {clean_line(str(w))}", file=sys.stderr)
    return 0


def cmd_watch(args: argparse.Namespace, settings: Settings) -> int:
    from rich.text import Text

    from journal_me.watch import VaultWatcher, WatchStatus

    journal = open_journal(settings, long_running=True)
    out = _console()
    out.print(Text(f"watching {clean_line(str(journal.root))} (Ctrl-C to stop)"))

    def report(status: WatchStatus) -> None:
        if status.state == "watching" and status.last_report and status.last_report.changed:
            r = status.last_report
            out.print(Text(f"{time.strftime('%H:%M:%S')} {clean_line(r.summary())}"))
        elif status.state == "error":
            out.print(Text(f"{time.strftime('%H:%M:%S')} {clean_line(status.describe())}", style="red"))

    watcher = VaultWatcher(journal, polling=args.polling or None, on_update=report)
    with watcher:
        try:
            while True:
                time.sleep(0.5)
        except KeyboardInterrupt:
            out.print("stopped")
    return 0


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console
    from rich.text import Text

    # one line per finding, however long its path (logs, pipes, grep)
    out = Console(highlight=False, soft_wrap=True)
    ok = True
    out.print(Text(clean_line(f"vault:      {settings.vault}")))
    out.print(Text(clean_line(f"data:       {settings.vault_data_dir}")))
    out.print(Text(clean_line(f"config:     {settings.config_file or '(none, defaults)'}")))
    problem = vault_problem(settings.vault)
    if problem and getattr(args, "smoke", False):  # the smoke test needs no journal (H3)
        out.print(Text(clean_line(f"journal:    skipped ({problem})"), style="yellow"))
        return 0 if all([check(args, settings, out) for check in doctor_checks()]) else 1
    if problem:
        return _err(problem)
    from journal_me.memory.index import IndexLockedError

    try:
        journal = open_journal(settings, quiet=True)
    except IndexLockedError as exc:
        return _err(str(exc))
    entries, private, entities = journal.counts()  # aggregates of the graph store
    out.print(Text(f"entries:    {entries} indexed, {private} private"))
    out.print(Text(f"entities:   {entities}"))
    fast, why = journal.search_scorer()
    if fast:
        out.print(Text("search scorer: numpy fast path"))
    elif fast is None:  # a small index: Whoosh alone is quick, numpy is not loaded
        out.print(Text(clean_line(f"search scorer: {why}")))
    else:
        out.print(Text(clean_line(f"search scorer: Whoosh only ({why})"), style="yellow"))
    if _index_incomplete(journal):
        ok = False
        out.print(
            Text("index:      incomplete (a rebuild was interrupted); run `journal-me index`", style="yellow")
        )
    warnings = journal.warnings
    if warnings:
        ok = False
        out.print(Text(f"{len(warnings)} file(s) need attention:", style="yellow"))
        for w in warnings:
            out.print(Text(clean_line(f"  {w.rel}: {w.reason}")), soft_wrap=True)
    else:
        out.print(Text("files:      all readable", style="green"))
    regressions = journal.front_matter_regressions()
    changes = journal.privacy_changes()
    conflicts = journal.conflicts()
    sections = [
        (
            f"{len(regressions)} entry(ies) whose front matter stopped parsing since the last index:",
            [f"{r.rel}: {r.error} (since {r.since:%Y-%m-%d %H:%M})" for r in regressions],
        ),
        (
            f"{len(changes)} entry(ies) whose privacy changed, still treated as private until you "
            "confirm (the TUI asks):",
            [f"{c.rel}: was {c.was}, now reads as {c.now} (since {c.since:%Y-%m-%d %H:%M})" for c in changes],
        ),
        (
            f"{len(conflicts)} conflict copy(ies) waiting for a decision (`journal-me conflicts`):",
            [f"{k.rel}: a conflicting copy of {k.original_rel}" for k in conflicts],
        ),
    ]
    for header, lines in sections:
        if lines:
            ok = False
            out.print(Text(header, style="yellow"), soft_wrap=True)
            for line in lines:
                out.print(Text("  " + clean_line(line)), soft_wrap=True)
    for check in doctor_checks():
        ok = check(args, settings, out) and ok
    return 0 if ok else 1


# -- conflicts -----------------------------------------------------------------------------
def cmd_conflicts(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.vault import VaultError

    journal = open_journal(settings, quiet=True)
    if args.conflicts_cmd != "resolve":
        items = journal.conflicts()
        if not items:
            print("no conflict copies")
            return 0
        for k in items:
            when = f"{k.created:%Y-%m-%d %H:%M}" if k.created else "?"
            print(clean_line(f"{k.rel}  (copy of {k.original_rel}, kept {when})"))
        print("resolve: journal-me conflicts resolve COPY --keep mine|theirs", file=sys.stderr)
        return 0
    copy = args.copy.replace(os.sep, "/")
    try:
        result = journal.resolve_conflict(copy, args.keep, confirm=args.confirm)
    except FileNotFoundError:
        return _err(f"no such file: {copy}")
    except VaultError as exc:
        return _err(str(exc))
    if result.needs_confirmation:
        return _err(f"{result.needs_confirmation} (nothing changed; add --confirm to keep yours anyway)")
    if result.conflict_rel:
        return _err(f"{result.rel} changed again meanwhile; your text is now in {result.conflict_rel}")
    if args.keep == "mine":
        print(clean_line(f"kept your version in {result.rel}; removed {copy}"))
    else:
        print(clean_line(f"kept {result.rel} as it is; removed {copy}"))
    return 0


DoctorCheck = Callable[[argparse.Namespace, Settings, "Console"], bool]
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
        return _err(clean_line(str(exc)))
    print(clean(f"imported {result.created} entries, skipped {result.skipped} already imported"))
    if result.updated:
        print(f"updated {result.updated} entries edited in jrnl since the last import")
    for rel in result.conflicts:
        print(clean(f"changed in both jrnl and the vault: your file stays, jrnl's version is in {rel}"))
    for rel in result.held:
        print(clean(f"{rel}: not updated, the change needs confirmation (journal-me doctor)"))
    return 0


def _int_range(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer from ``low`` to ``high`` (the error names the range)."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"expected {low} to {high}, got {number}")
        return number

    return parse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("init", help="create a journal folder and remember it in the config")
    p.add_argument("path", nargs="?", help="the journal folder (default: --vault, else the configured one)")
    p.add_argument("--force", action="store_true", help="replace a `vault` already in the config")
    p.set_defaults(handler=cmd_init)

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
    p.add_argument("--limit", type=_int_range(1, 1000), default=10, help="how many hits (1-1000)")
    p.add_argument("--before", help="on or before this date")
    p.add_argument("--after", help="on or after this date")
    p.add_argument("--tag", action="append", help="only entries with this tag (repeatable)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--explain", action="store_true", help="show how the question was understood")
    p.add_argument("--no-refresh", action="store_true", help="skip the incremental reindex")
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser("entities", help="people, places, topics and tags in the journal")
    p.add_argument("--type", choices=["person", "place", "org", "topic", "tag"])
    p.add_argument("--limit", type=_int_range(0, 1_000_000), default=0, help="at most this many (0: all)")
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

    p = sub.add_parser("conflicts", help="conflict copies (NAME.conflict-….md): list or resolve")
    csub = p.add_subparsers(dest="conflicts_cmd", metavar="ACTION")
    csub.add_parser("list", help="the conflict copies waiting for a decision (the default)")
    r = csub.add_parser("resolve", help="keep one version and remove the copy")
    r.add_argument("copy", metavar="COPY", help="the conflict copy, relative to the vault")
    r.add_argument(
        "--keep",
        choices=["mine", "theirs"],
        required=True,
        help="mine: the copy's text replaces the original; theirs: the original stays",
    )
    r.add_argument("--confirm", action="store_true", help="keep mine even if it changes privacy")
    p.set_defaults(handler=cmd_conflicts)

    p = sub.add_parser("import", help="import entries from another journal app")
    isub = p.add_subparsers(dest="source", metavar="SOURCE", required=True)
    j = isub.add_parser("jrnl", help="jrnl's JSON export (jrnl --export json > FILE.json)")
    j.add_argument("file")
    j.set_defaults(handler=cmd_import_jrnl)


__all__ = ["DOCTOR_CHECKS", "doctor_checks", "open_journal", "register"]
