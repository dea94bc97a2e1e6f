"""Styled lines for a one-shot command's output without Rich (its import was a sixth of a
one-shot `journal-me search` on the sample vault): the search results' few styles (bold,
dim, a colour) as ANSI SGR codes, word-wrapped to the terminal's width.

What Rich decides, decided the same way: styles only on a terminal (``TTY_COMPATIBLE=1`` or a
non-empty ``FORCE_COLOR`` says it is one, ``TTY_COMPATIBLE=0`` that it is not), none on a
``dumb`` terminal, no colours (bold and dim stay) with ``NO_COLOR``; the width from
``COLUMNS``, else the terminal's, else 80. On a pipe or a file: plain lines, not wrapped (a
long passage stays one line for grep). Text is printed as given: callers clean what came
from a file (:func:`journal_me.termsafe.clean`).
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Sequence
from typing import TextIO

__all__ = ["Lines", "Segment", "is_terminal"]

Segment = tuple[str, str | None]  # text, style ("bold cyan", "dim"…; None: plain)

_ATTRIBUTES = {"bold": "1", "dim": "2", "italic": "3", "underline": "4", "reverse": "7"}
_COLOURS = {"black": "30", "red": "31", "green": "32", "yellow": "33", "blue": "34"}
_COLOURS |= {"magenta": "35", "cyan": "36", "white": "37"}


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` takes escape sequences (Rich's ``Console.is_terminal``)."""
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    force = os.environ.get("FORCE_COLOR")
    if force is not None:
        return force != ""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def cells(text: str) -> int:
    """Terminal columns ``text`` takes (wide East Asian characters two, combining marks none)."""
    if text.isascii():
        return len(text)
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


class Lines:
    """Writes lines of styled segments to ``stream`` (stdout by default)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        terminal = is_terminal(self.stream)
        self.styled = terminal and os.environ.get("TERM", "").lower() not in ("dumb", "unknown")
        self.colour = self.styled and os.environ.get("NO_COLOR", "") == ""
        self.width: int | None = self._width() if terminal else None

    def _width(self) -> int:
        try:
            columns = int(os.environ.get("COLUMNS", ""))
            if columns > 0:
                return columns
        except ValueError:
            pass
        try:
            return os.get_terminal_size(self.stream.fileno()).columns or 80
        except (AttributeError, ValueError, OSError):
            return 80

    def _sgr(self, style: str | None) -> str:
        if not style or not self.styled:
            return ""
        codes = [
            _ATTRIBUTES.get(word) or (_COLOURS.get(word) if self.colour else None) for word in style.split()
        ]
        found = [c for c in codes if c]
        return f"\x1b[{';'.join(found)}m" if found else ""

    def write(self, segments: Sequence[Segment] = ()) -> None:
        """One logical line (wrapped at the terminal's width on a terminal)."""
        text = "".join(t for t, _ in segments)
        styles: list[tuple[int, int, str]] = []
        at = 0
        for part, style in segments:
            code = self._sgr(style)
            if code and part:
                styles.append((at, at + len(part), code))
            at += len(part)
        rows = _wrap(text, self.width) if self.width else [(0, len(text))]
        self.stream.write("\n".join(self._render(text, a, b, styles) for a, b in rows) + "\n")

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]], shrink: Sequence[int] = ()) -> None:
        """Rows in columns. On a pipe or a file: tab-separated lines, a header first, nothing cut
        (for ``cut``, ``sort``, ``grep``). On a terminal: each column as wide as its widest cell,
        a bold header, and the ``shrink`` columns (in that order) cut with "…" until a row fits
        the width. Cells are printed as given (callers clean them) and hold no tab or newline."""
        if self.width is None:
            self.stream.writelines("\t".join(row) + "\n" for row in (header, *rows))
            return
        widths = [cells(h) for h in header]
        for row in rows:
            widths = [max(w, cells(c)) for w, c in zip(widths, row, strict=True)]
        over = sum(widths) + 2 * (len(widths) - 1) - self.width
        for i in shrink:
            cut = min(over, widths[i] - max(cells(header[i]), 8))
            if cut > 0:
                widths[i] -= cut
                over -= cut
        bold = self._sgr("bold")
        head = "  ".join(_fit(h, w) for h, w in zip(header, widths, strict=True)).rstrip()
        self.stream.write(f"{bold}{head}\x1b[0m\n" if bold else head + "\n")
        self.stream.writelines(
            "  ".join(_fit(c, w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n" for row in rows
        )

    @staticmethod
    def _render(text: str, start: int, end: int, styles: list[tuple[int, int, str]]) -> str:
        out: list[str] = []
        at = start
        for a, b, code in styles:
            a, b = max(a, start), min(b, end)
            if a >= b:
                continue
            out.append(text[at:a])
            out.append(f"{code}{text[a:b]}\x1b[0m")
            at = b
        out.append(text[at:end])
        return "".join(out)


def _fit(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` columns, or cut to them with "…"."""
    used = cells(text)
    if used <= width:
        return text + " " * (width - used)
    out, used = [], 0
    for ch in text:
        w = 0 if unicodedata.combining(ch) else cells(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…" + " " * (width - 1 - used)


def _wrap(text: str, width: int) -> list[tuple[int, int]]:
    """(start, end) of each row of ``text`` wrapped at spaces to ``width`` columns (a word
    longer than a row is cut); the space a row breaks at is dropped."""
    if cells(text) <= width:
        return [(0, len(text))]
    rows: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        used, i, last_space = 0, start, -1
        while i < len(text):
            w = cells(text[i])
            if used + w > width:
                break
            if text[i] == " ":
                last_space = i
            used += w
            i += 1
        if i >= len(text):
            rows.append((start, len(text)))
            break
        if text[i] == " ":
            rows.append((start, i))
            start = i + 1
        elif last_space > start:
            rows.append((start, last_space))
            start = last_space + 1
        else:
            rows.append((start, max(i, start + 1)))  # one word wider than the row: cut
            start = max(i, start + 1)
    return rows
