"""The retriever's own query form: what to look for in the journal's index (its fields,
words, dates), not Whoosh's classes. :mod:`journal_me.memory.index` turns it into a Whoosh
query (:func:`journal_me.memory.index.to_whoosh`); nothing else knows the index is Whoosh.

>>> AnyOf((Term("body", "run"), Term("title", "run", boost=2.0)))
AnyOf(clauses=(Term(field='body', text='run', boost=1.0), Term(field='title', text='run', boost=2.0)))
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["AllOf", "AnyOf", "Clause", "DateRange", "Everything", "Not", "Prefix", "Term"]


@dataclass(frozen=True)
class Term:
    """Documents whose ``field`` holds ``text`` (an analysed word, a tag, a flag)."""

    field: str
    text: str | bool
    boost: float = 1.0


@dataclass(frozen=True)
class Prefix:
    """Documents with a word of ``field`` that starts with ``text`` (nested tags: ``work/``)."""

    field: str
    text: str


@dataclass(frozen=True)
class DateRange:
    """Documents dated from ``start`` to ``end`` (inclusive; None: open on that side)."""

    field: str
    start: dt.datetime | None
    end: dt.datetime | None


@dataclass(frozen=True)
class AnyOf:
    """Any of the clauses; the scores of those that match add up (BM25F over fields)."""

    clauses: tuple[Clause, ...]


@dataclass(frozen=True)
class AllOf:
    """Every clause (a filter)."""

    clauses: tuple[Clause, ...]


@dataclass(frozen=True)
class Not:
    clause: Clause


@dataclass(frozen=True)
class Everything:
    """Every document (a question that is only a period: "what happened in May?")."""


Clause = Term | Prefix | DateRange | AnyOf | AllOf | Not | Everything
