"""File helpers of the registry: atomic JSON and copies (through :mod:`journal_me.fsutil`),
leftovers of killed writers, names from file names. Locks: :class:`journal_me.fsutil.FileLock`
and :func:`journal_me.fsutil.try_lock`."""

from __future__ import annotations

import contextlib
import re
import shutil
from pathlib import Path
from typing import Any

from journal_me import fsutil
from journal_me.fsutil import atomic_path, atomic_write_json
from journal_me.models.errors import RegistryCorruptError


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that readers see the old file or the new one, never half of one."""
    atomic_write_json(path, data, indent=2, sort_keys=True)


def copy_atomic(source: Path, dest: Path) -> None:
    """Copy a (possibly large) file via a temp file in the destination directory."""
    with atomic_path(dest) as tmp:
        shutil.copyfile(source, tmp)


def read_json(path: Path) -> dict[str, Any] | None:
    """:func:`journal_me.fsutil.read_json`, a bad file raising :class:`RegistryCorruptError`."""
    try:
        return fsutil.read_json(path)
    except fsutil.JsonFileError as exc:
        raise RegistryCorruptError(path, exc.why) from None


#: A temp file of an atomic write older than this cannot belong to a live writer (the
#: largest write, copying an adapter, takes seconds).
LEFTOVER_AGE_S = 600.0
TMP_GLOB = fsutil.TMP_GLOB  # the temp files of fsutil's atomic writes


def is_old(path: Path, now: float) -> bool:
    try:
        return now - path.lstat().st_mtime > LEFTOVER_AGE_S
    except OSError:
        return False


def slugify(text: str) -> str:
    """A registry name from a file name: ``Qwen2.5-1.5B-Instruct-Q4_K_M`` -> lower, safe."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")
    return slug[:80] or "model"


def remove_tmp(directory: Path, now: float, free: bool, pattern: str = TMP_GLOB) -> list[Path]:
    """Temp files of atomic writes directly in ``directory``: all of them when its lock is
    ``free``, else only old ones."""
    removed = []
    for tmp in directory.glob(pattern):
        if tmp.is_file() and (free or is_old(tmp, now)):
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed.append(tmp)
    return removed


def same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False
