"""A TextArea that never sends a control character to the terminal.

The text stays exactly as written (it is the file, or what will be copied): only what is
drawn changes. A C0/C1 control character (ESC, BEL, …) is drawn as its visible picture
(␛, ␇, …), so an entry holding an escape sequence cannot retitle, clear or write the
clipboard of the terminal, and the user sees that something odd is there."""

from __future__ import annotations

import re

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import TextArea

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␀…␟
    return "␡" if code == 0x7F else "\ufffd"


def visible_controls(text: str) -> str:
    """``text`` with each control character (but tab and newline) as a visible symbol."""
    return _CONTROL.sub(_picture, text)


class SafeTextArea(TextArea):
    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        if not any(_CONTROL.search(segment.text) for segment in strip):
            return strip
        segments = [
            Segment(visible_controls(s.text), s.style, s.control) if not s.control else s for s in strip
        ]
        return Strip(segments).crop(0, strip.cell_length)
