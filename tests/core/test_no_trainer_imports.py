"""The core (``journal_me`` minus the TUI) never imports ``trainer`` at module level: the
trainer pulls in torch and the training stack, which the everyday commands must not pay for.
A function may import a trainer module when it runs (``doctor --smoke`` builds a tiny GGUF);
the old ``journal_me.llm.tiny_gguf`` re-export broke this and is gone."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "journal_me"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, module) of every import that runs when the module is imported."""
    found: list[tuple[int, str]] = []
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            todo += node.body + node.orelse
        elif isinstance(node, ast.Try):
            todo += node.body + node.orelse + node.finalbody
            for handler in node.handlers:
                todo += handler.body
        elif isinstance(node, ast.With):
            todo += node.body
    return found


def core_modules_importing_trainer(root: Path = CORE) -> list[str]:
    offenders: list[str] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent)
        if rel.parts[:2] == ("journal_me", "tui"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        offenders += [
            f"{rel}:{line} imports {module}"
            for line, module in _module_level_imports(tree)
            if module == "trainer" or module.startswith("trainer.")
        ]
    return offenders


def test_core_never_imports_trainer_at_module_level() -> None:
    assert core_modules_importing_trainer() == []


def test_the_check_sees_a_module_level_trainer_import(tmp_path: Path) -> None:
    pkg = tmp_path / "journal_me"
    (pkg / "llm").mkdir(parents=True)
    (pkg / "llm" / "shim.py").write_text("from trainer.tiny_gguf import build_tiny_gguf\n")
    (pkg / "lazy.py").write_text("def f():\n    from trainer import tiny\n")
    (pkg / "guarded.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import trainer.state\n"
    )
    (pkg / "tried.py").write_text("try:\n    import trainer.nightly\nexcept ImportError:\n    pass\n")
    assert core_modules_importing_trainer(pkg) == [
        "journal_me/llm/shim.py:1 imports trainer.tiny_gguf",
        "journal_me/tried.py:2 imports trainer.nightly",
    ]


def test_the_deprecated_tiny_gguf_path_is_gone() -> None:
    assert importlib.util.find_spec("journal_me.llm.tiny_gguf") is None


def test_the_tiny_gguf_fixtures_load_no_torch() -> None:
    """``doctor --smoke`` imports trainer.tiny_gguf at run time: numpy only, no torch."""
    code = (
        "import sys\n"
        "import trainer.tiny_gguf\n"
        "print(sorted(m for m in ('torch', 'transformers', 'peft', 'trl') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
