"""What the last refresh saw of each vault file: its ``stat`` and the digest it was indexed with.

A refresh walks the vault with one ``stat`` per file and reads (and hashes) only the files
whose stat changed since; the digest stays the confirmation, so a touched-but-unchanged file
is not re-indexed. The key is (size, mtime_ns, ctime_ns, inode): an edit that keeps the size
and puts the old mtime back still moves the ctime, a file replaced by a rename has a new
inode. A file whose mtime is within :data:`RACY_NS` of the walk that recorded it could have
changed again within the same clock tick (coarse timestamps: FAT's 2 s, a kernel's jiffy), so
it is hashed again until a later walk records it ("racily clean", as git does).

The cache is trusted only while the index and the graph are as it left them: it records the
index folder's files (name, size, mtime) after its write, and the caller compares the graph's
entries with the indexed files. Anything else (another process indexing, a rebuilt or
recovered index, a deleted graph) makes the caller reconcile with the whole index once.

Derived state in the vault's data dir (``refresh.json.zlib``, owner-only, written atomically):
JSON, zlib-compressed (version 2: a third of the size, ~55 bytes a file instead of ~150; the
paths and stat numbers repeat); an unreadable, foreign or older file is ignored and rewritten.
"""

from __future__ import annotations

import json
import logging
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CACHE_NAME = "refresh.json.zlib"  # not JSON to a reader that trusts the name: say what it is
OLD_CACHE_NAMES = ("refresh.json",)  # version 1 (plain JSON), removed when the new one is written
VERSION = 2  # 2: zlib-compressed
# mtimes this close to (or after) the walk that recorded them are hashed again next time
RACY_NS = 2_500_000_000

StatKey = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


def stat_key(st: os.stat_result) -> StatKey:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


@dataclass
class Seen:
    key: StatKey
    digest: str | None  # None: the file could not be read as an entry (a warning says why)


@dataclass
class StatCache:
    files: dict[str, Seen] = field(default_factory=dict)
    walked_ns: int = 0  # when the walk that recorded ``files`` started (time.time_ns())
    index_mark: list[list[Any]] = field(default_factory=list)

    def racy(self, seen: Seen) -> bool:
        """Whether the file may have changed within the clock tick of its recorded stat."""
        return seen.key[1] >= self.walked_ns - RACY_NS

    def needs_read(self, rel: str, st: os.stat_result) -> bool:
        """Whether ``rel`` must be read (and hashed) to know if it changed."""
        seen = self.files.get(rel)
        return seen is None or seen.key != stat_key(st) or self.racy(seen)

    def indexed(self) -> set[str]:
        return {rel for rel, seen in self.files.items() if seen.digest is not None}

    # -- file ------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path) -> StatCache | None:
        try:
            raw = json.loads(zlib.decompress(path.read_bytes()))
        except (OSError, ValueError, zlib.error):  # (a version 1 file is plain JSON)
            return None
        try:
            if raw.get("version") != VERSION:
                return None
            files = {
                str(rel): Seen(
                    (int(v[0]), int(v[1]), int(v[2]), int(v[3])), v[4] if isinstance(v[4], str) else None
                )
                for rel, v in raw["files"].items()
            }
            mark = raw.get("index", [])
            return cls(files=files, walked_ns=int(raw["walked_ns"]), index_mark=list(mark))
        except (AttributeError, KeyError, TypeError, ValueError, IndexError):
            log.warning("ignoring a refresh cache of the wrong shape: %s", path)
            return None

    def save(self, path: Path) -> None:
        from journal_me.fsutil import atomic_write

        data = {
            "version": VERSION,
            "walked_ns": self.walked_ns,
            "index": self.index_mark,
            "files": {rel: [*seen.key, seen.digest] for rel, seen in self.files.items()},
        }
        # mkstemp: born 0600, like everything in the data dir
        text = json.dumps(data, separators=(",", ":")).encode("utf-8")
        atomic_write(path, zlib.compress(text, 6), mode=0o600)
        for old in OLD_CACHE_NAMES:
            try:
                (path.parent / old).unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("could not remove the old refresh cache %s: %s", path.parent / old, exc)


STAMP_NAME = "refresh.stamp"  # what the last walk that found the index in step saw, in short
STAMP_VERSION = 1


def walk_signature(stats: dict[str, os.stat_result]) -> tuple[str, int]:
    """(a digest of every file's path and stat key, in walk order; the newest mtime_ns): equal
    digests mean the same files with the same (size, mtime_ns, ctime_ns, inode)."""
    import hashlib
    from array import array

    files = stats.values()
    mtimes = [st.st_mtime_ns for st in files]
    digest = hashlib.blake2b(digest_size=20)
    digest.update("\0".join(stats).encode("utf-8", "surrogateescape"))
    for column in (
        [st.st_size for st in files],
        mtimes,
        [st.st_ctime_ns for st in files],
        [st.st_ino for st in files],
    ):
        try:
            digest.update(array("q", column).tobytes())
        except OverflowError:  # (an inode number above 2**63)
            digest.update(repr(column).encode("ascii"))
    return digest.hexdigest(), max(mtimes, default=0)


def file_mark(path: Path) -> list[int] | None:
    """(size, mtime_ns, inode) of ``path``; None when it is missing or unreadable."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def load_stamp(path: Path) -> dict[str, Any] | None:
    """The stamp written with the refresh cache (see ``Journal.reindex``): the walk's
    signature and when it ran, the marks of the index folder, the graph store and the cache
    file as they were then. None when missing, unreadable or of another version."""
    try:
        raw = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or raw.get("version") != STAMP_VERSION:
        return None
    return raw


def save_stamp(path: Path, stamp: dict[str, Any]) -> None:
    from journal_me.fsutil import atomic_write

    try:
        atomic_write(path, json.dumps({"version": STAMP_VERSION, **stamp}, separators=(",", ":")), mode=0o600)
    except OSError as exc:  # only a shortcut: the next refresh reads the cache instead
        log.warning("could not save %s: %s", path, exc)


def folder_mark(folder: Path) -> list[list[Any]]:
    """(name, size, mtime_ns) of the files in ``folder``: changes with any write to it."""
    try:
        with os.scandir(folder) as it:
            out = []
            for item in it:
                if item.is_file(follow_symlinks=False):
                    st = item.stat(follow_symlinks=False)
                    out.append([item.name, st.st_size, st.st_mtime_ns])
    except OSError:
        return []
    return sorted(out)


def delete(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not delete %s: %s", path, exc)
