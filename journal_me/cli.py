"""`journal-me …` entry point. With no sub-command it opens the TUI."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from journal_me import __version__
from journal_me.commands import COMMAND_MODULES
from journal_me.config import ConfigError, Settings, load_settings
from journal_me.memory.index import IndexError_
from journal_me.vault import VaultError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="journal-me",
        description="A markdown journal in your terminal that grows into a local second you.",
    )
    parser.add_argument("--vault", help="vault directory (else $JOURNAL_ME_VAULT, else config)")
    parser.add_argument("--config", help="config file (else $JOURNAL_ME_CONFIG)")
    parser.add_argument("--version", action="version", version=f"journal-me {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # not written yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings: Settings = load_settings(vault=args.vault, config_file=args.config)
    except ConfigError as exc:
        print(f"journal-me: config error: {exc}", file=sys.stderr)
        return 2
    handler = getattr(args, "handler", None)
    if handler is None:
        from journal_me.tui import run_tui  # imported late: the CLI never needs Textual

        return int(run_tui(settings))
    try:
        return int(handler(args, settings) or 0)
    except (VaultError, IndexError_) as exc:  # a missing vault, a locked index: say so
        print(f"journal-me: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
