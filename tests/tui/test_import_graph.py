"""The TUI's modules import each other in one direction: no cycle, not even one held together
by an import inside a function (those run at run time too). Imports under
``if TYPE_CHECKING:`` are for annotations only and do not count."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import journal_me.tui

TUI = Path(journal_me.tui.__file__).parent
PACKAGE = "journal_me.tui"


def _module_name(path: Path) -> str:
    rel = path.relative_to(TUI).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join([PACKAGE, *parts])


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _run_time_imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every module imported when the code runs (top level and inside functions)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            # "from package import module" imports the submodule
            found.update(f"{target}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, set[str]]:
    files = sorted(TUI.rglob("*.py"))
    modules = {_module_name(path): path for path in files}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        imports = _run_time_imports(tree, name, path.name == "__init__.py")
        # a package's own submodules are loaded from it: an edge up to it is no cycle
        graph[name] = {
            target
            for target in imports
            if target in modules and target != name and not name.startswith(target + ".")
        }
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_reports_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_graph_sees_function_level_imports() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from journal_me.tui.app import JournalMeApp\n"
        "def f():\n    from journal_me.tui.modes import MODE_SPECS\n"
    )
    found = _run_time_imports(tree, "journal_me.tui.keys", is_package=False)
    assert "journal_me.tui.modes" in found
    assert "journal_me.tui.app" not in found


def test_tui_modules_import_without_cycles() -> None:
    graph = import_graph()
    assert "journal_me.tui.screens.training" in graph
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


@pytest.mark.parametrize("module", sorted(import_graph()))
def test_each_tui_module_imports_alone(module: str) -> None:
    """Each module imports first in a fresh interpreter (no import order hides a cycle)."""
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]


# -- the door between the TUI and the core ---------------------------------------------------
# The TUI calls the core's public API (journal_me.api's Journal and the feature modules); the
# vault, the memory (index, graph, retrieval) and the model store's internals are the core's.
CORE_INTERNALS = (
    "journal_me.vault",
    "journal_me.memory",
    "journal_me.statcache",
    "journal_me.markup",
    "journal_me.front_matter",
    "journal_me.privacy",
    "journal_me.guards",
    "journal_me.models.",  # the package's own names (ModelRegistry…) are public
    "journal_me.llm.gguf",
)
JOURNAL_INTERNALS = {"vault", "index", "graph", "retriever", "_vault", "_index", "_graph", "_retriever"}


def _internal(target: str) -> bool:
    for p in CORE_INTERNALS:
        if p.endswith("."):  # a package's submodules, not the names it exports
            if target.startswith(p) and importlib.util.find_spec(target) is not None:
                return True
        elif target == p or target.startswith(p + "."):
            return True
    return False


def _reaches_into_journal(tree: ast.AST) -> list[str]:
    """``journal.vault.x``, ``self.jm.journal.index``…: a Journal's parts used from outside."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in JOURNAL_INTERNALS:
            base = node.value
            name = (
                base.id
                if isinstance(base, ast.Name)
                else base.attr
                if isinstance(base, ast.Attribute)
                else ""
            )
            if name.endswith("journal"):
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_contract_checks_see_a_leak() -> None:
    tree = ast.parse(
        "def f(jm):\n    from journal_me.vault import sha\n    return jm.journal.index.manifest()\n"
    )
    assert any(_internal(t) for t in _run_time_imports(tree, "journal_me.tui.x", is_package=False))
    assert _reaches_into_journal(tree) == ["line 3: jm.journal.index"]
    ok = ast.parse("from journal_me.models import ModelRegistry\ndef f(s):\n    return s.vault / 'x'\n")
    assert not any(_internal(t) for t in _run_time_imports(ok, "journal_me.tui.x", is_package=False))
    assert _reaches_into_journal(ok) == []


def test_tui_uses_only_the_core_public_api() -> None:
    leaks = []
    for path in sorted(TUI.rglob("*.py")):
        name = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        leaks += [
            f"{name} imports {t}"
            for t in sorted(_run_time_imports(tree, name, path.name == "__init__.py"))
            if _internal(t)
        ]
        leaks += [f"{name} {where}" for where in _reaches_into_journal(tree)]
    assert not leaks, "\n".join(leaks)


def test_core_never_imports_the_tui_or_textual() -> None:
    """The core (journal_me minus tui, and trainer) runs without Textual; only the CLI's
    launcher imports the TUI, inside the function that starts it."""
    root = TUI.parents[1]
    leaks = []
    for path in sorted([*(root / "journal_me").rglob("*.py"), *(root / "trainer").rglob("*.py")]):
        if TUI in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            targets = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for target in targets:
                if target.split(".")[0] == "textual" or target.startswith(PACKAGE):
                    allowed = path.name == "cli.py" and target == PACKAGE and node.col_offset > 0
                    if not allowed:
                        leaks.append(f"{path.relative_to(root)}:{node.lineno} imports {target}")
    assert not leaks, "\n".join(leaks)


def test_journal_parts_are_private_and_nothing_outside_api_reaches_in(sample_journal: object) -> None:
    """``Journal`` keeps its vault, index, graph and retriever to itself: callers get
    operations (``read_bytes``, ``entries``, ``term_idf``…), not its parts."""
    for name in sorted(JOURNAL_INTERNALS - {f"_{n}" for n in JOURNAL_INTERNALS}):
        assert not hasattr(sample_journal, name), name
    root = TUI.parents[1]
    leaks = []
    for path in sorted([*(root / "journal_me").rglob("*.py"), *(root / "trainer").rglob("*.py")]):
        if path == root / "journal_me" / "api.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        leaks += [f"{path.relative_to(root)} {where}" for where in _reaches_into_journal(tree)]
    assert not leaks, "\n".join(leaks)
