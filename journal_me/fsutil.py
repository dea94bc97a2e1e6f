"""One way to write a file whole, and one advisory file lock.

- :func:`atomic_write` / :func:`atomic_write_json` / :func:`atomic_path`: the data goes to a
  hidden temp file in the same directory (``.<name>.<random>.tmp``, so it is on the same file
  system and leftover sweeps can find it), is flushed and fsynced, gets its permissions, is
  renamed over the target with ``os.replace`` and the directory is fsynced, so a reader — or
  the disk after a power cut — sees the old file or the new one, never half of one. On any
  failure (an exception, Ctrl-C) the temp file is removed and the old file stays as it was.
- :class:`FileLock`: a POSIX ``flock`` on a lock file, taken without waiting
  (``acquire(blocking=False)``) or waiting. The kernel drops a flock when its process dies,
  even by ``kill -9``, so a crashed holder never leaves a stale lock behind; the file itself
  is never deleted (deleting a lock file races with a second locker). Where ``fcntl`` does not
  exist (Windows) there is no lock: ``supported`` is False and ``acquire`` answers True.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

#: The temp files' names match this (relative to their directory).
TMP_GLOB = ".*.tmp"


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (not possible everywhere, e.g. Windows: skipped)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(path: Path | str, *, mode: int | None = None) -> Iterator[Path]:
    """Yield a temp path next to ``path``; when the block ends normally, move it into place.

    For writers that want a file name rather than bytes (a GGUF writer, a streamed JSONL):
    the block fills the temp file, which is then fsynced, given ``mode``, renamed over
    ``path`` and the directory fsynced. If the block raises, the temp file is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def atomic_write(path: Path | str, data: bytes | str, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` (``str`` is written as UTF-8) all at once.

    ``mode``: the new file's permissions; by default the temp file's (owner-only, 0600).
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path, mode=mode) as tmp, open(tmp, "wb") as out:
        out.write(payload)
        out.flush()


def atomic_write_json(
    path: Path | str,
    obj: Any,
    *,
    mode: int | None = None,
    indent: int | None = None,
    sort_keys: bool = False,
) -> None:
    """:func:`atomic_write` of ``obj`` as JSON (UTF-8, not ASCII-escaped).

    The object is serialised before the file is touched, so a value JSON cannot hold
    leaves the old file alone. With ``indent`` the file ends with a newline.
    """
    text = json.dumps(obj, ensure_ascii=False, indent=indent, sort_keys=sort_keys)
    atomic_write(path, text + "\n" if indent is not None else text, mode=mode)


class FileLock:
    """An advisory exclusive ``flock`` on ``path`` (created if missing, never deleted).

    ``acquire(blocking=False)`` returns False at once while another process (or another
    ``FileLock`` on the same file) holds it; ``acquire()`` waits. ``handle`` is the open lock
    file while held, for a holder that writes who it is into it. ``with FileLock(p):``
    waits for the lock and releases it at the end.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.handle: IO[str] | None = None

    @property
    def supported(self) -> bool:
        try:
            import fcntl  # noqa: F401
        except ImportError:  # pragma: no cover - Windows
            return False
        return True

    @property
    def held(self) -> bool:
        return self.handle is not None

    def acquire(self, *, blocking: bool = True) -> bool:
        """Take the lock; without ``blocking``, return False at once if it is taken."""
        if self.handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: best effort, single user
            self.handle = handle
            return True
        flags = fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB
        try:
            fcntl.flock(handle.fileno(), flags)
        except OSError:  # EWOULDBLOCK: another holder
            handle.close()
            if blocking:
                raise
            return False
        except BaseException:  # Ctrl-C while waiting
            handle.close()
            raise
        self.handle = handle
        return True

    def release(self) -> None:
        handle, self.handle = self.handle, None
        if handle is None:
            return
        with contextlib.suppress(ImportError, OSError):
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


@contextlib.contextmanager
def try_lock(path: Path | str) -> Iterator[bool]:
    """The lock taken without waiting: yields whether it was free (and is now held)."""
    lock = FileLock(path)
    try:
        got = lock.acquire(blocking=False)
    except OSError:  # the lock file cannot be opened: never assume nobody writes
        yield False
        return
    try:
        yield got
    finally:
        lock.release()
