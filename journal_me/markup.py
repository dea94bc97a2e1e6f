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

WIKILINK_RE = re.compile(r"\[\[([^\[\]|#^]+)(?:[#^][^\[\]|]*)?(?:\|([^\[\]]+))?\]\]")
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
            target = m.group(1).strip()
            alias = m.group(2).strip() if m.group(2) else None
            if target:
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


def to_plain(markdown: str) -> str:
    """Markdown inline syntax to readable text: links to their labels, no emphasis marks."""
    text = WIKILINK_RE.sub(lambda m: (m.group(2) or m.group(1)).strip(), markdown)
    text = MD_LINK_RE.sub(lambda m: m.group(1), text)
    text = HEADING_RE.sub("", text)
    for _ in range(2):
        text = EMPHASIS_RE.sub(lambda m: m.group(2), text)
    return text


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
        raw = "\n".join(lines[cur_start:cur_end]).strip()
        plain = to_plain(raw).strip()
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
