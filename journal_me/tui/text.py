"""Rich ``Text`` built from journal text. Journal text is never parsed as markup: it goes in
as plain text and is styled by character offsets (``Text.stylize``), so ``[[Sam]]`` or
``[bold]`` written in an entry shows exactly as written. Escape sequences and control
characters are removed (``termsafe.clean``): an entry cannot retitle or clear the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text

from journal_me.snippet import snippet
from journal_me.termsafe import clean

if TYPE_CHECKING:
    from journal_me.api import Hit


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
