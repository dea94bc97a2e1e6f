"""A passage's text read back from its file instead of from the index.

A passage's text is its file lines (``line_start``..``line_end``) made readable
(:func:`journal_me.markup.readable_lines`, :func:`journal_me.markup.to_plain`, blank runs
squeezed): what :func:`journal_me.markup.split_passages` stores in ``Passage.text``. The index
used to store that text for every passage, ~0.6x the vault's markdown even compressed (issue 10:
the data dir must stay under 1x the vault's text). It now stores it only for a passage whose text
does not follow from its lines (a canvas, the front-matter passage of an entry with no body) and
reads the others back from the file when a search shows them: the file the refresh before the
search has just checked, a few hits each time.

A file changed since it was indexed (``search --no-refresh``, the TUI a moment before its watcher
catches up) is not read back: its bytes must still have the digest the index holds, or the
passage shows no text. The lines at the indexed span may now hold something else — text the
index never saw, perhaps in an entry that has since been marked private — so the read back fails
closed.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from journal_me.markup import Passage
    from journal_me.vault import Entry

CACHED_FILES = 128  # files kept split into lines (a search reads ~50 candidate passages)
CACHED_TEXTS = 4096  # passage texts kept (warm searches meet the same passages again)


def text_of(lines: list[str]) -> str:
    """A passage's text from its lines, as ``split_passages`` makes it."""
    from journal_me.markup import _BLANK_LINES_RE, readable_lines, to_plain

    raw = "\n".join(readable_lines(lines)).strip()
    return _BLANK_LINES_RE.sub("\n\n", to_plain(raw)).strip()


def follows_from_file(entry: Entry, passage: Passage) -> bool:
    """Whether ``passage``'s text is what :func:`text_of` gives for its file lines (then the
    index need not store it). A canvas's body is not its file's lines."""
    if entry.rel.lower().endswith(".canvas"):
        return False
    offset = entry.body_line_offset
    start, end = passage.line_start - 1 - offset, passage.line_end - offset
    lines = entry.body.split("\n")
    if not 0 <= start < end <= len(lines):
        return False
    return text_of(lines[start:end]) == passage.text


class FileLines:
    """Files split into lines the way the vault reads them (UTF-8, one line ending), the last
    :data:`CACHED_FILES` kept while their size and modification time stay the same."""

    def __init__(self) -> None:
        # path -> (stat stamp, sha256 of the bytes, lines)
        self._cache: OrderedDict[str, tuple[tuple[int, int], str, list[str]]] = OrderedDict()
        # (path, stamp, first line, last line) -> (sha256 of the file's bytes, passage text)
        self._texts: OrderedDict[tuple[str, tuple[int, int], int, int], tuple[str, str]] = OrderedDict()
        self._lock = Lock()

    def lines(self, path: Path, stamp: tuple[int, int] | None = None, digest: str | None = None) -> list[str]:
        """The file's lines; none when it cannot be read (gone, not text) or, with ``digest``,
        when its bytes no longer have that sha256 (changed since it was indexed)."""
        from journal_me.vault import EntryReadError, _decode

        key = str(path)
        if stamp is None:
            stamp = _stamp(path)
            if stamp is None:
                return []
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] == stamp:
                self._cache.move_to_end(key)
                return hit[2] if digest is None or hit[1] == digest else []
        try:
            data = path.read_bytes()
            lines = _decode(data).split("\n")
        except (OSError, EntryReadError):
            return []
        sha = hashlib.sha256(data).hexdigest()
        with self._lock:
            self._cache[key] = (stamp, sha, lines)
            while len(self._cache) > CACHED_FILES:
                self._cache.popitem(last=False)
        return lines if digest is None or sha == digest else []

    def passage(self, path: Path, line_start: int, line_end: int, digest: str | None = None) -> str:
        """The text of the passage at these file lines: "" when the file cannot be read or, with
        ``digest`` (the index's sha256 of the file), when the file changed since it was indexed."""
        stamp = _stamp(path)
        if stamp is None or line_start < 1 or line_end < line_start:
            return ""
        key = (str(path), stamp, line_start, line_end)
        with self._lock:
            # (kept with the digest of the bytes it was read from: a search shows passages of
            # more files than CACHED_FILES keeps split into lines)
            cached = self._texts.get(key)
            if cached is not None and digest in (None, cached[0]):
                self._texts.move_to_end(key)
                return cached[1]
        lines = self.lines(path, stamp, digest)
        text = text_of(lines[line_start - 1 : line_end]) if lines else ""
        if lines:
            with self._lock:
                file = self._cache.get(str(path))
                if file is not None and file[0] == stamp:
                    self._texts[key] = (file[1], text)
                    while len(self._texts) > CACHED_TEXTS:
                        self._texts.popitem(last=False)
        return text


def _stamp(path: Path) -> tuple[int, int] | None:
    """What tells a file's versions apart here: its size and modification time."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)
