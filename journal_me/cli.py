"""`journal-me …` entry point. With no sub-command it opens the TUI."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from journal_me import __version__
from journal_me.commands import COMMAND_MODULES
from journal_me.config import ConfigError, Settings, load_settings
from journal_me.offline import enforce_offline
from journal_me.termsafe import clean

# options of the top-level parser that take a value (for finding the command in argv)
_VALUE_OPTIONS = {"--vault", "--config"}
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a reader closing the pipe means to a shell


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


def command_words(argv: Sequence[str]) -> list[str]:
    """The positional words of ``argv`` (the command and its action), options skipped."""
    words: list[str] = []
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token == "--":
            break
        elif token in _VALUE_OPTIONS:
            skip = True
        elif not token.startswith("-"):
            words.append(token)
    return words


def needs_network(argv: Sequence[str]) -> bool:
    """Only `journal-me model pull` may reach the network."""
    return command_words(argv)[:2] == ["model", "pull"]


def _silence_stdout() -> None:
    """After the reader of our stdout went away (`| head`): send what is left to /dev/null so
    the interpreter's final flush does not print a BrokenPipeError of its own."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not needs_network(argv):
        enforce_offline()  # before any ML library is imported (they read it at import time)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings: Settings = load_settings(vault=args.vault, config_file=args.config)
    except ConfigError as exc:
        print(clean(f"journal-me: config error: {exc}"), file=sys.stderr)
        return 2
    from journal_me import dates

    # the configured date order for every date typed on this command line; a note when an
    # ambiguous date ("10/11/2026") was read in the locale's order
    dates.configure(settings.date_order, lambda note: print(clean(f"note: {note}"), file=sys.stderr))
    handler = getattr(args, "handler", None)
    if handler is None:
        from journal_me.tui import run_tui  # imported late: the CLI never needs Textual

        return int(run_tui(settings))
    # late too: `journal-me --help` should not load the index (Whoosh, numpy)
    from journal_me.memory.index import IndexError_
    from journal_me.vault import VaultError, VaultNotFoundError

    try:
        code = int(handler(args, settings) or 0)
        sys.stdout.flush()
        return code
    except BrokenPipeError:  # `journal-me search --json … | head`: the reader has had enough
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except VaultNotFoundError as exc:
        from journal_me.commands.output import vault_problem

        print(clean(f"journal-me: {vault_problem(settings.vault) or exc}"), file=sys.stderr)
        return 1
    except (VaultError, IndexError_) as exc:  # a locked index, a file that keeps changing
        print(clean(f"journal-me: {exc}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
