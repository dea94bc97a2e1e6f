"""Importers from other journal apps into the vault (one markdown file per entry)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
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
    skipped: int
    paths: tuple[str, ...]


def _jrnl_id(item: dict[str, Any]) -> str:
    key = json.dumps(
        [item.get("date"), item.get("time"), item.get("title"), item.get("body")], ensure_ascii=False
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def import_jrnl(journal: Journal, file: Path) -> ImportResult:
    """Import jrnl's JSON export. Idempotent: each entry carries ``jrnl_id`` in its front
    matter, and an id already in the vault is skipped."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise JrnlImportError(f"{file}: no such file") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JrnlImportError(f"{file}: not a jrnl JSON export ({exc})") from exc
    items = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise JrnlImportError(f"{file}: no 'entries' list (export with `jrnl --export json`)")

    existing: set[str] = set()
    for rel, _path in journal.vault.scan():
        try:
            entry = journal.vault.read(rel)
        except Exception:  # unreadable files are reported by doctor, not here
            continue
        jid = entry.meta.get("jrnl_id")
        if jid:
            existing.add(str(jid))

    created: list[str] = []
    skipped = 0
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict) or "date" not in item:
            raise JrnlImportError(f"{file}: entry {n} has no date")
        jid = _jrnl_id(item)
        if jid in existing:
            skipped += 1
            continue
        try:
            day = dt.date.fromisoformat(str(item["date"])[:10])
        except ValueError as exc:
            raise JrnlImportError(f"{file}: entry {n} has a bad date {item['date']!r}") from exc
        tags = [str(t).lstrip("@#") for t in item.get("tags", []) if str(t).strip("@#")]
        meta: dict[str, Any] = {"title": str(item.get("title", "")).strip() or None, "date": day.isoformat()}
        if item.get("time"):
            meta["time"] = str(item["time"])
        if tags:
            meta["tags"] = tags
        if item.get("starred"):
            meta["starred"] = True
        meta["jrnl_id"] = jid
        front = yaml.safe_dump(
            {k: v for k, v in meta.items() if v is not None}, sort_keys=False, allow_unicode=True
        ).strip()
        body = str(item.get("body", "")).strip()
        text = f"---\n{front}\n---\n\n{body}\n"
        rel = journal.vault.entry_rel_for(day)
        entry = journal.vault.create(rel, text)
        created.append(entry.rel)
        existing.add(jid)
    if created:
        journal.update_paths(created)
    return ImportResult(created=len(created), skipped=skipped, paths=tuple(created))
