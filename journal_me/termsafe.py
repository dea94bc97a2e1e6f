"""Make untrusted text safe to print on a terminal.

Entry titles, file names, passages and model replies come from files anyone could have
written (a synced vault, an imported export). Printed raw, an escape sequence in them is
obeyed by the terminal: OSC 52 writes the clipboard, OSC 8 forges links, CSI moves the
cursor and rewrites what was shown, DCS/APC talk to tmux or the terminal itself.

``clean`` removes every escape sequence (7-bit and 8-bit forms: CSI, OSC, DCS, SOS, PM, APC
and the short ``ESC x`` ones) and every C0/C1 control character except newline and tab.
A string sequence runs to its terminator as a terminal would read it (OSC: BEL or ST;
DCS/SOS/PM/APC: ST). An unterminated OSC loses only its introducer, so the rest shows as
plain text; an unterminated DCS/SOS/PM/APC runs to the end of the text.
``\\r\\n`` becomes ``\\n``; a lone ``\\r`` (which would let a line overwrite itself) goes.
"""

from __future__ import annotations

import re

__all__ = ["clean", "clean_line", "clean_with_offsets"]

_ST = r"(?:\x1b\\|\x9c)"
_SEQUENCES = re.compile(
    # OSC: ends with BEL or ST.
    r"(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|" + _ST + r")"
    # DCS, SOS, PM, APC: end with ST. Inside, a doubled ESC is tmux passthrough's escaped
    # ESC (and BEL belongs to a wrapped OSC), so only ESC \\ or 8-bit ST ends them; left
    # open, they run to the end of the text (as a terminal would swallow it; and one scan).
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])(?:[^\x1b\x9c]|\x1b[^\\])*+(?:" + _ST + r"|\Z)|"
    # CSI: parameters, intermediates, a final byte.
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    # Any other escape: intermediates then one final byte (ESC 7, ESC ( B, ESC c, …).
    r"|\x1b[ -/]*[0-~]"
)
# What is left after the sequences: C0 (but \t, \n), DEL, C1, and stray ESC/introducers.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CRLF = re.compile(r"\r\n")


def clean(text: str) -> str:
    """``text`` without terminal control characters or escape sequences (keeps \\n, \\t)."""
    if text.isprintable():  # the common case: nothing to do (and fast)
        return text
    text = _CRLF.sub("\n", text)
    text = _SEQUENCES.sub("", text)
    return _CONTROLS.sub("", text)


_UNSAFE = re.compile(_SEQUENCES.pattern + "|" + _CONTROLS.pattern)


def clean_with_offsets(text: str) -> tuple[str, list[int]]:
    """``clean(text)`` and, for each offset 0…len(text) of ``text``, the matching offset in
    the result (for highlight spans computed on the raw text)."""
    if text.isprintable():
        return text, list(range(len(text) + 1))
    parts: list[str] = []
    offsets: list[int] = []
    pos = out = 0
    for match in _UNSAFE.finditer(text):
        kept = text[pos : match.start()]
        parts.append(kept)
        offsets.extend(range(out, out + len(kept)))
        out += len(kept)
        offsets.extend([out] * (match.end() - match.start()))
        pos = match.end()
    kept = text[pos:]
    parts.append(kept)
    offsets.extend(range(out, out + len(kept) + 1))
    return "".join(parts), offsets


def clean_line(text: str) -> str:
    """``clean`` for one-line output (a title, a file name): newlines and tabs become spaces."""
    return clean(text).replace("\n", " ").replace("\t", " ")
