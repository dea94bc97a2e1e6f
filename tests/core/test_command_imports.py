"""Imports that match the command: each CLI command, run as its own process on a copy of the
sample vault, loads only the libraries it needs (`add` never loads the index, `search` never
loads networkx or a model runtime). Also: the CLI's command table matches what the command
modules register."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from journal_me.cli import COMMAND_TABLE, build_parser
from journal_me.commands import COMMAND_MODULES

REPO = Path(__file__).resolve().parents[2]

# what no quick command may load: the index and its scorer, the graph library, the TUI and
# every model runtime
HEAVY = {"numpy", "whoosh", "networkx", "textual", "llama_cpp", "torch", "transformers"}
FORBIDDEN: dict[str, set[str]] = {
    "--help": HEAVY | {"markdown_it", "journal_me.models", "journal_me.api"},
    "add": HEAVY | {"markdown_it", "journal_me.models"},
    "new": HEAVY | {"journal_me.models"},
    "init": HEAVY | {"journal_me.models"},
    "search": {"networkx", "textual", "llama_cpp", "torch", "transformers", "journal_me.models"},
}
# a search on an index that is up to date, on a vault the size of the sample: no markdown parser
# (nothing to parse), no progress bar (nothing to show), no numpy (Whoosh alone scores an index
# this small: memory/index.py FAST_PATH_MIN_DOCS), no dateparser (no date typed), no Rich (the
# results are styled lines: commands/styled.py), no YAML (no front matter read); and with the
# config file and data dir named by the environment and no config file there (as here), neither
# platformdirs nor tomllib; ctypes only for a save
QUIET_SEARCH = FORBIDDEN["search"] | {"numpy", "markdown_it", "rich", "dateparser", "yaml"}
QUIET_SEARCH |= {"platformdirs", "tomllib", "ctypes"}
# nor the multiprocessing index writer (a first index or a rebuild only): ~10 ms of imports
QUIET_SEARCH |= {"multiprocessing", "whoosh.multiproc", "journal_me.memory.parallel_writer"}
# doctor: what search loads, plus the checks of every command module (the model registry
# among them); none of them may load numpy/gguf (the trainer's preflight has no base to
# check) or a model runtime
DOCTOR = (QUIET_SEARCH - {"journal_me.models", "rich"}) | {"gguf", "trainer.gguf_base"}

RUNNER = """
import json, sys
from journal_me import cli
try:
    code = cli.main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
sys.stdout.flush()
tops = sorted({m for m in sys.modules} )
sys.stderr.write("\\nMODULES " + json.dumps(tops) + "\\n")
raise SystemExit(code or 0)
"""


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A copy of the sample vault, indexed once; the environment for commands on it."""
    root = tmp_path_factory.mktemp("imports")
    shutil.copytree(REPO / "vault", root / "vault", symlinks=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOURNAL_ME_", "VISUAL", "EDITOR"))}
    env.update(
        JOURNAL_ME_VAULT=str(root / "vault"),
        JOURNAL_ME_DATA_DIR=str(root / "data"),
        JOURNAL_ME_CONFIG=str(root / "config.toml"),
        EDITOR=shlex.join(
            [sys.executable, "-c", "import sys; open(sys.argv[1], 'a').write('more words\\n')"]
        ),
        HOME=str(root / "home"),
        JOURNAL_ME_ROOT=str(root),
    )
    _run(env, "index")
    return env


def _run(env: dict[str, str], *argv: str, stdin: str | None = None) -> tuple[set[str], str]:
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, *argv],
        env={k: v for k, v in env.items() if k != "JOURNAL_ME_ROOT"},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stderr.splitlines() if x.startswith("MODULES "))
    return set(json.loads(line[len("MODULES ") :])), proc.stdout


def _loaded(modules: set[str], names: set[str]) -> set[str]:
    return {n for n in names if n in modules or any(m.startswith(n + ".") for m in modules)}


def test_help_loads_no_command_module(sample: dict[str, str]) -> None:
    modules, out = _run(sample, "--help")
    assert "search" in out and "add" in out
    assert _loaded(modules, FORBIDDEN["--help"]) == set()


def test_add_loads_no_index(sample: dict[str, str]) -> None:
    modules, out = _run(sample, "add", "-", stdin="A quick line about the allotment.\n")
    assert out.startswith("added to ")
    assert _loaded(modules, FORBIDDEN["add"]) == set()
    # the next refresh indexes it
    _modules, found = _run(sample, "search", "allotment", "--json")
    assert any("allotment" in h["passage"].lower() for h in json.loads(found)["hits"])


def test_new_loads_no_index(sample: dict[str, str]) -> None:
    modules, out = _run(sample, "new", "--date", "2026-12-24")
    assert out.startswith("saved ")
    assert _loaded(modules, FORBIDDEN["new"]) == set()


def test_init_loads_no_index(sample: dict[str, str]) -> None:
    root = Path(sample["JOURNAL_ME_ROOT"])
    env = dict(sample, JOURNAL_ME_CONFIG=str(root / "init-config.toml"))
    modules, out = _run(env, "init", str(root / "fresh"))
    assert "created the journal folder" in out
    assert _loaded(modules, FORBIDDEN["init"]) == set()


def test_search_loads_only_search(sample: dict[str, str]) -> None:
    modules, out = _run(sample, "search", "running", "--json")
    assert json.loads(out)["hits"]
    assert "whoosh" in modules  # it does search
    assert _loaded(modules, FORBIDDEN["search"]) == set()
    # once the index is up to date (the run above indexed what earlier tests wrote)
    for argv in (["running", "--json"], ["when did I start running?"], ["knee", "--no-refresh"]):
        modules, out = _run(sample, "search", *argv)
        assert out.strip() and "no matches" not in out
        assert _loaded(modules, QUIET_SEARCH) == set(), argv


def test_search_on_a_terminal_loads_no_rich(sample: dict[str, str]) -> None:
    """Styled results (FORCE_COLOR: a terminal to Rich and to us) without Rich."""
    # files written seconds ago are "racily clean": read again, with a progress bar (Rich) on
    # a terminal; an hour old they are not
    old = time.time() - 3600
    for path in Path(sample["JOURNAL_ME_VAULT"]).rglob("*.md"):
        os.utime(path, (old, old))
    _run(sample, "search", "running")  # up to date
    modules, out = _run(dict(sample, FORCE_COLOR="1", COLUMNS="100"), "search", "running")
    assert "\x1b[1;33m" in out  # the query word highlighted
    assert _loaded(modules, QUIET_SEARCH) == set()


def test_search_after_an_edit_parses_it(sample: dict[str, str]) -> None:
    """The refresh still sees an edit: the markdown parser loads for the changed file only."""
    root = Path(sample["JOURNAL_ME_VAULT"])
    note = root / "quince-harvest.md"
    note.write_text("# Quince harvest\n\nPicked the zorbleberries with Dev today.\n", encoding="utf-8")
    modules, out = _run(sample, "search", "zorbleberries", "--json")
    assert [h["path"] for h in json.loads(out)["hits"]] == ["quince-harvest.md"]
    assert "markdown_it" in modules
    modules, out = _run(sample, "search", "zorbleberries", "--json")
    assert [h["path"] for h in json.loads(out)["hits"]] == ["quince-harvest.md"]
    assert _loaded(modules, QUIET_SEARCH) == set()


def test_doctor_loads_no_numpy_on_a_small_vault(sample: dict[str, str]) -> None:
    _run(sample, "search", "running")  # up to date
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, "doctor"],
        env={k: v for k, v in sample.items() if k != "JOURNAL_ME_ROOT"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    line = next(x for x in proc.stderr.splitlines() if x.startswith("MODULES "))
    modules = set(json.loads(line[len("MODULES ") :]))
    assert "search scorer: Whoosh alone" in proc.stdout, proc.stdout
    assert _loaded(modules, DOCTOR) == set()


def test_command_table_matches_the_modules() -> None:
    """Every command a module registers is in ``cli.COMMAND_TABLE`` with its module and help
    line (else `--help` would list it wrong and it would load every module)."""
    registered: dict[str, tuple[str, str]] = {}
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        sub = argparse.ArgumentParser().add_subparsers()
        module.register(sub)
        for action in sub._choices_actions:
            registered[action.dest] = (name, str(action.help))
    lines = "\n".join(f"    {c!r}: ({m.rsplit('.', 1)[1]}, {h!r})," for c, (m, h) in registered.items())
    assert registered == COMMAND_TABLE, f"update journal_me/cli.py COMMAND_TABLE to:\n{lines}"


def test_a_command_missing_from_the_table_still_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import journal_me.cli as cli

    monkeypatch.delitem(cli.COMMAND_TABLE, "entities")
    args = build_parser(["entities", "--json"]).parse_args(["entities", "--json"])
    assert args.json and callable(args.handler)
    # and a listed command gets its real parser, the others a name and help line only
    parser = build_parser(["search", "x"])
    assert callable(parser.parse_args(["search", "x"]).handler)


def test_date_order_applies_when_the_date_parser_loads_late(sample: dict[str, str]) -> None:
    """`add` loads the date parser only for --date; the configured order still applies."""
    root = Path(sample["JOURNAL_ME_ROOT"])
    config = root / "dmy-config.toml"
    config.write_text('date_order = "DMY"\n', encoding="utf-8")
    env = dict(sample, JOURNAL_ME_CONFIG=str(config))
    modules, out = _run(env, "add", "--date", "10/11/2026", "Bonfire by the river.")
    assert "journal_me.dates" in modules
    assert "(2026-11-10)" in out  # 10 November, not 11 October


def test_date_order_applies_in_process(sample: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """In a process that loaded the date parser already (the TUI, tests), at once."""
    import journal_me.cli as cli
    from journal_me import dates

    root = Path(sample["JOURNAL_ME_ROOT"])
    config = root / "ymd-config.toml"
    config.write_text('date_order = "MDY"\n', encoding="utf-8")
    for key in ("JOURNAL_ME_VAULT", "JOURNAL_ME_DATA_DIR"):
        monkeypatch.setenv(key, sample[key])
    monkeypatch.setenv("JOURNAL_ME_CONFIG", str(config))
    assert cli.main(["add", "--date", "10/11/2026", "Lanterns on the quay."]) == 0
    assert dates.parse_day("10/11/2026") == dt.date(2026, 10, 11)
    dates.configure(None, None)


def test_no_command_opens_the_tui(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import journal_me.tui as tui
    from journal_me.cli import main

    opened: list[object] = []
    monkeypatch.setattr(tui, "run_tui", lambda settings: opened.append(settings) or 0)
    monkeypatch.setenv("JOURNAL_ME_VAULT", str(tmp_path))
    assert main([]) == 0 and len(opened) == 1


def _command_help(parser: argparse.ArgumentParser, command: str) -> str:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    chosen = sub.choices[command]
    nested = [a for a in chosen._actions if isinstance(a, argparse._SubParsersAction)]
    return chosen.format_help() + "".join(p.format_help() for a in nested for p in a.choices.values())


def test_a_command_alone_gets_the_parser_it_gets_among_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line's command has its parser built alone (the module's other commands are
    skipped): the same options, defaults, handler and nested sub-commands as when every
    module registers everything."""
    monkeypatch.setenv("COLUMNS", "100")
    everything = build_parser(None)
    for command in COMMAND_TABLE:
        alone = build_parser([command])
        sub = next(a for a in alone._actions if isinstance(a, argparse._SubParsersAction))
        assert list(sub.choices) == [command]
        assert _command_help(alone, command) == _command_help(everything, command), command
    args = build_parser(["search", "x"]).parse_args(["search", "x", "--limit", "3"])
    assert args.limit == 3 and args.handler.__name__ == "cmd_search"
    args = build_parser(["peers", "list"]).parse_args(["peers", "list"])
    assert args.peers_cmd == "list" and callable(args.handler)
