"""The vault: the user's markdown files, read safely and written atomically.

The vault holds only what the user wrote. Reading never fails as a whole: a bad file becomes
a :class:`FileWarning` and every other entry is still read. Writing goes through a temp file,
fsync and ``os.replace``, and checks that the file on disk is still the one that was read; if
not, both versions are kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fnmatch
import hashlib
import os
import re
import secrets
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from journal_me import fsutil, timestamps

# markup (markdown-it) loads when a file is first parsed: writing one (`journal-me add`)
# never needs it
if TYPE_CHECKING:
    from journal_me.markup import Passage

MAX_FILE_BYTES = 5 * 1024 * 1024
# what front matter may hold: bounded, so that no file can make the loader hang or fill memory
MAX_FRONT_MATTER_BYTES = 256 * 1024
MAX_FRONT_MATTER_NODES = 10_000
MAX_TITLE_CHARS = 300
MAX_TAG_CHARS = 100
ENTRY_SUFFIXES = (".md", ".canvas")
UNREADABLE_PRIVACY = "privacy flag unreadable — treated as private"
CONFLICT_NAME_RE = re.compile(
    r"^(?P<stem>.+)\.conflict-(?P<stamp>\d{8}-\d{6})(?:-\d+)?(?P<ext>\.md|\.canvas)$"
)
# the temp files atomic_write leaves behind when killed: ".NAME.md.XXXXXXXX.tmp"
LEFTOVER_RE = re.compile(r"^\..+\.[A-Za-z0-9_]{6,16}\.tmp$")
# (?:…\n)?? lets an empty block ("---\n---") count as front matter too
# what stat_walk records for a file it could not stat (its read says why)
_NO_STAT = os.stat_result((0,) * 10, {"st_atime_ns": 0, "st_mtime_ns": 0, "st_ctime_ns": 0})
FRONT_MATTER_RE = re.compile(r"\A(---[ \t]*\r?\n)((?:.*?\r?\n)??)((?:---|\.\.\.)[ \t]*(?:\r?\n|\Z))", re.S)


class VaultError(Exception):
    """A vault operation failed in a way the user must hear about."""


class VaultNotFoundError(VaultError, FileNotFoundError):
    """The vault folder does not exist."""


class EntryReadError(VaultError):
    """One file could not be read as an entry (the reason is user-facing)."""


@dataclass(frozen=True)
class FileWarning:
    rel: str
    reason: str

    def __str__(self) -> str:
        return f"{self.rel}: {self.reason}"


@dataclass(frozen=True)
class Entry:
    """One markdown file of the vault, parsed."""

    path: Path
    rel: str  # POSIX path relative to the vault: the entry's id
    date: dt.date
    title: str
    body: str  # markdown without front matter
    meta: Mapping[str, Any]
    tags: tuple[str, ...]
    links: tuple[tuple[str, str | None], ...]
    mentions: tuple[str, ...]
    people: tuple[str, ...]
    aliases: tuple[str, ...]
    private: bool
    digest: str  # sha256 of the file's bytes, to detect changes on disk
    mtime: float
    body_line_offset: int  # file lines before the body
    kind: str = "entry"  # "entry" (dated diary text) or "note" (a page about a person/place…)
    meta_error: str | None = None
    # no date in front matter or file name: a note, not an entry of its mtime's day
    # (``date`` still holds the mtime's day, for sorting only)
    undated: bool = False
    # the private flag could not be read with certainty (broken front matter, odd spelling):
    # ``private`` is then True — privacy fails closed
    privacy_unreadable: bool = False
    # a ``NAME.conflict-YYYYmmdd-HHMMSS.md`` copy: the rel of the entry it is a version of
    conflict_of: str | None = None
    passages: tuple[Passage, ...] = field(default=(), compare=False, repr=False)

    @property
    def note_type(self) -> str | None:
        value = self.meta.get("type")
        return str(value).lower() if value else None


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_front_matter(block: str) -> dict[str, Any]:
    """The front matter block as a mapping; raises ``yaml.YAMLError`` (or ValueError…).
    PyYAML loads with the first file parsed (see :mod:`journal_me.front_matter`)."""
    from journal_me.front_matter import load_front_matter as load

    return load(block)


def _parse_date(value: Any) -> dt.date | None:
    from journal_me.markup import DATE_IN_NAME_RE

    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        m = DATE_IN_NAME_RE.search(value)
        if m:
            with contextlib.suppress(ValueError):
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return None


_TRUE_WORDS = frozenset({"true", "yes", "on", "1", "y"})
_FALSE_WORDS = frozenset({"false", "no", "off", "0", "n"})
# a "private" key on a raw front matter line, in any case, quoted or not, at any indent
_RAW_PRIVATE_RE = re.compile(
    r"""^(?P<indent>[ \t]*)(?:-[ \t]+)?(?P<q>["']?)(?P<key>private)(?P=q)[ \t]*:(?P<value>.*)$""", re.I | re.M
)


_OPEN_FRONT_MATTER_RE = re.compile(r"---[ \t]*\n")


def privacy_flag(value: Any) -> bool | None:
    """``True``/``False`` when a ``private`` value clearly says so, else ``None`` (unclear)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return True if value == 1 else False if value == 0 else None
    if isinstance(value, str):
        word = value.strip().strip("\"'").strip().lower()
        return True if word in _TRUE_WORDS else False if word in _FALSE_WORDS else None
    if isinstance(value, list | tuple) and len(value) == 1:
        return privacy_flag(value[0])
    return None


def _short(value: Any, limit: int = 40) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _read_privacy(meta: Mapping[str, Any] | None, block: str) -> tuple[bool, bool, list[str]]:
    """(private by flag, unreadable, notes) from the parsed mapping (``None``: did not parse)
    and the raw front matter lines. Anything not clearly public is private: fail closed."""
    if meta is None:
        return True, True, [f"{UNREADABLE_PRIVACY} until the front matter is fixed"]
    private = False
    unreadable = False
    notes: list[str] = []
    top_level = False
    for key, value in meta.items():
        if key.strip().lower() != "private":
            continue
        top_level = True
        flag = privacy_flag(value)
        if flag is None:
            private = unreadable = True
            notes.append(
                f"{UNREADABLE_PRIVACY} ({key}: {_short(value)!s}); write `private: true` or `private: false`"
            )
        elif flag and key != "private":
            private = unreadable = True
            notes.append(
                f"privacy flag written as `{key}: {_short(value)}` — treated as private; "
                "write it as `private: true`"
            )
        elif flag:
            private = True
    if not private:
        # what the mapping cannot show: a key given twice (the last one wins in YAML), a
        # nested one, a line inside a text block. Only a clearly public line is let pass.
        for m in _RAW_PRIVATE_RE.finditer(block):
            raw_value = re.split(r"\s#", m.group("value"), maxsplit=1)[0]
            if privacy_flag(raw_value) is False or (top_level and not raw_value.strip()):
                continue
            private = unreadable = True
            nested = m.group("indent") or m.group(0).lstrip().startswith("-")
            where = (
                f"a nested `{m.group('key')}:` key" if nested else f"`{m.group('key')}:` given more than once"
            )
            notes.append(f"{UNREADABLE_PRIVACY} ({where})")
            break
    return private, unreadable, notes


def is_private(meta: Mapping[str, Any], tags: Iterable[str], private_tags: Iterable[str]) -> bool:
    flag = next((privacy_flag(v) for k, v in meta.items() if k.strip().lower() == "private"), False)
    if flag is not False:
        return True
    wanted = {t.lower() for t in private_tags} | {"private"}
    return any(t in wanted or t.split("/")[0] in wanted for t in tags)


def _utf16_reason(raw: bytes) -> str | None:
    sample = raw[:4096]
    if sample[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16 text; re-save it as UTF-8"
    half = len(sample) // 2
    if half >= 2:
        zeros_odd = sample[1::2].count(0)
        zeros_even = sample[0::2].count(0)
        if max(zeros_odd, zeros_even) >= 0.9 * half and min(zeros_odd, zeros_even) <= 0.1 * half:
            return "UTF-16 text; re-save it as UTF-8"
    return None


def conflict_original(rel: str) -> str | None:
    """For ``X.conflict-YYYYmmdd-HHMMSS[-N].md``: the rel of ``X.md``; else None."""
    folder, _, name = rel.rpartition("/")
    m = CONFLICT_NAME_RE.match(name)
    if m is None:
        return None
    return f"{folder}/{m.group('stem')}{m.group('ext')}" if folder else f"{m.group('stem')}{m.group('ext')}"


# front matter keys whose values are settings, not words the user wrote
_NOT_TEXT_KEYS = frozenset(
    {
        "date",
        "created",
        "updated",
        "modified",
        "private",
        "tags",
        "tag",
        "type",
        "id",
        "uid",
        "cssclass",
        "cssclasses",
        "publish",
        "permalink",
        "layout",
        "aliases",
        "alias",
        "people",
        "starred",
        "time",
        "lang",
        "language",
        "source",
        "url",
        "jrnl_id",
    }
)
_WORD_RE = re.compile(r"\w+")
_NOT_WORDS_RE = re.compile(r"[\d\s\-:T.+Z/]*")  # a date, a time, a number


def _front_matter_texts(meta: Mapping[str, Any], *, with_title: bool) -> list[str]:
    """The free-text string values of front matter (and the title if ``with_title``), in
    file order."""
    out: list[str] = []

    def add(value: Any) -> None:
        if isinstance(value, str):
            text = " ".join(value.split())
            if text and not _NOT_WORDS_RE.fullmatch(text):
                out.append(text[:2000])
        elif isinstance(value, list):
            for item in value[:100]:
                if isinstance(item, str):
                    add(item)

    for key, value in meta.items():
        if key.strip().lower() in _NOT_TEXT_KEYS or (key == "title" and not with_title):
            continue
        add(value)
    return out


def _front_matter_passage(
    meta: Mapping[str, Any], body_passages: list[Passage], last_line: int
) -> Passage | None:
    """A passage of front matter text whose words the body does not already hold (a jrnl
    one-liner keeps its text only in ``title:``), spanning the front matter lines. The title
    counts only when there is no body: every passage is searched with its entry's title.
    (``parse_entry`` asks for it only for entries without body passages, so that a ``mood:``
    line does not become a passage of every entry.)"""
    from journal_me.markup import Passage

    body_words = {w.lower() for p in body_passages for w in _WORD_RE.findall(p.text)}
    texts = [
        t
        for t in _front_matter_texts(meta, with_title=not body_passages)
        if any(w.lower() not in body_words for w in _WORD_RE.findall(t))
    ]
    if not texts:
        return None
    return Passage(index=len(body_passages), text="\n".join(texts), line_start=2, line_end=max(2, last_line))


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _readable_title(stem: str, date: dt.date) -> str:
    from journal_me.markup import DATE_IN_NAME_RE

    if not (dm := DATE_IN_NAME_RE.match(stem)):
        return stem
    # "2026-08-26-evening" reads as "Wednesday 26 August 2026 (evening)"
    rest = stem[dm.end() :].strip(" -_")
    return date.strftime("%A %-d %B %Y") + (f" ({rest.replace('-', ' ')})" if rest else "")


def _decode(raw: bytes) -> str:
    if not raw.strip():
        raise EntryReadError("empty file")
    if (utf16 := _utf16_reason(raw)) is not None:
        raise EntryReadError(utf16)
    if b"\x00" in raw[:8192]:
        raise EntryReadError("binary file (contains NUL bytes), skipped")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EntryReadError(
            f"not UTF-8 text (byte {exc.start}: {raw[exc.start : exc.start + 1]!r}); re-save it as UTF-8"
        ) from exc
    # one line ending everywhere: markdown-it also breaks lines at a lone "\r", and passage
    # line spans must count the same lines as the parser does
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_entry(
    rel: str,
    raw: bytes,
    *,
    path: Path,
    mtime: float,
    private_tags: Iterable[str] = ("private",),
) -> Entry:
    """Parse a file's bytes. Raises :class:`EntryReadError` for files that are not text."""
    from journal_me.markup import coerce_list, inline_markup, normalise_tag, split_passages

    if rel.lower().endswith(".canvas"):
        return _parse_canvas(rel, raw, path=path, mtime=mtime, private_tags=private_tags)
    text = _decode(raw)

    meta: dict[str, Any] = {}
    body = text
    offset = fm_last = 0
    notes: list[str] = []
    flag_private, privacy_unreadable = False, False
    m = FRONT_MATTER_RE.match(text)
    if m is None and _OPEN_FRONT_MATTER_RE.match(text):
        # front matter that is never closed reads as body text: its privacy line must still count
        head = text[:MAX_FRONT_MATTER_BYTES]
        if any(
            privacy_flag(re.split(r"\s#", r.group("value"), maxsplit=1)[0]) is not False
            for r in _RAW_PRIVATE_RE.finditer(head)
        ):
            flag_private = privacy_unreadable = True
            notes.append(f"front matter has no closing `---`; {UNREADABLE_PRIVACY}")
    if m:
        body = text[m.end() :]
        offset = text[: m.end()].count("\n")
        fm_last = text[: m.start(3)].count("\n")  # the last line inside the front matter
        block = m.group(2)
        parsed: dict[str, Any] | None
        import yaml

        from journal_me.front_matter import FrontMatterRefused

        try:
            # load exactly the block split off above (frontmatter.parse splits on its own
            # delimiters and silently drops a front matter that is not a mapping)
            parsed = load_front_matter(block)
        except FrontMatterRefused as exc:
            parsed = None
            notes.append(str(exc))
        except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
            parsed = None
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            notes.append(f"invalid YAML front matter ({first}); read the text without it")
        meta = parsed or {}
        flag_private, privacy_unreadable, privacy_notes = _read_privacy(parsed, block)
        notes.extend(privacy_notes)
    markup = inline_markup(body)

    name = Path(rel).name
    conflict_of = conflict_original(rel)
    stem = Path(conflict_of).stem if conflict_of else Path(rel).stem
    date = _parse_date(meta.get("date"))
    if date is None and meta.get("date") not in (None, ""):
        notes.append(
            f"date: {_short(meta.get('date'))} is not a date; using the file name or modification time"
        )
    date = date or _parse_date(name)
    undated = date is None
    if date is None:
        date = dt.datetime.fromtimestamp(mtime).date()

    tags: dict[str, None] = {}
    for raw_tag in coerce_list(meta.get("tags")) + coerce_list(meta.get("tag")):
        tag = normalise_tag(raw_tag)
        if tag:
            tags[_cap(tag, MAX_TAG_CHARS)] = None
    for tag in markup.tags:
        tags[_cap(tag, MAX_TAG_CHARS)] = None

    # what Obsidian shows: front-matter title, else the file name (never the first heading)
    title_meta = meta.get("title")
    title = " ".join(str(title_meta).split()) if title_meta not in (None, "") else ""
    if not title:
        title = _readable_title(stem, date)
    if conflict_of:
        title += " (conflict copy)"
    title = _cap(title, MAX_TITLE_CHARS)

    people = tuple(coerce_list(meta.get("people")))
    aliases = tuple(coerce_list(meta.get("aliases")))
    note_type = str(meta.get("type", "")).lower()
    kind = "note" if note_type in {"person", "pet", "place", "org", "topic", "project"} else "entry"
    passages = split_passages(body, offset)
    if meta and not passages and (extra := _front_matter_passage(meta, passages, fm_last)) is not None:
        passages.append(extra)
    tag_private = is_private({}, tags, private_tags)
    return Entry(
        path=path,
        rel=rel,
        date=date,
        title=title,
        body=body,
        meta=meta,
        tags=tuple(tags),
        links=markup.links,
        mentions=markup.mentions,
        people=people,
        aliases=aliases,
        private=flag_private or tag_private,
        digest=sha256_bytes(raw),
        mtime=mtime,
        body_line_offset=offset,
        kind=kind,
        meta_error="; ".join(notes) if notes else None,
        undated=undated,
        privacy_unreadable=privacy_unreadable,
        conflict_of=conflict_of,
        passages=tuple(passages),
    )


def _parse_canvas(rel: str, raw: bytes, *, path: Path, mtime: float, private_tags: Iterable[str]) -> Entry:
    """A JSON Canvas: its text nodes are the body; its file nodes are links."""
    from journal_me.canvas import canvas_text
    from journal_me.markup import inline_markup, split_passages

    try:
        body, files = canvas_text(raw)
    except ValueError as exc:
        raise EntryReadError(str(exc)) from exc
    if not body.strip() and not files:
        raise EntryReadError("empty canvas")
    markup = inline_markup(body)
    conflict_of = conflict_original(rel)
    stem = Path(conflict_of).stem if conflict_of else Path(rel).stem
    date = _parse_date(Path(rel).name)
    undated = date is None
    if date is None:
        date = dt.datetime.fromtimestamp(mtime).date()
    tags = tuple(dict.fromkeys(_cap(t, MAX_TAG_CHARS) for t in markup.tags))
    file_links = tuple((f[:-3] if f.lower().endswith(".md") else f, None) for f in files)
    links = tuple(dict.fromkeys(markup.links + file_links))
    title = _cap(_readable_title(stem, date) + (" (conflict copy)" if conflict_of else ""), MAX_TITLE_CHARS)
    return Entry(
        path=path,
        rel=rel,
        date=date,
        title=title,
        body=body,
        meta={},
        tags=tags,
        links=links,
        mentions=markup.mentions,
        people=(),
        aliases=(),
        private=is_private({}, tags, private_tags),
        digest=sha256_bytes(raw),
        mtime=mtime,
        body_line_offset=0,
        kind="entry",
        undated=undated,
        conflict_of=conflict_of,
        passages=tuple(split_passages(body, 0)),
    )


_CASE_SENSITIVE_PATHS = os.path.normcase("A/b") == "A/b"  # POSIX: normcase changes nothing
_GLOB_SEPARATORS = frozenset({"/", os.sep})


def _globs_re(globs: list[str]) -> re.Pattern[str] | None:
    """One regex for fnmatch globs (already normcased): fnmatch's own translation of each."""
    if not globs:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs))


def _needs_separator(glob: str) -> bool:
    """Whether only a path with a separator can match ``glob`` (a literal "/" outside any
    ``[...]`` set: fnmatch's wildcards match one, but never make one up)."""
    return "[" not in glob and any(sep in glob for sep in _GLOB_SEPARATORS)


def _glob_prefilter(globs: list[str]) -> Callable[[str], bool]:
    """A quick test that is true for every string one of the globs matches (and for some it
    does not): the literal text a glob ends with, starts with, or contains must be there.
    Where it is false the regex need not run; a glob with a ``[...]`` set is not analysed
    (always true)."""
    suffixes: list[str] = []
    prefixes: list[str] = []
    inner: list[str] = []
    for glob in globs:
        parts = re.split(r"[*?]+", glob)
        if "[" in glob or not any(parts):
            return lambda text: True
        if glob[-1] not in "*?":
            suffixes.append(parts[-1])
        elif glob[0] not in "*?":
            prefixes.append(parts[0])
        else:
            inner.append(max(parts, key=len))
    ends, starts, chunks = tuple(suffixes), tuple(prefixes), tuple(inner)
    if len(chunks) == 1:
        (chunk,) = chunks
        return lambda text: text.endswith(ends) or text.startswith(starts) or chunk in text
    return lambda text: text.endswith(ends) or text.startswith(starts) or any(c in text for c in chunks)


class Vault:
    """Reads and writes the markdown files under one folder."""

    def __init__(
        self,
        root: Path,
        *,
        ignore: Iterable[str] = (),
        private_tags: Iterable[str] = ("private",),
    ) -> None:
        self.root = Path(root).expanduser().absolute()
        self.ignore = tuple(ignore)
        self.private_tags = tuple(private_tags)
        # the ignore globs as one regex (fnmatch's own translation): a stat walk asks for
        # every file, and fnmatch per pattern and file was most of a 10k refresh
        globs = [os.path.normcase(p) for p in self.ignore]
        self._ignore_re = _globs_re(globs)
        # a file's name is tested only against the globs that can match a name (one with a
        # literal "/" cannot), and a path only when the literal text of some glob is in it
        self._name_re = _globs_re([g for g in globs if not _needs_separator(g)])
        self._may_match = _glob_prefilter(globs)

    # -- paths -----------------------------------------------------------------------------
    def rel(self, path: Path | str) -> str:
        p = Path(path)
        if not p.is_absolute():
            p = self.root / p
        try:
            return p.relative_to(self.root).as_posix()
        except ValueError:
            return os.path.relpath(p, self.root).replace(os.sep, "/")

    def is_ignored(self, rel: str) -> bool:
        parts = rel.split("/")
        if any(part.startswith(".") for part in parts):
            return True
        return self._ignored_by_glob(rel, parts[-1])

    def _ignored_by_glob(self, rel: str, name: str) -> bool:
        """Whether an ignore glob matches the path or its last part."""
        rx = self._ignore_re
        if rx is None:
            return False
        if _CASE_SENSITIVE_PATHS:  # (normcase is the identity there: a walk calls this per file)
            rel_n, name_n = rel, name
        else:
            rel_n, name_n = os.path.normcase(rel), os.path.normcase(name)
        if self._may_match(rel_n) and rx.match(rel_n) is not None:
            return True
        names = self._name_re
        return names is not None and self._may_match(name_n) and names.match(name_n) is not None

    def wants(self, rel: str) -> bool:
        """Whether a vault-relative path is a journal file we read (markdown or canvas)."""
        return rel.lower().endswith(ENTRY_SUFFIXES) and not self.is_ignored(rel)

    def outside(self, path: Path | str, *, real: str | None = None) -> str | None:
        """The real path of ``path`` when it leads out of the vault (a symlink, ``..``).
        ``real``: the real path, when already known."""
        root = os.path.realpath(self.root)
        real = real or os.path.realpath(path)
        if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
            return None
        return real

    def scan(self, warnings: list[FileWarning] | None = None) -> Iterator[tuple[str, Path]]:
        """Yield (rel, path) for every entry file, following symlinks inside the vault only
        and without looping."""
        for rel, item in self._walk(warnings):
            yield rel, Path(item.path)

    def stat_walk(
        self, warnings: list[FileWarning] | None = None, leftovers: list[str] | None = None
    ) -> dict[str, os.stat_result]:
        """rel -> ``os.stat`` (through symlinks) of every entry file, in :meth:`scan` order:
        one ``stat`` per file and nothing read. A file that vanishes meanwhile is left out;
        one that cannot be stat-ed gets a zero stat (reading it says why). ``leftovers``
        collects the paths of hidden temp files of killed writes that the walk passes
        (:meth:`remove_leftovers`), so cleaning them costs no second walk of the vault."""
        out: dict[str, os.stat_result] = {}
        for rel, item in self._walk(warnings, leftovers):
            try:
                out[rel] = item.stat()
            except FileNotFoundError:
                if item.is_symlink():
                    out[rel] = _NO_STAT  # a broken symlink: reading it reports it
                continue
            except OSError:
                out[rel] = _NO_STAT
        return out

    def _walk(
        self, warnings: list[FileWarning] | None, leftovers: list[str] | None = None
    ) -> Iterator[tuple[str, os.DirEntry[str]]]:
        if not self.root.is_dir():
            raise VaultNotFoundError(f"vault folder not found: {self.root}")
        seen_dirs: set[tuple[int, int]] = set()
        root = str(self.root)
        stack: list[tuple[str, str]] = [(root, "")]  # (folder, its rel + "/")
        while stack:
            folder, prefix = stack.pop()
            try:
                st = os.stat(folder)
            except OSError as exc:
                if warnings is not None:
                    warnings.append(
                        FileWarning(prefix.rstrip("/") or ".", f"cannot open folder: {exc.strerror}")
                    )
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen_dirs:
                if warnings is not None:
                    warnings.append(FileWarning(prefix.rstrip("/") or ".", "symlink loop, skipped"))
                continue
            seen_dirs.add(key)
            try:
                with os.scandir(folder) as it:
                    children = sorted(it, key=lambda d: d.name)
            except OSError as exc:
                if warnings is not None:
                    warnings.append(
                        FileWarning(prefix.rstrip("/") or ".", f"cannot list folder: {exc.strerror}")
                    )
                continue
            subdirs: list[tuple[str, str]] = []
            for child in children:
                name = child.name
                if name.startswith("."):  # .obsidian, .git, .trash, editors' temp files
                    if leftovers is not None and LEFTOVER_RE.match(name):
                        leftovers.append(child.path)
                    continue
                try:
                    is_dir = child.is_dir(follow_symlinks=True)
                except OSError:
                    is_dir = False
                if not is_dir and not name.lower().endswith(ENTRY_SUFFIXES):
                    continue  # (attachments: no glob test needed to skip them)
                rel = prefix + name
                if self._ignored_by_glob(rel, name):  # (dot names are skipped above)
                    continue
                if child.is_symlink() and (real := self.outside(child.path)) is not None:
                    if warnings is not None:
                        warnings.append(FileWarning(rel, f"symlink to {real} outside the vault, skipped"))
                    continue
                if is_dir:
                    subdirs.append((child.path, rel + "/"))
                else:
                    yield rel, child
            stack.extend(reversed(subdirs))

    # -- reading ---------------------------------------------------------------------------
    def read_bytes(self, rel: str) -> tuple[bytes, float]:
        path = self.root / rel
        try:
            st = path.stat()
            if not path.is_file():
                raise EntryReadError("not a regular file")
            if st.st_size > MAX_FILE_BYTES:
                raise EntryReadError(
                    f"too large ({st.st_size / 1e6:.1f} MB > {MAX_FILE_BYTES // 1_000_000} MB), skipped"
                )
            with path.open("rb") as fh:
                # where the open file really is (one readlink on Linux), before reading it
                if (real := self.outside(path, real=_real_path_of(fh))) is not None:
                    raise EntryReadError(f"symlink to {real} outside the vault, skipped")
                data = fh.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError as exc:
            if path.is_symlink():
                raise EntryReadError("broken symlink") from exc
            raise EntryReadError("file vanished while reading") from exc
        except PermissionError as exc:
            raise EntryReadError("permission denied; check the file's permissions") from exc
        except IsADirectoryError as exc:
            raise EntryReadError("is a folder") from exc
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise EntryReadError("symlink loop") from exc
            raise EntryReadError(f"cannot read: {exc.strerror or exc}") from exc
        if len(data) > MAX_FILE_BYTES:
            raise EntryReadError("too large (> 5 MB), skipped")
        return data, st.st_mtime

    def read(self, rel: str) -> Entry:
        data, mtime = self.read_bytes(rel)
        return parse_entry(rel, data, path=self.root / rel, mtime=mtime, private_tags=self.private_tags)

    def read_all(self) -> tuple[list[Entry], list[FileWarning]]:
        warnings: list[FileWarning] = []
        entries: list[Entry] = []
        for rel, _path in self.scan(warnings):
            try:
                entry = self.read(rel)
            except EntryReadError as exc:
                warnings.append(FileWarning(rel, str(exc)))
                continue
            if entry.meta_error:
                warnings.append(FileWarning(rel, entry.meta_error))
            entries.append(entry)
        entries.sort(key=lambda e: (e.date, e.rel))
        return entries, warnings

    def digest_on_disk(self, rel: str) -> str | None:
        return _digest_of(self.root / rel)

    # -- writing ---------------------------------------------------------------------------
    def entry_rel_for(self, day: dt.date, folder: str | None = None) -> str:
        """Where a new entry for ``day`` goes: ``YYYY-MM-DD.md`` in the entries folder."""
        if folder is None:
            folder = f"journal/{day.year}" if (self.root / "journal").is_dir() else ""
        base = f"{folder.strip('/')}/" if folder.strip("/") else ""
        return f"{base}{day.isoformat()}.md"

    def free_rel(self, rel: str) -> str:
        """``rel`` if unused, else ``name-2.md``, ``name-3.md``…"""
        if not (self.root / rel).exists():
            return rel
        stem, suffix = os.path.splitext(rel)
        n = 2
        while (self.root / f"{stem}-{n}{suffix}").exists():
            n += 1
        return f"{stem}-{n}{suffix}"

    def new_file_mode(self, rel: str) -> int:
        """The mode for a new vault file at ``rel``: that of the existing ``.md`` files in its
        folder (else in the vault root), else ``0o666`` less the user's umask."""
        for folder in dict.fromkeys([(self.root / rel).parent, self.root]):
            modes: dict[int, int] = {}
            with contextlib.suppress(OSError), os.scandir(folder) as it:
                for child in it:
                    if len(modes) > 50:
                        break
                    if child.name.startswith(".") or not child.name.lower().endswith(".md"):
                        continue
                    with contextlib.suppress(OSError):
                        st = child.stat(follow_symlinks=False)
                        if stat.S_ISREG(st.st_mode):
                            mode = stat.S_IMODE(st.st_mode) & 0o666
                            modes[mode] = modes.get(mode, 0) + 1
            if modes:
                return max(modes, key=lambda m: modes[m])
        return 0o666 & ~_user_umask()

    def _write_target(self, rel: str) -> Path:
        """The file a save of ``rel`` writes: through a symlink to its target in the vault."""
        path = self.root / rel
        if (real := self.outside(path)) is not None:
            raise VaultError(f"{rel} is a symlink to {real} outside the vault; not written")
        if path.is_symlink():
            return Path(os.path.realpath(path))
        return path

    def create(self, rel: str, text: str) -> Entry:
        """Write a new file; never replaces an existing one (a suffix is added instead)."""
        rel = self.free_rel(rel)
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text, exclusive=True, mode=self.new_file_mode(rel))
        return self.read(rel)

    def _conflict_rel(self, rel: str) -> str:
        stamp = timestamps.file_stamp()
        stem, suffix = os.path.splitext(rel)
        return self.free_rel(f"{stem}.conflict-{stamp}{suffix or '.md'}")

    def _keep_as_conflict(self, rel: str, text: str) -> str:
        """Write ``text`` to a new conflict copy of ``rel`` (never over an existing file)."""
        for _ in range(20):
            conflict_rel = self._conflict_rel(rel)
            try:
                atomic_write(
                    self.root / conflict_rel, text, exclusive=True, mode=self.new_file_mode(conflict_rel)
                )
            except VaultError:
                continue  # taken meanwhile: the next free name
            return conflict_rel
        raise VaultError(f"could not find a free conflict copy name for {rel}")

    def _keep_displaced(self, rel: str, displaced: Path) -> str:
        """Give the inode a save displaced a conflict copy name (a hard link: same bytes)."""
        for _ in range(20):
            conflict_rel = self._conflict_rel(rel)
            try:
                os.link(displaced, self.root / conflict_rel)
            except FileExistsError:
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(displaced)
            return conflict_rel
        raise VaultError(f"could not find a free conflict copy name for {rel}")

    def save(self, rel: str, text: str, expected_digest: str | None) -> SaveResult:
        """Replace ``rel`` with ``text`` if it is still the version that was read.

        ``expected_digest`` is the sha256 of the bytes that were read (None for "must not
        exist yet"). On a mismatch the disk version is left alone and ``text`` goes to a
        sibling ``NAME.conflict-YYYYmmdd-HHMMSS.md``: both versions are kept
        (``saved`` False, ``conflict_rel`` set).

        The check is repeated just before the swap, and the version the swap displaced is
        checked once no one has it open for writing any more: if someone wrote to the file in
        that instant, ``text`` is saved and the displaced version is kept as the conflict
        copy (``saved`` True, ``conflict_rel`` set). A symlinked entry is written through to
        its target inside the vault; the link stays a link.
        """
        if rel.lower().endswith(".canvas"):
            raise VaultError(
                f"{rel} is a canvas: journal-me reads it but does not write it; edit it in Obsidian"
            )
        target = self._write_target(rel)
        data = text.encode("utf-8")
        new_digest = sha256_bytes(data)
        current = self.digest_on_disk(rel)
        if current == new_digest:
            return SaveResult(rel=rel, saved=False, conflict_rel=None, digest=current)
        if current != expected_digest:
            return SaveResult(
                rel=rel, saved=False, conflict_rel=self._keep_as_conflict(rel, text), digest=current
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        if expected_digest is None:
            try:
                atomic_write(target, text, exclusive=True, mode=self.new_file_mode(rel))
            except VaultError:  # it appeared meanwhile: keep both
                kept = self._keep_as_conflict(rel, text)
                return SaveResult(rel=rel, saved=False, conflict_rel=kept, digest=self.digest_on_disk(rel))
            return SaveResult(rel=rel, saved=True, conflict_rel=None, digest=new_digest)
        mode: int | None
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except OSError:
            mode = None
        tmp = fsutil.write_temp(target, data, mode=mode)
        displaced: Path | None = None
        try:
            if _digest_of(target) != expected_digest:  # changed while the temp file was written
                os.unlink(tmp)
                current = self.digest_on_disk(rel)
                return SaveResult(
                    rel=rel, saved=False, conflict_rel=self._keep_as_conflict(rel, text), digest=current
                )
            displaced = _swap_in(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        fsutil.fsync_dir(target.parent)
        conflict_rel: str | None = None
        if displaced is not None:
            if _settled_digest(displaced) in (expected_digest, None):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(displaced)
            else:
                conflict_rel = self._keep_displaced(rel, displaced)
        return SaveResult(rel=rel, saved=True, conflict_rel=conflict_rel, digest=new_digest)

    def clean_leftovers(self, min_age_s: float = 600) -> list[str]:
        """Remove the hidden temp files (``.NAME.md.XXXXXXXX.tmp``) that a killed write left
        in the vault, if older than ``min_age_s`` (a live write owns younger ones). Returns
        their rels. Hidden folders (``.obsidian``, ``.git``) are not entered. (A refresh
        removes the ones its stat walk passes: :meth:`stat_walk`'s ``leftovers``.)"""
        if not self.root.is_dir():
            return []
        found: list[str] = []
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            found.extend(os.path.join(folder, name) for name in files if LEFTOVER_RE.match(name))
        return self.remove_leftovers(found, min_age_s)

    def remove_leftovers(self, paths: Iterable[str], min_age_s: float = 600) -> list[str]:
        """Remove these temp files of killed writes (regular files named like one, older than
        ``min_age_s``); returns their rels."""
        removed: list[str] = []
        now = time.time()
        for name in paths:
            path = Path(name)
            if not LEFTOVER_RE.match(path.name):
                continue
            try:
                st = path.lstat()
                if not stat.S_ISREG(st.st_mode) or now - st.st_mtime < min_age_s:
                    continue
                path.unlink()
            except OSError:
                continue
            removed.append(self.rel(path))
        return sorted(removed)


def _user_umask() -> int:
    try:
        from journal_me.datadir import user_umask
    except ImportError:  # pragma: no cover - datadir ships with the package
        current = os.umask(0o077)
        os.umask(current)
        return current
    return user_umask()


def _real_path_of(fh: Any) -> str | None:
    """The real path of an open file (Linux ``/proc/self/fd``), or None where unknown."""
    try:
        real = os.readlink(f"/proc/self/fd/{fh.fileno()}")
    except (OSError, AttributeError, ValueError):
        return None
    return real if real.startswith("/") and not real.endswith(" (deleted)") else None


def _digest_of(path: Path) -> str | None:
    try:
        return sha256_bytes(Path(path).read_bytes())
    except FileNotFoundError:
        return None


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_renameat2: Any = None
_renameat2_state = {"tried": False, "works": True}


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``). False where the
    call or the file system does not support it (or ``b`` is gone)."""
    global _renameat2
    if not _renameat2_state["works"]:
        return False
    import ctypes  # (only a save loads it: ~5 ms of every command's start)

    if not _renameat2_state["tried"]:
        _renameat2_state["tried"] = True
        try:
            _renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
        except OSError:
            _renameat2 = None
        if _renameat2 is None:
            _renameat2_state["works"] = False
            return False
    ret = _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if ret == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        _renameat2_state["works"] = False
        return False
    if err == errno.ENOENT:
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(tmp: Path, target: Path) -> Path | None:
    """Put ``tmp`` at ``target``; return a path holding the inode that was displaced (the
    version on disk at the instant of the swap), or None when there was none."""
    if _exchange(tmp, target):
        return tmp  # the temp name now holds the displaced version
    for _ in range(10):
        hidden = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            os.link(target, hidden)  # pin the inode the replace will displace
        except FileExistsError:
            continue
        except FileNotFoundError:
            break
        except OSError as exc:  # no hard links on this file system (exFAT): replace unpinned
            if exc.errno not in fsutil.NO_HARD_LINKS:
                raise
            break
        os.replace(tmp, target)
        return hidden
    os.replace(tmp, target)
    return None


def _settled_digest(path: Path, wait: float = 2.0) -> str | None:
    """The digest of ``path`` once no process has it open for writing (a Linux read lease
    is refused while a writer holds it), so that an append in flight lands before we look.
    Where leases are not available, wait a moment and read until two reads agree."""
    try:
        import fcntl
        import signal

        setlease: int | None = getattr(fcntl, "F_SETLEASE", None)
        setsig: int | None = getattr(fcntl, "F_SETSIG", None)
        quiet_signal = int(signal.SIGURG)  # ignored by default: a lease break cannot kill us
    except (ImportError, AttributeError):
        setlease = setsig = None
    deadline = time.monotonic() + wait
    if setlease is not None and setsig is not None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.fcntl(fd, setsig, quiet_signal)
            while True:
                try:
                    fcntl.fcntl(fd, setlease, fcntl.F_RDLCK)
                except OSError as exc:
                    if exc.errno == errno.EAGAIN and time.monotonic() < deadline:
                        time.sleep(0.002)
                        continue
                    break  # no leases here (or a writer that never lets go): read as is
                try:
                    with open(path, "rb") as fh:
                        return sha256_bytes(fh.read())
                finally:
                    with contextlib.suppress(OSError):
                        fcntl.fcntl(fd, setlease, fcntl.F_UNLCK)
        except OSError:
            pass  # F_SETSIG refused: read as is below
        finally:
            os.close(fd)
    first = _digest_of(path)
    while time.monotonic() < deadline:
        time.sleep(0.02)
        again = _digest_of(path)
        if again == first:
            return again
        first = again
    return first


@dataclass(frozen=True)
class SaveResult:
    rel: str
    saved: bool
    conflict_rel: str | None  # where the unsaved text went when the file changed on disk
    digest: str | None  # the digest of what is now at ``rel``
    # set (and nothing written) when the save would make the entry public or break its front
    # matter and was not confirmed: the user-facing reason to ask about (Journal.save_entry)
    needs_confirmation: str | None = None

    @property
    def conflict(self) -> bool:
        return self.conflict_rel is not None


def atomic_write(path: Path, text: str, *, exclusive: bool = False, mode: int | None = None) -> None:
    """:func:`journal_me.fsutil.atomic_write` for vault files: hidden temp file in the same
    folder, fsync, rename into place, fsync the folder.

    With ``exclusive`` an existing ``path`` is never replaced, even one that appeared
    meanwhile: :class:`VaultError`. ``mode``: the new file's permissions (default: an
    existing file's, else owner-only 0600).
    """
    try:
        fsutil.atomic_write(path, text, mode="keep" if mode is None else mode, exclusive=exclusive)
    except fsutil.NoClobberError as exc:
        raise VaultError(f"refusing to overwrite existing file {path}") from exc


def render_new_entry(text: str, *, title: str | None = None, tags: Iterable[str] = ()) -> str:
    """The text of a new entry; front matter only when there is something to put in it."""
    lines: list[str] = []
    tag_list = [t.lstrip("#") for t in tags if t.strip("#")]
    if title or tag_list:
        import yaml

        lines.append("---")
        if title:
            lines.append(f"title: {yaml.safe_dump(title, default_style=None).strip().splitlines()[0]}")
        if tag_list:
            lines.append("tags: " + yaml.safe_dump(tag_list, default_flow_style=True, width=10_000).strip())
        lines.append("---")
        lines.append("")
    body = text.rstrip("\n") + "\n"
    return "\n".join(lines) + body
