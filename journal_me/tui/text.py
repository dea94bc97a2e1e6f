"""Rich ``Text`` built from journal text. Journal text is never parsed as markup: it goes in
as plain text and is styled by character offsets (``Text.stylize``), so ``[[Sam]]`` or
``[bold]`` written in an entry shows exactly as written. Escape sequences and control
characters are removed (``termsafe.clean``): an entry cannot retitle or clear the terminal."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text

from journal_me.termsafe import clean

if TYPE_CHECKING:
    from journal_me.api import Hit


def snippet(
    passage: str,
    spans: Sequence[tuple[int, int]],
    *,
    width: int = 360,
    style: str | Style = "bold reverse",
) -> Text:
    """A window of ``passage`` around its first highlight, newlines folded, highlights styled."""
    start = 0
    if spans and spans[0][0] > width // 2:
        start = max(0, spans[0][0] - 60)
        while start > 0 and not passage[start - 1].isspace():
            start -= 1
    end = min(len(passage), start + width)
    # cut at the highlights' edges and clean each piece, so offsets stay right
    cuts = sorted({start, end, *(x for a, b in spans for x in (a, b) if start <= x <= end)})
    marked = [(a, b) for a, b in spans if a >= start and b <= end and a < b]
    text = Text("…" if start else "")
    for a, b in itertools.pairwise(cuts):
        piece = clean(passage[a:b]).replace("\n", " ").replace("\t", " ")
        inside = any(x <= a and b <= y for x, y in marked)
        text.append(piece, style=style if inside else None)
    if end < len(passage):
        text.append("…")
    return text


def one_line(text: str) -> str:
    """Journal text for a one-line label: no escape sequences, no line breaks."""
    return clean(text).replace("\n", " ").replace("\t", " ")


def hit_prompt(hit: Hit, *, highlight: str | Style = "bold reverse") -> Text:
    """Two or more lines for a search result: date · title · path:line, then the snippet."""
    head = Text(no_wrap=True, overflow="ellipsis")
    head.append(hit.entry.date.isoformat(), style="bold")
    head.append("  ")
    head.append(one_line(hit.entry.title or hit.entry.rel), style="bold")
    head.append(f"  {one_line(hit.entry.rel)}:{hit.line_start}", style="dim")
    if hit.entry.tags:
        head.append("  " + one_line(" ".join(f"#{t}" for t in hit.entry.tags[:4])), style="dim italic")
    return Text.assemble(head, "\n", snippet(hit.passage, hit.highlights, style=highlight))
