"""The vault: the user's markdown files, read safely and written atomically.

The vault holds only what the user wrote. Reading never fails as a whole: a bad file becomes
a :class:`FileWarning` and every other entry is still read. Writing goes through a temp file,
fsync and ``os.replace``, and checks that the file on disk is still the one that was read; if
not, both versions are kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from journal_me.markup import (
    DATE_IN_NAME_RE,
    Passage,
    coerce_list,
    inline_markup,
    normalise_tag,
    split_passages,
)

MAX_FILE_BYTES = 5 * 1024 * 1024
_YAML = YAMLHandler()  # python-frontmatter's loader (yaml SafeLoader)
# (?:…\n)?? lets an empty block ("---\n---") count as front matter too
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


def _parse_date(value: Any) -> dt.date | None:
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


def is_private(meta: Mapping[str, Any], tags: Iterable[str], private_tags: Iterable[str]) -> bool:
    flag = meta.get("private")
    if flag is True or (isinstance(flag, str) and flag.strip().lower() in {"true", "yes", "1"}):
        return True
    wanted = {t.lower() for t in private_tags}
    return any(t in wanted or t.split("/")[0] in wanted for t in tags)


def parse_entry(
    rel: str,
    raw: bytes,
    *,
    path: Path,
    mtime: float,
    private_tags: Iterable[str] = ("private",),
) -> Entry:
    """Parse a file's bytes. Raises :class:`EntryReadError` for files that are not text."""
    if not raw.strip():
        raise EntryReadError("empty file")
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
    text = text.replace("\r\n", "\n").replace("\r", "\n")

    meta: dict[str, Any] = {}
    body = text
    offset = 0
    meta_error: str | None = None
    m = FRONT_MATTER_RE.match(text)
    if m:
        body = text[m.end() :]
        offset = text[: m.end()].count("\n")
        try:
            # load exactly the block split off above (frontmatter.parse splits on its own
            # delimiters and silently drops a front matter that is not a mapping)
            loaded = _YAML.load(m.group(2))
            if loaded is None:
                loaded = {}
            if not isinstance(loaded, dict):
                raise yaml.YAMLError("front matter is not a mapping")
            meta = {str(k): v for k, v in loaded.items()}
        except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
            # PyYAML's constructors raise ValueError for impossible dates ("2026-02-30")
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            meta_error = f"invalid YAML front matter ({first}); read the text without it"
    markup = inline_markup(body)

    stem = Path(rel).stem
    date = _parse_date(meta.get("date")) or _parse_date(Path(rel).name)
    if date is None:
        date = dt.datetime.fromtimestamp(mtime).date()

    tags: dict[str, None] = {}
    for raw_tag in coerce_list(meta.get("tags")) + coerce_list(meta.get("tag")):
        tag = normalise_tag(raw_tag)
        if tag:
            tags[tag] = None
    for tag in markup.tags:
        tags[tag] = None

    title_meta = meta.get("title")
    if title_meta:
        title = str(title_meta).strip()
    elif markup.first_heading:
        title = markup.first_heading
    elif not (dm := DATE_IN_NAME_RE.match(stem)):
        title = stem
    else:
        # "2026-08-26-evening" reads as "Wednesday 26 August 2026 (evening)"
        rest = stem[dm.end() :].strip(" -_")
        title = date.strftime("%A %-d %B %Y") + (f" ({rest.replace('-', ' ')})" if rest else "")

    people = tuple(coerce_list(meta.get("people")))
    aliases = tuple(coerce_list(meta.get("aliases")))
    note_type = str(meta.get("type", "")).lower()
    kind = "note" if note_type in {"person", "pet", "place", "org", "topic", "project"} else "entry"
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
        private=is_private(meta, tags, private_tags),
        digest=sha256_bytes(raw),
        mtime=mtime,
        body_line_offset=offset,
        kind=kind,
        meta_error=meta_error,
        passages=tuple(split_passages(body, offset)),
    )


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
        return any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(parts[-1], pat) for pat in self.ignore)

    def wants(self, rel: str) -> bool:
        """Whether a vault-relative path is a journal file we read."""
        return rel.lower().endswith(".md") and not self.is_ignored(rel)

    def scan(self, warnings: list[FileWarning] | None = None) -> Iterator[tuple[str, Path]]:
        """Yield (rel, path) for every markdown file, following symlinks without looping."""
        if not self.root.is_dir():
            raise VaultNotFoundError(f"vault folder not found: {self.root}")
        seen_dirs: set[tuple[int, int]] = set()
        stack = [self.root]
        while stack:
            folder = stack.pop()
            try:
                st = folder.stat()
            except OSError as exc:
                if warnings is not None:
                    warnings.append(FileWarning(self.rel(folder), f"cannot open folder: {exc.strerror}"))
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen_dirs:
                if warnings is not None:
                    warnings.append(FileWarning(self.rel(folder), "symlink loop, skipped"))
                continue
            seen_dirs.add(key)
            try:
                children = sorted(os.scandir(folder), key=lambda d: d.name)
            except OSError as exc:
                if warnings is not None:
                    warnings.append(FileWarning(self.rel(folder), f"cannot list folder: {exc.strerror}"))
                continue
            subdirs: list[Path] = []
            for child in children:
                rel = self.rel(child.path)
                if self.is_ignored(rel):
                    continue
                try:
                    is_dir = child.is_dir(follow_symlinks=True)
                except OSError:
                    is_dir = False
                if is_dir:
                    subdirs.append(Path(child.path))
                elif child.name.lower().endswith(".md"):
                    yield rel, Path(child.path)
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
            if exc.errno == 40:  # ELOOP
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
        try:
            return sha256_bytes((self.root / rel).read_bytes())
        except FileNotFoundError:
            return None

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
        stem, suffix = rel[: -len(".md")], ".md"
        n = 2
        while (self.root / f"{stem}-{n}{suffix}").exists():
            n += 1
        return f"{stem}-{n}{suffix}"

    def create(self, rel: str, text: str) -> Entry:
        """Write a new file; never replaces an existing one (a suffix is added instead)."""
        rel = self.free_rel(rel)
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text, exclusive=True)
        return self.read(rel)

    def save(self, rel: str, text: str, expected_digest: str | None) -> SaveResult:
        """Replace ``rel`` with ``text`` if it is still the version that was read.

        ``expected_digest`` is the sha256 of the bytes that were read (None for "must not
        exist yet"). On a mismatch the disk version is left alone and ``text`` goes to a
        sibling ``NAME.conflict-YYYYmmdd-HHMMSS.md``: both versions are kept.
        """
        path = self.root / rel
        current = self.digest_on_disk(rel)
        if current == sha256_bytes(text.encode("utf-8")):
            return SaveResult(rel=rel, saved=False, conflict_rel=None, digest=current)
        if current != expected_digest:
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            conflict_rel = self.free_rel(f"{rel[:-3]}.conflict-{stamp}.md")
            atomic_write(self.root / conflict_rel, text, exclusive=True)
            return SaveResult(rel=rel, saved=False, conflict_rel=conflict_rel, digest=current)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text)
        return SaveResult(rel=rel, saved=True, conflict_rel=None, digest=sha256_bytes(text.encode("utf-8")))


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


def atomic_write(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Write via a hidden temp file in the same folder, fsync, then rename into place.

    With ``exclusive`` the rename is refused if ``path`` appeared meanwhile (hard link then
    unlink, so an existing file is never replaced).
    """
    path = Path(path)
    data = text.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists() and not exclusive:
            with contextlib.suppress(OSError):
                os.chmod(tmp, path.stat().st_mode & 0o7777)
        if exclusive:
            try:
                os.link(tmp, path)
            except FileExistsError as exc:
                raise VaultError(f"refusing to overwrite existing file {path}") from exc
            finally:
                os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = None
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        if dir_fd is not None:
            os.close(dir_fd)


def render_new_entry(text: str, *, title: str | None = None, tags: Iterable[str] = ()) -> str:
    """The text of a new entry; front matter only when there is something to put in it."""
    lines: list[str] = []
    tag_list = [t.lstrip("#") for t in tags if t.strip("#")]
    if title or tag_list:
        lines.append("---")
        if title:
            lines.append(f"title: {yaml.safe_dump(title, default_style=None).strip().splitlines()[0]}")
        if tag_list:
            lines.append("tags: " + yaml.safe_dump(tag_list, default_flow_style=True, width=10_000).strip())
        lines.append("---")
        lines.append("")
    body = text.rstrip("\n") + "\n"
    return "\n".join(lines) + body
