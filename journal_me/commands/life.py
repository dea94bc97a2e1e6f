"""Life commands: log (metric values into a day's front matter), metrics (lists and series).

Each command is one ``_register_*`` function listed in ``REGISTRARS``: a new command (tasks,
remind…) adds its function and one line there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from journal_me.commands.output import clean, clean_line, print_json
from journal_me.config import Settings

if TYPE_CHECKING:
    from journal_me.api import Journal
    from journal_me.life.metrics_store import MetricStore

_NAME_RE = re.compile(r"^[A-Za-z_][\w\-]*$")


def _err(message: str) -> int:
    Console(stderr=True, highlight=False).print(
        Text(f"journal-me: {clean(message)}", style="bold red"), soft_wrap=True
    )
    return 1


def _day(text: str | None, *, end: bool = False) -> dt.date:
    from journal_me.dates import parse_day

    return parse_day(text, end_of_period=end) if text else dt.date.today()


def metric_store(journal: Journal) -> MetricStore:
    """The journal's metric store, in step with its (already refreshed) index."""
    from journal_me.life.metrics_store import refresh

    return refresh(journal)


# -- log -------------------------------------------------------------------------------------
def parse_pairs(words: list[str]) -> dict[str, float | int | str]:
    """``mood 7 sleep 7.5`` or ``mood=7 sleep=7.5`` → {"mood": 7, "sleep": 7.5}. Raises
    ValueError with a user-facing reason."""
    tokens: list[str] = []
    for w in words:
        if "=" in w and not w.startswith("="):
            k, _, v = w.partition("=")
            tokens += [k, v]
        else:
            tokens.append(w)
    if not tokens or len(tokens) % 2:
        raise ValueError("give NAME VALUE pairs, e.g. `journal-me log mood 7 sleep 7.5`")
    out: dict[str, float | int | str] = {}
    for name, raw in zip(tokens[::2], tokens[1::2], strict=True):
        if not _NAME_RE.match(name):
            raise ValueError(
                f"{name!r} is not a metric name (letters, digits, _ and -; starting with a letter)"
            )
        value: float | int | str
        if re.fullmatch(r"[-+]?\d+", raw):
            value = int(raw)
        elif re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+)", raw):
            value = float(raw)
        else:
            value = raw.strip()
            if not value:
                raise ValueError(f"no value for {name}")
        out[name.lower()] = value
    return out


def log_values(
    journal: Journal, day: dt.date, values: dict[str, float | int | str]
) -> tuple[str, str | None]:
    """Write ``values`` into ``day``'s entry front matter (creating the entry if needed), by
    the vault's safe save: a file changed on disk meanwhile keeps both versions. Returns the
    entry's rel and, on a conflict, where this version went."""
    from journal_me.life.metrics_write import FrontMatterEditError, set_front_matter_values

    rel = journal.day_entry(day)
    if rel is None:
        rel = journal.create_entry(day).rel
    text, digest = journal.read_text(rel)
    new = set_front_matter_values(text, values)
    if new == text:
        return rel, None
    result = journal.save_entry(rel, new, digest)
    if result.needs_confirmation:
        raise FrontMatterEditError(f"not written: {result.needs_confirmation}")
    return rel, result.conflict_rel


def cmd_log(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.commands.journal import open_journal
    from journal_me.dates import DateParseError
    from journal_me.life.metrics_write import FrontMatterEditError
    from journal_me.vault import EntryReadError, VaultError

    try:
        values = parse_pairs(args.pairs)
        day = _day(args.date)
    except (ValueError, DateParseError) as exc:
        return _err(str(exc))
    journal = open_journal(settings, quiet=True)
    try:
        rel, conflict = log_values(journal, day, values)
    except (FrontMatterEditError, EntryReadError, VaultError, OSError) as exc:
        return _err(f"could not log into {day.isoformat()}'s entry: {exc}")
    finally:
        journal.close()
    said = ", ".join(f"{k} {v}" for k, v in values.items())
    if conflict:
        return _err(
            f"{rel} changed on disk while logging: your values are in {conflict}; merge the two "
            "(the TUI shows both)"
        )
    print(clean_line(f"logged {said} in {rel}"))
    return 0


# -- metrics ---------------------------------------------------------------------------------
def cmd_metrics(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.commands.journal import open_journal
    from journal_me.dates import DateParseError
    from journal_me.life.metrics_answer import metric_report, report_lines

    try:
        start = _day(args.start) if args.start else None
        end = _day(args.end, end=True) if args.end else None
    except DateParseError as exc:
        return _err(str(exc))
    journal = open_journal(settings, quiet=True)
    try:
        store = metric_store(journal)
        include_private = not args.public_only
        if not args.name:
            infos = store.metrics(include_private=include_private, start=start, end=end)
            if args.json:
                print_json(
                    [
                        {
                            "name": m.name,
                            "n": m.n,
                            "n_text": m.n_text,
                            "first": m.first.isoformat(),
                            "last": m.last.isoformat(),
                            "unit": m.unit,
                        }
                        for m in infos
                    ]
                )
                return 0
            if not infos:
                print(
                    "no metrics yet: log one with `journal-me log mood 7`, or write `sleep:: 7.5` in an entry"
                )
                return 0
            width = max(len(m.name) for m in infos)
            print(f"{'metric':<{width}}  {'n':>4}  {'first':<10}  {'last':<10}  unit")
            for m in infos:
                row = f"{m.name:<{width}}  {m.n:>4}  {m.first.isoformat()}  {m.last.isoformat()}"
                row += f"  {m.unit or ''}"
                print(clean_line(row).rstrip())
            return 0
        name = args.name.lower()
        report = metric_report(store, name, start=start, end=end, include_private=include_private)
        if report.summary is None and not report.text_points:
            known = ", ".join(m.name for m in store.metrics(include_private=include_private)) or "none yet"
            return _err(f"no values for {name!r} (metrics: {known})")
        if args.json:
            print_json(report.to_json())
            return 0
        for line in report_lines(report):
            print(clean_line(line))
        if args.points:
            u = f" {report.unit}" if report.unit else ""
            for day, value, pts in report.daily:
                where = ", ".join(f"{p.rel}:{p.line}" for p in pts)
                print(clean_line(f"  {day.isoformat()}  {value:g}{u}  {where}"))
        return 0
    finally:
        journal.close()


def _register_log(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "log",
        help="log metric values in a day's entry: journal-me log mood 7 sleep 7.5 [--date yesterday]",
    )
    p.add_argument("pairs", nargs="+", metavar="NAME VALUE", help="pairs of metric name and value")
    p.add_argument("--date", help="which day (natural language; default today)")
    p.set_defaults(handler=cmd_log)


def _register_metrics(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("metrics", help="the metrics you track, or one series with its summary and trend")
    p.add_argument("name", nargs="?", help="one metric (e.g. sleep)")
    p.add_argument("--from", dest="start", help="on or after this date")
    p.add_argument("--to", dest="end", help="on or before this date")
    p.add_argument("--json", action="store_true")
    p.add_argument("--points", action="store_true", help="every day's value and the entries behind it")
    p.add_argument("--public-only", action="store_true", help="leave out private entries' values")
    p.set_defaults(handler=cmd_metrics)


REGISTRARS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _register_log,
    _register_metrics,
]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for add in REGISTRARS:
        add(sub)
    from journal_me.commands.life_tasks import register_tasks  # tasks, remind

    register_tasks(sub)
