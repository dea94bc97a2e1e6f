"""Which of an entry's entity names each of its passages contains, in time that does not grow
with the vault.

An entry's names (``EntityGraph.entity_names``: every surface form of every entity it names)
grow with the vault: real notes link the same people and topics under many spellings, ~525
names an entry at 1k real-style notes, ~1,430 at 3k. Checking each name against each passage
(``entities.names_in``) made a first index O(n²). :class:`NameScanner` gives the same answer
from the passage's words: a name that starts with a word character can occur as a whole word
only where the passage has a word equal to the name's first word, so only those names are
checked (with ``names_in``'s own test); names that start otherwise are checked as before.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

_RUN = re.compile(r"\w+")


@functools.lru_cache(maxsize=65536)
def _first_word(surface: str) -> str | None:
    first = _RUN.match(surface)
    return first.group() if first is not None else None


class NameScanner:
    """``entities.names_in(text, names)`` for many texts and one ``names`` (lower surface form ->
    canonical name), the same list in the same order."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self._names = names
        self._by_first: dict[str, list[int]] = {}  # first word of a name -> positions in names
        self._other: list[int] = []  # names that do not start with a word character
        self._items = list(names.items())
        for i, (surface, _) in enumerate(self._items):
            if not surface:
                continue
            first = _first_word(surface)
            if first is None:
                self._other.append(i)
            else:
                self._by_first.setdefault(first, []).append(i)

    def __call__(self, text: str) -> list[str]:
        if not self._items:
            return []
        low = text.lower()
        picked = list(self._other)
        by_first = self._by_first
        for word in set(_RUN.findall(low)):
            found = by_first.get(word)
            if found is not None:
                picked.extend(found)
        if not picked:
            return []
        items = self._items
        named = [items[i][1] for i in sorted(set(picked)) if _whole_word_in(low, items[i][0])]
        return list(dict.fromkeys(named))


def _word_char(c: str) -> bool:
    r"""``re``'s ``\w`` for one character (equal for every code point: tested)."""
    return c.isalnum() or c == "_"


def _whole_word_in(low: str, surface: str) -> bool:
    """``entities.names_in``'s test without a regex: ``surface`` occurs in ``low`` not inside
    a longer word (``_whole_word(surface).search(low)``). A first index met thousands of
    distinct names and compiled a pattern for each (the pattern cache holds 4,096)."""
    if not surface:
        return False
    i = low.find(surface)
    if i < 0:
        return False
    n, end = len(surface), len(low)
    head, tail = _word_char(surface[0]), _word_char(surface[-1])
    while i >= 0:
        if (not head or i == 0 or not _word_char(low[i - 1])) and (
            not tail or i + n == end or not _word_char(low[i + n])
        ):
            return True
        i = low.find(surface, i + 1)
    return False
