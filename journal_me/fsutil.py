"""One way to write a file whole, and one advisory file lock.

- :func:`atomic_write` / :func:`atomic_write_json` / :func:`atomic_path`: the data goes to a
  hidden temp file in the same directory (``.<name>.<random>.tmp``, so it is on the same file
  system and leftover sweeps can find it), is flushed and fsynced, gets its permissions, is
  renamed over the target with ``os.replace`` and the directory is fsynced, so a reader — or
  the disk after a power cut — sees the old file or the new one, never half of one. On any
  failure (an exception, Ctrl-C) the temp file is removed and the old file stays as it was.
  ``exclusive=True`` creates the file only if nothing is at ``path`` (a hard link of the full
  temp file, which fails if the name is taken: no clobber even against a racing writer);
  ``mode="keep"`` keeps an existing file's permissions. :func:`write_temp` is the first half
  alone, for a caller that moves the file into place itself (the vault's checked swap).
- :func:`read_json`: a JSON file that must hold an object; a bad one raises
  :class:`JsonFileError` naming the file and what is wrong with it.
- :class:`FileLock`: a POSIX ``flock`` on a lock file, taken without waiting
  (``acquire(blocking=False)``) or waiting. The kernel drops a flock when its process dies,
  even by ``kill -9``, so a crashed holder never leaves a stale lock behind; the file itself
  is never deleted (deleting a lock file races with a second locker). Where ``fcntl`` does not
  exist (Windows) there is no lock: ``supported`` is False and ``acquire`` answers True.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal

#: ``mode`` of the writers: permissions, ``"keep"`` (an existing file's, else owner-only) or
#: None (owner-only 0600, the temp file's).
Mode = int | Literal["keep"] | None

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


class NoClobberError(FileExistsError):
    """An ``exclusive`` write found a file already at its path; nothing was written."""


def _mode_for(path: Path, mode: Mode) -> int | None:
    if mode != "keep":
        return mode
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None


def write_temp(path: Path | str, data: bytes, *, mode: int | None = None) -> Path:
    """``data`` in a hidden, fsynced temp file beside ``path`` (``.NAME.XXXXXXXX.tmp``), with
    permissions ``mode`` (default 0600). The caller moves it into place or unlinks it; if
    writing fails the temp file is removed and the error raised."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        _write_fsynced(fd, data)
        if mode is not None:
            os.chmod(name, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


def _write_fsynced(fd: int, data: bytes) -> None:
    """Write ``data`` to the open file ``fd`` (closed after), flushed to the disk."""
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


# link() refused by the file system itself (exFAT/FAT sticks, some FUSE and SMB mounts)
NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK, errno.EXDEV}


def _link_new(tmp: Path, path: Path, data: bytes, mode: int | None) -> None:
    """Give the complete ``tmp`` the name ``path`` unless that name is taken."""
    try:
        os.link(tmp, path)
        return
    except FileExistsError as exc:
        raise NoClobberError(errno.EEXIST, "refusing to overwrite an existing file", str(path)) from exc
    except OSError as exc:
        if exc.errno not in NO_HARD_LINKS:
            raise
    # No hard links here: O_EXCL still never clobbers, but a reader may briefly see the new
    # file before it is complete (it is never half of an old one).
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise NoClobberError(errno.EEXIST, "refusing to overwrite an existing file", str(path)) from exc
    try:
        _write_fsynced(fd, data)
        if mode is not None:
            os.chmod(path, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)  # ours: O_EXCL created it
        raise


def atomic_write(path: Path | str, data: bytes | str, *, mode: Mode = None, exclusive: bool = False) -> None:
    """Replace ``path`` with ``data`` (``str`` is written as UTF-8) all at once.

    ``mode``: the new file's permissions; ``"keep"``: an existing file's; by default the temp
    file's (owner-only, 0600). ``exclusive``: only create, never replace: raises
    :class:`NoClobberError` (a ``FileExistsError``) if ``path`` exists, even if it appeared
    while the temp file was being written.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    perms = _mode_for(path, mode)
    tmp = write_temp(path, payload, mode=perms)
    try:
        if exclusive:
            _link_new(tmp, path, payload, perms)
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def atomic_write_json(
    path: Path | str,
    obj: Any,
    *,
    mode: Mode = None,
    indent: int | None = None,
    sort_keys: bool = False,
) -> None:
    """:func:`atomic_write` of ``obj`` as JSON (UTF-8, not ASCII-escaped).

    The object is serialised before the file is touched, so a value JSON cannot hold
    leaves the old file alone. With ``indent`` the file ends with a newline.
    """
    text = json.dumps(obj, ensure_ascii=False, indent=indent, sort_keys=sort_keys)
    atomic_write(path, text + "\n" if indent is not None else text, mode=mode)


class JsonFileError(ValueError):
    """A JSON file that is not what it must be; the message names the file and why."""

    def __init__(self, path: Path | str, why: str) -> None:
        super().__init__(f"{path}: {why}")
        self.path = Path(path)
        self.why = why


def json_kind(value: Any) -> str:
    """What a JSON value is, in words: ``null``, ``list``, ``number``…"""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {list: "list", str: "string", int: "number", float: "number"}.get(type(value), "value")


def read_json(path: Path | str) -> dict[str, Any] | None:
    """The JSON object in ``path``; None if there is no such file.

    Anything else that goes wrong — unreadable, not text, not JSON, JSON but not an object —
    raises :class:`JsonFileError` naming the file and what is wrong, never a bare
    ``ValueError`` from the parser. A caller that can live without the file (a cache, a
    state that is rebuilt) catches it and logs it; it does not pass silently.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise JsonFileError(path, "not a text file (garbage bytes)") from None
    except ValueError as exc:
        raise JsonFileError(path, f"not valid JSON ({exc})") from None
    except OSError as exc:
        raise JsonFileError(path, f"unreadable ({exc.strerror or exc})") from None
    if not isinstance(data, dict):
        raise JsonFileError(path, f"a JSON {json_kind(data)}, not an object")
    return data


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
    """The lock taken without waiting: yields whether it was free (and is now held).

    Where locks are not supported (no ``fcntl``) it yields False: nobody can be known not
    to be writing, so a caller that cleans up after killed writers keeps to old leftovers.
    """
    lock = FileLock(path)
    if not lock.supported:  # pragma: no cover - Windows
        yield False
        return
    try:
        got = lock.acquire(blocking=False)
    except OSError:  # the lock file cannot be opened: never assume nobody writes
        yield False
        return
    try:
        yield got
    finally:
        lock.release()
