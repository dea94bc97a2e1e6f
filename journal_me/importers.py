"""Importers from other journal apps into the vault (one markdown file per entry).

jrnl (``jrnl --export json``): each entry becomes one file with front matter. jrnl has no
entry ids, so an entry is known by its original date and time (``jrnl_id: 2025-03-09 16:20``;
a second entry in the same minute gets `` #2``…). Re-importing after an edit in jrnl updates
the file imported before — never a second copy. Each file also carries ``jrnl_rev``, the hash
of the file as imported (that line left out): a file changed in the vault since is never
overwritten; the jrnl version goes beside it as a conflict copy instead.

jrnl's ``@name`` tags are people (``people:`` front matter; ``@Name`` stays in the body, where
it reads as a mention), its ``#tags`` are tags; the title loses its trailing tags and the tag
marks inside it ("Coffee with @Sam #friends." → "Coffee with Sam.").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from journal_me.api import Journal


class JrnlImportError(ValueError):
    pass


@dataclass(frozen=True)
class ImportResult:
    created: int
    skipped: int  # already imported and unchanged in jrnl
    paths: tuple[str, ...]  # files created or updated
    updated: int = 0  # edited in jrnl since the last import: the file was rewritten
    conflicts: tuple[str, ...] = ()  # edited in both: the jrnl version went to these copies
    held: tuple[str, ...] = ()  # not rewritten: the change needs the user's confirmation


_REV_LINE_RE = re.compile(r"^jrnl_rev: *\S*[ \t]*\n", re.MULTILINE)
_FRONT_RE = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*(?:\n|\Z)", re.DOTALL)
_LEGACY_ID_RE = re.compile(r"[0-9a-f]{16}")


def _legacy_id(item: dict[str, Any]) -> str:
    """The id the first importer gave an entry (a hash of its content)."""
    key = json.dumps(
        [item.get("date"), item.get("time"), item.get("title"), item.get("body")], ensure_ascii=False
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _rev(text_without_rev: str) -> str:
    return hashlib.sha256(text_without_rev.encode("utf-8")).hexdigest()[:16]


def _without_rev(text: str) -> str:
    """The file's text with its ``jrnl_rev`` line (front matter only) left out."""
    m = _FRONT_RE.match(text)
    if not m:
        return text
    return text[: m.start(1)] + _REV_LINE_RE.sub("", m.group(1), count=1) + text[m.end(1) :]


def _time_key(date: Any, time: Any) -> str:
    return f"{str(date)[:10]} {str(time or '').strip()}".strip()


def _tag_names(item: dict[str, Any], text: str) -> tuple[list[str], list[str]]:
    """(#tags without '#', @names without '@') from an exported entry, in the order they
    appear in ``text`` (jrnl exports its tags in set order, different on every run)."""
    tags: dict[str, None] = {}
    names: dict[str, None] = {}
    raw = item.get("tags", [])
    lowered = text.lower()

    def place(tag: str) -> tuple[int, str]:
        at = lowered.find(tag.lower())
        return (at if at >= 0 else len(lowered), tag.lower())

    for t in sorted((str(t).strip() for t in (raw if isinstance(raw, list) else [])), key=place):
        if t.startswith("@") and t.strip("@"):
            names[t.lstrip("@")] = None
        elif t.strip("#@"):
            tags[t.lstrip("#")] = None
    return list(tags), list(names)


def _as_written(name: str, texts: Iterable[str]) -> str:
    """``sam`` (jrnl lower-cases tags) as the user wrote it: ``Sam``."""
    pattern = re.compile(rf"(?<![\w@])@({re.escape(name)})(?![\w-])", re.IGNORECASE)
    for text in texts:
        m = pattern.search(text)
        if m:
            return m.group(1)
    return name[:1].upper() + name[1:]


_TRAILING_TAGS_RE = re.compile(r"(?:\s+[#@][^\s#@]+?)+(?=[.!?…]*\s*$)")
_TAG_MARK_RE = re.compile(r"(?<![\w@#])[#@](?=[^\W\d_])", re.UNICODE)


def clean_title(title: str) -> str:
    """A jrnl title without its tags: trailing ``#tags`` go, ``#``/``@`` marks elsewhere
    go and leave the word ("Went to the #gym with @Sam #health." → "Went to the gym with
    Sam.")."""

    def keep_names(m: re.Match[str]) -> str:
        return "".join(f" {w}" for w in m.group(0).split() if w.startswith("@"))

    title = _TRAILING_TAGS_RE.sub(keep_names, title.strip())
    title = _TAG_MARK_RE.sub("", title)
    return " ".join(title.split())


def _render(item: dict[str, Any], jid: str) -> str:
    """The file for an exported jrnl entry, with ``jrnl_rev`` set."""
    title = str(item.get("title") or "").strip()
    body = str(item.get("body") or "").strip()
    tags, names = _tag_names(item, f"{title}\n{body}")
    people = list(dict.fromkeys(_as_written(n, (title, body)) for n in names))
    meta: dict[str, Any] = {
        "title": clean_title(title) or None,
        "date": dt.date.fromisoformat(str(item["date"])[:10]),
    }
    if item.get("time"):
        meta["time"] = str(item["time"])
    if tags:
        meta["tags"] = tags
    if people:
        meta["people"] = people
    if item.get("starred"):
        meta["starred"] = True
    meta["jrnl_id"] = jid
    front = yaml.safe_dump(
        {k: v for k, v in meta.items() if v is not None}, sort_keys=False, allow_unicode=True, width=10_000
    ).strip()
    text = f"---\n{front}\n---\n\n{body}\n" if body else f"---\n{front}\n---\n"
    rev = _rev(text)
    # the rev line goes right after jrnl_id (the last key), so _without_rev restores `text`
    end = text.index("\n---", 3)
    return f"{text[:end]}\njrnl_rev: '{rev}'{text[end:]}"


def _load(file: Path) -> list[Any]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise JrnlImportError(f"{file}: no such file") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JrnlImportError(f"{file}: not a jrnl JSON export ({exc})") from exc
    items = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise JrnlImportError(f"{file}: no 'entries' list (export with `jrnl --export json`)")
    return items


@dataclass(frozen=True)
class _Imported:
    rel: str
    meta: dict[str, Any]


@dataclass
class _Vault:
    by_id: dict[str, _Imported]  # files a jrnl import made, by jrnl_id
    legacy: dict[str, _Imported]  # first-importer files, by date+time
    copies: set[tuple[str, str]]  # (original rel, jrnl_rev) of conflict copies not resolved


def _imported(journal: Journal) -> _Vault:
    """What earlier jrnl imports left in the vault."""
    by_id: dict[str, _Imported] = {}
    legacy: dict[str, _Imported] = {}
    copies: set[tuple[str, str]] = set()
    for entry in journal.read_entries():  # unreadable files are reported by doctor, not here
        jid = entry.meta.get("jrnl_id")
        if jid is None:
            continue
        if entry.conflict_of is not None:
            copies.add((entry.conflict_of, str(entry.meta.get("jrnl_rev"))))
            continue
        found = _Imported(entry.rel, dict(entry.meta))
        jid = str(jid)
        if _LEGACY_ID_RE.fullmatch(jid) and "jrnl_rev" not in entry.meta:
            legacy.setdefault(_time_key(entry.meta.get("date"), entry.meta.get("time")), found)
        by_id.setdefault(jid, found)
    return _Vault(by_id, legacy, copies)


def import_jrnl(journal: Journal, file: Path) -> ImportResult:
    """Import (or re-import) jrnl's JSON export: one file per entry, updated in place when
    the entry was edited in jrnl since, never a duplicate."""
    items = _load(file)
    known = _imported(journal)

    created: list[str] = []
    updated: list[str] = []
    conflicts: list[str] = []
    held: list[str] = []
    skipped = 0
    seen: dict[str, int] = {}
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict) or "date" not in item:
            raise JrnlImportError(f"{file}: entry {n} has no date")
        try:
            day = dt.date.fromisoformat(str(item["date"])[:10])
        except ValueError as exc:
            raise JrnlImportError(f"{file}: entry {n} has a bad date {item['date']!r}") from exc
        key = _time_key(item["date"], item.get("time"))
        seen[key] = seen.get(key, 0) + 1
        jid = key if seen[key] == 1 else f"{key} #{seen[key]}"
        text = _render(item, jid)

        rev = _rev(_without_rev(text))
        old = known.by_id.get(jid)
        if old is None and seen[key] == 1:
            # imported by the first importer: known by its content hash, else date+time
            old = known.by_id.get(_legacy_id(item)) or known.legacy.get(key)
        if old is None:
            entry = journal.write_new(journal.entry_rel_for(day), text)
            created.append(entry.rel)
            known.by_id[jid] = _Imported(entry.rel, {"jrnl_id": jid, "jrnl_rev": rev})
            continue
        if (
            _legacy_id(item) == str(old.meta.get("jrnl_id"))
            or str(old.meta.get("jrnl_rev")) == rev
            or (old.rel, rev) in known.copies
        ):
            skipped += 1  # unchanged in jrnl since the last import (or already beside it)
            continue
        raw, _mtime = journal.read_bytes(old.rel)
        current = raw.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
        digest = hashlib.sha256(raw).hexdigest()
        untouched = "jrnl_rev" in old.meta and str(old.meta["jrnl_rev"]) == _rev(_without_rev(current))
        # a file changed in the vault since it was imported is never overwritten: with an
        # expected digest that cannot match, save_entry keeps it and writes a conflict copy
        result = journal.save_entry(old.rel, text, digest if untouched else None)
        if result.conflict_rel:
            conflicts.append(result.conflict_rel)
            known.copies.add((old.rel, rev))
        elif result.saved:
            updated.append(old.rel)
        elif getattr(result, "needs_confirmation", None):
            held.append(old.rel)  # e.g. the edit in jrnl dropped #private: the user decides
        else:
            skipped += 1
    if created:
        journal.update_paths(created)
    return ImportResult(
        created=len(created),
        skipped=skipped,
        paths=tuple(created + updated),
        updated=len(updated),
        conflicts=tuple(conflicts),
        held=tuple(held),
    )
