"""A search hit's passage as one styled line: a window around the first highlight, for the
CLI's `search` and the TUI's result lists alike.

Journal text is never parsed as markup: it goes into a Rich ``Text`` as plain text and the
highlights are styled by offset. Escape sequences and control characters are removed first
(an entry must not drive the terminal), with the offsets mapped so highlights stay on their
words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from journal_me.termsafe import clean_with_offsets

if TYPE_CHECKING:  # (Rich loads when a Text is asked for: the CLI's search prints without it)
    from rich.style import Style
    from rich.text import Text

__all__ = ["snippet", "snippet_spans"]


def snippet(
    passage: str,
    spans: Sequence[tuple[int, int]],
    *,
    width: int = 360,
    style: str | Style = "bold reverse",
) -> Text:
    """A window of ``passage`` (at most ``width`` characters) around its first highlight,
    starting on a word, newlines and tabs folded to spaces, ``spans`` styled."""
    from rich.text import Text

    shown, styled = snippet_spans(passage, spans, width=width)
    text = Text(shown)
    for a, b in styled:
        text.stylize(style, a, b)
    return text


def snippet_spans(
    passage: str, spans: Sequence[tuple[int, int]], *, width: int = 360
) -> tuple[str, list[tuple[int, int]]]:
    """The text :func:`snippet` shows and the character spans in it to style."""
    start = 0
    if spans and spans[0][0] > width // 2:
        start = max(0, spans[0][0] - 60)
        while start > 0 and not passage[start - 1].isspace():
            start -= 1
    end = min(len(passage), start + width)
    shown, at = clean_with_offsets(passage[start:end])
    shown = shown.replace("\n", " ").replace("\t", " ")
    text = ("…" if start else "") + shown + ("…" if end < len(passage) else "")
    shift = 1 if start else 0
    styled = [(at[a - start] + shift, at[b - start] + shift) for a, b in spans if start <= a < b <= end]
    return text, styled
