"""Journal markup: front matter, [[wikilinks]], #tags, @mentions, passages.

Parsing follows Obsidian conventions. Link, tag and mention patterns run only over inline
text (markdown-it inline tokens, with `code spans` removed), so fenced and indented code is
never mistaken for tags. A tag needs a non-digit: ``#2024`` is not a tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt

# [[target#heading|alias]]: the target may be empty ([[#Heading]] is a heading of the same
# note); inside tables Obsidian escapes the pipe ([[X\|Y]]), so a "\" before "|" is dropped.
WIKILINK_RE = re.compile(r"\[\[([^\[\]|#^]*)(?:[#^][^\[\]|]*)?(?:\|([^\[\]]+))?\]\]")
# Files Obsidian embeds with ![[...]] that are not notes: images, audio, video, PDF.
ATTACHMENT_EXTENSIONS = frozenset(
    {
        *("png", "jpg", "jpeg", "gif", "bmp", "svg", "webp", "avif", "heic", "tif", "tiff", "ico"),
        *("mp3", "wav", "m4a", "ogg", "3gp", "flac", "aac", "opus"),
        *("webm", "mp4", "mov", "ogv", "mkv", "avi", "m4v", "pdf"),
    }
)
# A tag: '#' not preceded by a word char, '&' (HTML entities), another '#' (headings are
# block tokens anyway) or a backslash (``\#not-a-tag`` is escaped, as in Obsidian); body of
# letters, digits, _ - / with at least one non-digit.
TAG_RE = re.compile(r"(?<![\w&#/\\])#([\w][\w/-]*)", re.UNICODE)
MENTION_RE = re.compile(r"(?<![\w@.])@([A-Za-z][\w]*(?:[-.][A-Za-z]\w*)*)")
CODE_SPAN_RE = re.compile(r"(`+)(?:.|\n)*?\1")
MD_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
EMPHASIS_RE = re.compile(r"(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1")
HEADING_RE = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)
DATE_IN_NAME_RE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")

PASSAGE_TARGET_CHARS = 500
PASSAGE_MAX_CHARS = 1000


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    return MarkdownIt("commonmark")


def normalise_tag(raw: str) -> str | None:
    """Lower-case a tag, strip '#' and trailing separators; None if it is all digits."""
    tag = raw.strip().lstrip("#").rstrip("/-").lower()
    if not tag or tag.replace("/", "").replace("-", "").replace("_", "").isdigit():
        return None
    if not any(not c.isdigit() for c in tag.replace("/", "")):
        return None
    return tag


def coerce_list(value: Any) -> list[str]:
    """Front-matter lists arrive as YAML lists, comma strings or space strings."""
    if value is None:
        return []
    if isinstance(value, str):
        parts = re.split(r"[,\s]+", value) if "," not in value else value.split(",")
        return [p.strip() for p in parts if p.strip()]
    if isinstance(value, list | tuple | set):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [str(value).strip()]


@dataclass(frozen=True)
class InlineMarkup:
    tags: tuple[str, ...]
    links: tuple[tuple[str, str | None], ...]  # (target, alias)
    mentions: tuple[str, ...]
    first_heading: str | None


def inline_markup(body: str) -> InlineMarkup:
    """Tags, links and mentions found in the inline text of a markdown body."""
    tokens = _md().parse(body)
    tags: dict[str, None] = {}
    links: dict[tuple[str, str | None], None] = {}
    mentions: dict[str, None] = {}
    first_heading: str | None = None
    in_heading = False
    for tok in tokens:
        if tok.type == "heading_open":
            in_heading = True
            continue
        if tok.type == "heading_close":
            in_heading = False
            continue
        if tok.type != "inline":
            continue
        text = CODE_SPAN_RE.sub(" ", tok.content)
        if in_heading and first_heading is None:
            first_heading = to_plain(text).strip() or None
        for m in WIKILINK_RE.finditer(text):
            target, alias = wikilink_parts(m)
            if target and not is_attachment(target):
                links[(target, alias)] = None
        stripped = WIKILINK_RE.sub(" ", text)
        stripped = MD_LINK_RE.sub(lambda mm: mm.group(1), stripped)
        stripped = re.sub(r"https?://\S+", " ", stripped)
        for m in TAG_RE.finditer(stripped):
            tag = normalise_tag(m.group(1))
            if tag:
                tags[tag] = None
        for m in MENTION_RE.finditer(stripped):
            mentions[m.group(1)] = None
    return InlineMarkup(tuple(tags), tuple(links), tuple(mentions), first_heading)


def is_attachment(target: str) -> bool:
    """``x.png``, ``voice memo.m4a``: a file that is not a note (never a link or a topic)."""
    _stem, dot, ext = target.rpartition(".")
    return bool(dot) and ext.lower() in ATTACHMENT_EXTENSIONS


def wikilink_parts(m: re.Match[str]) -> tuple[str, str | None]:
    """(target, alias) of a WIKILINK_RE match; the target is "" for [[#Heading]]."""
    target = m.group(1).rstrip("\\").strip()  # [[X\|Y]] in a table: the target is X
    alias = m.group(2).strip() if m.group(2) else None
    return target, alias or None


def _wikilink_label(m: re.Match[str]) -> str:
    """What a reader sees for a link: its alias, else the note, else the heading; nothing
    for an embedded image, sound, video or PDF."""
    target, alias = wikilink_parts(m)
    if target and is_attachment(target):
        return "" if m.group(0).startswith("!") else target
    if alias:
        return alias
    if target:
        return target
    subpath = m.group(0).lstrip("!")[2:-2].split("|", 1)[0].lstrip("#")
    return "" if subpath.startswith("^") else subpath.replace("#", " ").strip()  # ^block ids


_EMBED_OR_LINK_RE = re.compile(r"!?" + WIKILINK_RE.pattern)


def to_plain(markdown: str) -> str:
    """Markdown inline syntax to readable text: links to their labels, no emphasis marks,
    no embedded images or audio."""
    text = _EMBED_OR_LINK_RE.sub(lambda m: _wikilink_label(m), markdown)
    text = MD_LINK_RE.sub(lambda m: m.group(1), text)
    text = HEADING_RE.sub("", text)
    for _ in range(2):
        text = EMPHASIS_RE.sub(lambda m: m.group(2), text)
    return text


_BLANK_LINES_RE = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_FENCE_LINE_RE = re.compile(r"^\s{0,3}(?:`{3,}|~{3,})")
_QUOTE_MARKS_RE = re.compile(r"^\s{0,3}(?:>[ \t]?)+")
_CALLOUT_RE = re.compile(r"^\s{0,3}(?:>[ \t]?)+\s*\[!([^\]\s]+)\][+-]?[ \t]*(.*)$")


def readable_lines(lines: list[str]) -> list[str]:
    """Block syntax a reader does not need in a snippet: fence lines (```python) go, the
    code stays; a callout (``> [!tip]- Title``) reads "Tip: Title" and its body loses the
    ``>`` marks. Line for line (fence lines become blank), so spans stay true."""
    out: list[str] = []
    in_callout = False
    for line in lines:
        callout = _CALLOUT_RE.match(line)
        if callout:
            kind = re.sub(r"[-_]+", " ", callout.group(1)).strip().capitalize()
            title = callout.group(2).strip()
            out.append(f"{kind}: {title}" if title else kind)
            in_callout = True
            continue
        quoted = _QUOTE_MARKS_RE.match(line)
        if in_callout and quoted:
            out.append(line[quoted.end() :])
            continue
        in_callout = False
        out.append("" if _FENCE_LINE_RE.match(line) else line)
    return out


@dataclass(frozen=True)
class Passage:
    """A paragraph-sized chunk of an entry, with its 1-based inclusive line span in the file."""

    index: int
    text: str  # plain text
    line_start: int
    line_end: int


def split_passages(body: str, line_offset: int = 0) -> list[Passage]:
    """Cut a body into paragraph-sized passages along markdown blocks.

    Small blocks (a heading, a one-line paragraph, list items) merge with their neighbours
    until about ``PASSAGE_TARGET_CHARS``; a very long paragraph stands alone. ``line_offset``
    is the number of file lines before the body (front matter), so spans are file lines.
    """
    body = body.replace("\r\n", "\n").replace("\r", "\n")  # markdown-it's own line breaks
    lines = body.split("\n")
    tokens = _md().parse(body)
    blocks: list[tuple[int, int]] = []
    for tok in tokens:
        if tok.level == 0 and tok.map is not None and tok.nesting in (1, 0):
            start, end = tok.map
            if blocks and start < blocks[-1][1]:
                continue
            # a list's map can take in the blank lines after it: spans end on text
            while end > start + 1 and not lines[end - 1].strip():
                end -= 1
            blocks.append((start, end))
    passages: list[Passage] = []
    cur_start: int | None = None
    cur_end = 0
    cur_len = 0

    def flush() -> None:
        nonlocal cur_start, cur_len
        if cur_start is None:
            return
        raw = "\n".join(readable_lines(lines[cur_start:cur_end])).strip()
        plain = _BLANK_LINES_RE.sub("\n\n", to_plain(raw)).strip()
        if plain:
            passages.append(
                Passage(
                    index=len(passages),
                    text=plain,
                    line_start=cur_start + 1 + line_offset,
                    line_end=cur_end + line_offset,
                )
            )
        cur_start = None
        cur_len = 0

    for start, end in blocks:
        size = sum(len(line) + 1 for line in lines[start:end])
        is_heading = lines[start].lstrip().startswith("#") and end - start == 1
        if cur_start is not None and (cur_len + size > PASSAGE_MAX_CHARS or cur_len >= PASSAGE_TARGET_CHARS):
            flush()
        if cur_start is None:
            cur_start = start
        cur_end = end
        cur_len += size
        if not is_heading and cur_len >= PASSAGE_TARGET_CHARS:
            flush()
    flush()
    return passages
