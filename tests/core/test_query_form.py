"""The retriever's query form and its one translation to Whoosh (memory/index.py)."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from whoosh import query as wq

from journal_me.memory import query as qf
from journal_me.memory.index import to_whoosh

ROOT = Path(__file__).resolve().parents[2]


def test_every_clause_becomes_the_whoosh_query_it_names() -> None:
    start = dt.datetime(2026, 1, 1)
    form = qf.AllOf(
        (
            qf.Term("kind", "passage"),
            qf.Not(qf.Term("private", True)),
            qf.DateRange("date", start, None),
            qf.AnyOf((qf.Term("tags", "work"), qf.Prefix("tags", "work/"))),
            qf.AnyOf((qf.Term("body", "run"), qf.Term("title", "run", boost=2.5))),
        )
    )
    assert to_whoosh(form) == wq.And(
        [
            wq.Term("kind", "passage"),
            wq.Not(wq.Term("private", True)),
            wq.DateRange("date", start, None),
            wq.Or([wq.Term("tags", "work"), wq.Prefix("tags", "work/")]),
            wq.Or([wq.Term("body", "run"), wq.Term("title", "run", boost=2.5)]),
        ]
    )
    assert to_whoosh(qf.Everything()) == wq.Every()
    raw = wq.Term("body", "x")
    assert to_whoosh(raw) is raw  # a Whoosh query passes through (the index's own tests)
    with pytest.raises(TypeError):
        to_whoosh("body:x")  # type: ignore[arg-type]


def test_only_the_index_modules_import_whoosh() -> None:
    """memory/index.py hides Whoosh: the retriever and the rest of the core build the form."""
    allowed = {"index.py", "whoosh_import.py", "vectorsearch.py", "compact_codec.py", "fast_writer.py"}
    allowed |= {"parallel_writer.py"}  # the index's multiprocessing writer, apart from search's imports
    leaks = []
    for path in sorted([*(ROOT / "journal_me").rglob("*.py"), *(ROOT / "trainer").rglob("*.py")]):
        if path.parent.name == "memory" and path.name in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            leaks += [
                f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n.split(".")[0] == "whoosh"
            ]
    assert not leaks, "\n".join(leaks)
