"""Journal markup: front matter, [[wikilinks]], #tags, @mentions, passages.

Parsing follows Obsidian conventions. Link, tag and mention patterns run only over inline
text (markdown-it inline tokens, with `code spans` removed), so fenced and indented code is
never mistaken for tags. A tag needs a non-digit: ``#2024`` is not a tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

# markdown-it loads when a body is parsed (_md): a search on an indexed vault never needs it
if TYPE_CHECKING:
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
# An @handle's letters are word characters other than kana, CJK and Hangul: a particle
# written straight after it, as Korean and Japanese do ("@kimsoo가"), is not part of the name
_HANDLE_CHAR = r"[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
MENTION_RE = re.compile(rf"(?<![\w@.])@([A-Za-z]{_HANDLE_CHAR}*(?:[-.][A-Za-z]{_HANDLE_CHAR}*)*)")
CODE_SPAN_RE = re.compile(r"(`+)(?:.|\n)*?\1")
# Link text and emphasis stop at the next bracket or marker of their kind, so a long line of
# unclosed "[" or "_" costs one pass, not a scan to the end for each one (quadratic).
MD_LINK_RE = re.compile(r"!?\[([^\[\]]*)\]\([^()\n]*\)")
# An underscore inside a word is a letter, not emphasis (CommonMark): snake_case_names stay whole.
EMPHASIS_RE = re.compile(
    r"(\*\*|~~|\*)(?=\S)((?:(?!\1).)+?)(?<=\S)\1"
    r"|(?<![^\W_])(__|_)(?=\S)((?:(?!\3).)+?)(?<=\S)\3(?![^\W_])"
)
HEADING_RE = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)
DATE_IN_NAME_RE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")

PASSAGE_TARGET_CHARS = 500
PASSAGE_MAX_CHARS = 1000


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    # block structure only: the patterns here run over each inline token's source text, so
    # markdown-it's own inline pass (a third of the time on a big file) is not needed
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").disable("inline")


# Above this many lines a body is read by a line scanner instead of markdown-it: markdown-it's
# block parser costs ~30-90 µs a line in Python (a 1,000,000-line file took minutes); the
# scanner finds the same blocks for what is read here (code, headings, paragraphs, lists,
# quotes) at a few µs a line.
FAST_PARSE_LINES = 20_000


@dataclass(frozen=True)
class _Structure:
    """What markup needs of a body's block structure."""

    inline: tuple[tuple[bool, str], ...]  # (in a heading, source text) outside code
    blocks: tuple[tuple[int, int], ...]  # top-level blocks: 0-based [start, end) line spans


_last_structure: tuple[str, _Structure] | None = None


def _structure(body: str) -> _Structure:
    """The block structure of ``body`` (line breaks already "\n"). The last result is kept:
    parsing an entry asks for the same body twice (its markup, then its passages)."""
    global _last_structure
    last = _last_structure
    if last is not None and (last[0] is body or (len(last[0]) == len(body) and last[0] == body)):
        return last[1]
    lines = body.split("\n")
    found = _scan_structure(lines) if len(lines) > FAST_PARSE_LINES else _markdown_structure(body, lines)
    _last_structure = (body, found)
    return found


def _markdown_structure(body: str, lines: list[str]) -> _Structure:
    inline: list[tuple[bool, str]] = []
    blocks: list[tuple[int, int]] = []
    in_heading = False
    for tok in _md().parse(body):
        if tok.type == "heading_open":
            in_heading = True
        elif tok.type == "heading_close":
            in_heading = False
        elif tok.type == "inline":
            inline.append((in_heading, tok.content))
        if tok.level == 0 and tok.map is not None and tok.nesting in (1, 0):
            start, end = tok.map
            if blocks and start < blocks[-1][1]:
                continue
            # a list's map can take in the blank lines after it: spans end on text
            while end > start + 1 and not lines[end - 1].strip():
                end -= 1
            blocks.append((start, end))
    return _Structure(tuple(inline), tuple(blocks))


_SCAN_FENCE_RE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_SCAN_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+|$)")
_SCAN_ITEM_RE = re.compile(r"^ {0,3}(?:([-*+])|\d{1,9}([.)]))(?:[ \t]|$)")
_SCAN_QUOTE_RE = re.compile(r"^ {0,3}>")
_SCAN_CLOSING_HASHES_RE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")


def _indent(line: str) -> int:
    """Columns of leading whitespace (a tab counts as four)."""
    lead = line[: len(line) - len(line.lstrip(" \t"))]
    return len(lead) + 3 * lead.count("\t")


def _scan_structure(lines: list[str]) -> _Structure:
    """A line scanner for very long bodies: fenced and indented code (no inline text),
    ATX headings, paragraphs, lists (with their indented and blank-separated continuation
    lines, fences inside them), block quotes. One pass, a few regex tests a line."""
    n = len(lines)
    inline: list[tuple[bool, str]] = []
    blocks: list[tuple[int, int]] = []

    def fence_end(i: int, mark: str) -> int:
        """The index after the fence opened at ``i`` (its closing line, or the end)."""
        for j in range(i + 1, n):
            close = _SCAN_FENCE_RE.match(lines[j])
            if (
                close
                and close.group(1)[0] == mark[0]
                and len(close.group(1)) >= len(mark)
                and not lines[j][close.end() :].strip()
            ):
                return j + 1
        return n

    def interrupts(line: str) -> bool:
        """A line that ends a paragraph or quote (and a list, when not indented)."""
        return bool(
            _SCAN_HEADING_RE.match(line)
            or _SCAN_QUOTE_RE.match(line)
            or _SCAN_ITEM_RE.match(line)
            or (_SCAN_FENCE_RE.match(line) and _indent(line) < 4)
        )

    i = 0
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        start = i
        text: list[str] = []  # inline source lines (none for code and headings)
        fence = _SCAN_FENCE_RE.match(line)
        if fence and _indent(line) < 4:
            i = fence_end(i, fence.group(1))
        elif _indent(line) >= 4:  # indented code: up to the next non-blank unindented line
            i += 1
            while i < n and (not lines[i].strip() or _indent(lines[i]) >= 4):
                i += 1
        elif heading := _SCAN_HEADING_RE.match(line):
            inline.append((True, _SCAN_CLOSING_HASHES_RE.sub("", line[heading.end() :]).strip()))
            i += 1
        elif first_item := _SCAN_ITEM_RE.match(line):
            kind = first_item.group(1) or first_item.group(2)  # another marker: another list
            while i < n:
                cur = lines[i]
                item = _SCAN_ITEM_RE.match(cur)
                if i > start and item and _indent(cur) < 2 and (item.group(1) or item.group(2)) != kind:
                    break
                if not cur.strip():  # blank: the list goes on if an item or indented text follows
                    k = i + 1
                    while k < n and not lines[k].strip():
                        k += 1
                    if k < n and (_indent(lines[k]) >= 2 or _SCAN_ITEM_RE.match(lines[k])):
                        i = k
                        continue
                    break
                if i > start and _indent(cur) < 2 and not _SCAN_ITEM_RE.match(cur) and interrupts(cur):
                    break
                inner = _SCAN_FENCE_RE.match(cur)
                if inner:  # a fence inside an item: code, no inline text
                    i = fence_end(i, inner.group(1))
                    continue
                text.append(cur)
                i += 1
        else:  # a quote, or a paragraph (tables, HTML, setext headings read as paragraphs)
            quote = bool(_SCAN_QUOTE_RE.match(line))
            while i < n and lines[i].strip():
                cur = lines[i]
                if i > start and interrupts(cur) and not (quote and _SCAN_QUOTE_RE.match(cur)):
                    break
                text.append(cur)
                i += 1
        end = i
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        blocks.append((start, end))
        if text:
            inline.append((False, "\n".join(text)))
    return _Structure(tuple(inline), tuple(blocks))


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


_URL_RE = re.compile(r"https?://\S+")


def inline_markup(body: str) -> InlineMarkup:
    """Tags, links and mentions found in the inline text of a markdown body."""
    tags: dict[str, None] = {}
    links: dict[tuple[str, str | None], None] = {}
    mentions: dict[str, None] = {}
    first_heading: str | None = None
    # each pattern runs only where its first character occurs: a body of a million short
    # blocks costs a few substring tests per block, not seven regex passes
    for in_heading, content in _structure(body.replace("\r\n", "\n").replace("\r", "\n")).inline:
        text = CODE_SPAN_RE.sub(" ", content) if "`" in content else content
        if in_heading and first_heading is None:
            first_heading = to_plain(text).strip() or None
        stripped = text
        if "[[" in text:
            for m in WIKILINK_RE.finditer(text):
                target, alias = wikilink_parts(m)
                if target and not is_attachment(target):
                    if alias and m.string[m.end(1) : m.end(1) + 1] in ("#", "^"):
                        # [[Settings#Strict line breaks|that option]]: the text names a part
                        # of the page, not the page (it must not become its name or alias)
                        alias = None
                    links[(target, alias)] = None
            stripped = WIKILINK_RE.sub(" ", text)
        if "](" in stripped:
            stripped = MD_LINK_RE.sub(lambda mm: mm.group(1), stripped)
        if "://" in stripped:
            stripped = _URL_RE.sub(" ", stripped)
        if "#" in stripped:
            for m in TAG_RE.finditer(stripped):
                tag = normalise_tag(m.group(1))
                if tag:
                    tags[tag] = None
        if "@" in stripped:
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
    text = _EMBED_OR_LINK_RE.sub(lambda m: _wikilink_label(m), markdown) if "[[" in markdown else markdown
    if "](" in text:
        text = MD_LINK_RE.sub(lambda m: m.group(1), text)
    if "#" in text:
        text = HEADING_RE.sub("", text)
    if "*" in text or "_" in text or "~" in text:
        for _ in range(2):  # twice: emphasis inside emphasis
            text, n = EMPHASIS_RE.subn(_emphasis_text, text)
            if not n:  # nothing matched: a second pass over the same text finds nothing either
                break
    return text


def _emphasis_text(m: re.Match[str]) -> str:
    return m.group(2) if m.group(1) else m.group(4)


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
        first = line.lstrip()[:1]
        if first not in (">", "`", "~"):  # most lines: nothing to do
            in_callout = False
            out.append(line)
            continue
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
    blocks = _structure(body).blocks
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
