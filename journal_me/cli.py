"""`journal-me …` entry point. With no sub-command it opens the TUI."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

from journal_me import __version__
from journal_me.commands import COMMAND_MODULES
from journal_me.config import ConfigError, Settings, load_settings
from journal_me.offline import enforce_offline
from journal_me.termsafe import clean

# options of the top-level parser that take a value (for finding the command in argv)
_VALUE_OPTIONS = {"--vault", "--config"}
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a reader closing the pipe means to a shell


_J, _M, _T, _TR, _N, _L, _P = (
    "journal_me.commands.journal",
    "journal_me.commands.model",
    "journal_me.commands.talk",
    "journal_me.commands.train",
    "journal_me.commands.net",
    "journal_me.commands.life",
    "journal_me.commands.practice",
)
# Which module registers each command, and its line in `journal-me --help`: a command loads
# only its own module (`add` does not import the model registry, `--help` imports none), and
# the listing needs no import at all. A command missing here still works (every module is
# loaded, as before); tests/core/test_command_imports.py checks this table against what the
# modules register.
COMMAND_TABLE: dict[str, tuple[str, str]] = {
    "init": (_J, "create a journal folder and remember it in the config"),
    "new": (_J, "open today's entry (or --date) in $EDITOR"),
    "add": (_J, 'quick append: journal-me add "text" (or - for stdin)'),
    "search": (_J, "search the journal with a question or words"),
    "entities": (_J, "people, places, topics and tags in the journal"),
    "index": (_J, "bring the search index up to date"),
    "watch": (_J, "watch the vault and index changes as you write"),
    "doctor": (_J, "check the vault, index and models"),
    "conflicts": (_J, "conflict copies (NAME.conflict-….md): list or resolve"),
    "import": (_J, "import entries from another journal app"),
    "model": (_M, "list, choose, roll back or download models"),
    "ask": (_T, "ask your past self (one-shot chat)"),
    "bridge": (_T, "draft as you: reply | enhance | critic (stdin) | consult EXPERT"),
    "chats": (_T, "saved conversations"),
    "profile": (_T, "your 'who I am' profile used in every prompt"),
    "train": (_TR, "fine-tune your second me on the journal (synthesis → SFT → DPO → eval gate → publish)"),
    "schedule": (_TR, "run `train --nightly` every night (systemd timer, cron or launchd)"),
    "serve": (_N, "serve your second me: A2A for peers, MCP at /mcp (loopback by default)"),
    "mcp": (_N, "MCP over stdio for your own desktop agents (your rights; never private entries)"),
    "peers": (_N, "friends' second mes: invite | add | list | remove | mode | role | ask"),
    "outbox": (_N, "answers waiting for your approval: list | show | approve | refuse"),
    "netlog": (_N, "everything said on your behalf on the network"),
    "space": (_N, "several second mes discuss one objective (A2A)"),
    "log": (_L, "log metric values in a day's entry: journal-me log mood 7 sleep 7.5 [--date yesterday]"),
    "metrics": (_L, "the metrics you track, or one series with its summary and trend"),
    "tasks": (_L, "tasks in your entries (Obsidian Tasks / Dataview format); `tasks done ID` marks one done"),
    "remind": (_L, "what is due now (due/scheduled today or overdue, ⏰ times passed); --notify delivers it"),
    "practice": (_P, "practise with your second me: interview"),
    "study": (_P, "review study cards made from entries tagged for study (FSRS)"),
}


class _Skipped:
    """What a command module's ``add_parser`` gets for a command not on the command line: it
    takes every call and attribute (``add_argument``, ``set_defaults``, nested sub-commands,
    ``choices.values()``…), iterates as empty and builds nothing (an argparse parser and its
    help strings cost ~1 ms each)."""

    def __getattr__(self, name: str) -> _Skipped:
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> _Skipped:
        return self

    def __iter__(self) -> Iterator[Any]:
        return iter(())


class _OnlyCommand:
    """``sub`` (the sub-parsers action) building the parser of ``command`` alone."""

    def __init__(self, sub: argparse._SubParsersAction[argparse.ArgumentParser], command: str) -> None:
        self._sub = sub
        self._command = command

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        if name == self._command or self._command in kwargs.get("aliases", ()):
            return self._sub.add_parser(name, **kwargs)
        return _Skipped()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sub, name)


def _register(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, only: str = "") -> bool:
    """Let command module ``name`` add its commands (``only``: just that one's parser);
    False, said on stderr, when the module cannot be loaded."""
    try:
        module = importlib.import_module(name)
    except Exception as exc:  # one broken module must neither hide nor take down the others
        print(clean(f"journal-me: {name} failed to load ({type(exc).__name__}: {exc})"), file=sys.stderr)
        return False
    module.register(_OnlyCommand(sub, only) if only else sub)
    return True


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: only the module of the command it names is loaded (with
    ``--help`` alone, none: the commands are listed from ``COMMAND_TABLE``). Without
    ``argv``, or for a command not in the table, every command module is loaded."""
    parser = argparse.ArgumentParser(
        prog="journal-me",
        description="A markdown journal in your terminal that grows into a local second you.",
    )
    parser.add_argument("--vault", help="vault directory (else $JOURNAL_ME_VAULT, else config)")
    parser.add_argument("--config", help="config file (else $JOURNAL_ME_CONFIG)")
    parser.add_argument("--version", action="version", version=f"journal-me {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    words = None if argv is None else command_words(argv)
    wanted = (words[0] if words else None) if words is not None else ""
    if wanted in COMMAND_TABLE:
        _register(sub, COMMAND_TABLE[wanted][0], only=wanted)
        return parser  # the others are neither run nor listed
    if wanted is None:  # `--help`, `--version`, the TUI: every command listed, none loaded
        for command, (module, help_line) in COMMAND_TABLE.items():
            if module in COMMAND_MODULES:
                sub.add_parser(command, help=help_line, add_help=False)  # listed, never run
        return parser
    for name in COMMAND_MODULES:
        _register(sub, name)
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


class _AfterImport:
    """A one-shot import hook: runs ``then(module)`` once module ``name`` has loaded."""

    def __init__(self, name: str, then: Callable[[ModuleType], None]) -> None:
        self.name = name
        self.then = then

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> ModuleSpec | None:
        if fullname != self.name:
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        loader = spec.loader if spec is not None else None
        if spec is None or loader is None or not hasattr(loader, "exec_module"):
            return spec
        run, then = loader.exec_module, self.then

        def exec_module(module: ModuleType) -> None:
            run(module)
            then(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _when_imported(name: str, then: Callable[[ModuleType], None]) -> None:
    """``then(module)`` now if ``name`` is loaded, else as soon as it is."""
    for hook in [h for h in sys.meta_path if isinstance(h, _AfterImport) and h.name == name]:
        sys.meta_path.remove(hook)  # an earlier main() in this process: this one's settings win
    module = sys.modules.get(name)
    if module is not None:
        then(module)
    else:
        sys.meta_path.insert(0, _AfterImport(name, then))


def _is_index_error(exc: BaseException) -> bool:
    """Whether ``exc`` is the index's own error (a locked index…). Looked up only where the
    index module was loaded: a command that never opened the index (`add`) never loads it."""
    index = sys.modules.get("journal_me.memory.index")
    error = getattr(index, "IndexUnavailableError", None)
    return isinstance(error, type) and isinstance(exc, error)


def _graph_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite giving up on the graph store another process is writing."""
    sqlite3 = sys.modules.get("sqlite3")
    busy = getattr(sqlite3, "OperationalError", None)
    return isinstance(busy, type) and isinstance(exc, busy) and "locked" in str(exc)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not needs_network(argv):
        enforce_offline()  # before any ML library is imported (they read it at import time)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        settings: Settings = load_settings(vault=args.vault, config_file=args.config)
    except ConfigError as exc:
        print(clean(f"journal-me: config error: {exc}"), file=sys.stderr)
        return 2
    # the configured date order for every date typed on this command line; a note when an
    # ambiguous date ("10/11/2026") was read in the locale's order. Applied when the date
    # parser loads: a command that reads no date (`add` without --date) never loads it.
    _when_imported(
        "journal_me.dates",
        lambda dates: dates.configure(
            settings.date_order, lambda note: print(clean(f"note: {note}"), file=sys.stderr)
        ),
    )
    handler = getattr(args, "handler", None)
    if handler is None:
        from journal_me.tui import run_tui  # imported late: the CLI never needs Textual

        return int(run_tui(settings))
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
    except VaultError as exc:  # a file that keeps changing
        print(clean(f"journal-me: {exc}"), file=sys.stderr)
        return 1
    except Exception as exc:
        if _is_index_error(exc):  # a locked or unreadable index
            print(clean(f"journal-me: {exc}"), file=sys.stderr)
            return 1
        if _graph_busy(exc):
            print(
                "journal-me: the entity graph is busy: another journal-me process is indexing; "
                "try again when it is done",
                file=sys.stderr,
            )
            return 1
        raise
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
