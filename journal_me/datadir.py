"""The data dir holds derived state about a private journal: owner-only, always.

The index, graph, conversations, recovery copies and adapters quote the journal, so every
folder there is ``0700`` and every file ``0600``, whatever the user's umask. ``secure_data_dir``
tightens what an older version (or a umask of 022) left readable, and sets the process umask
so that what is written from then on (Whoosh segments, SQLite and its -wal/-shm files, JSON
state) is born private.

Vault files are the user's own and are not data-dir files: new ones take the mode of the
vault's existing files, falling back to ``0o666 & ~user_umask()``.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import time
from pathlib import Path

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600

_lock = threading.Lock()


def _read_umask() -> int:
    # the only portable way to read the umask is to set it and put it back
    with _lock:
        current = os.umask(PRIVATE_UMASK)
        os.umask(current)
    return current


_USER_UMASK = _read_umask()  # captured at import, before secure_data_dir changes it


def user_umask() -> int:
    """The umask the process started with (before the data dir made it private)."""
    return _USER_UMASK


def _tighten(path: Path, mode: int) -> None:
    with contextlib.suppress(OSError):
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            return  # never follow a link out of the data dir
        if stat.S_IMODE(st.st_mode) & ~mode:
            os.chmod(path, stat.S_IMODE(st.st_mode) & mode)


def secure_data_dir(root: Path) -> None:
    """Make ``root`` owner-only: umask at least 077, folders 0700, files 0600 (recursively).

    Only permissions are taken away (a 0500 folder stays 0500); symlinks are not followed.
    Errors are ignored: a file that cannot be chmodded is one we do not own, and the open
    must not fail over it.
    """
    with _lock:
        current = os.umask(PRIVATE_UMASK)
        os.umask(current | PRIVATE_UMASK)
    root = Path(root)
    if not root.is_dir():
        return
    _tighten(root, DIR_MODE)
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        for name in dirs:
            _tighten(base / name, DIR_MODE)
        for name in files:
            _tighten(base / name, FILE_MODE)


def secure_folder(folder: Path) -> None:
    """Tighten one folder (0700) and the files directly in it (0600), not its subfolders:
    for the data root, whose ``models`` folder holds shared downloads, not journal text."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    _tighten(folder, DIR_MODE)
    with contextlib.suppress(OSError):
        for child in os.scandir(folder):
            if child.is_file(follow_symlinks=False):
                _tighten(Path(child.path), FILE_MODE)


def clean_temp_leftovers(root: Path, min_age_s: float = 600) -> list[str]:
    """Remove ``.NAME.XXXX.tmp`` files a killed atomic write left directly in ``root`` (the
    vault's data dir: privacy.json, warnings.json, graph.json, registry.json), when older
    than ``min_age_s`` (a running process could still own a fresh one). Returns the names."""
    removed: list[str] = []
    now = time.time()
    with contextlib.suppress(OSError), os.scandir(root) as it:
        for child in it:
            if not (child.name.startswith(".") and child.name.endswith(".tmp")):
                continue
            with contextlib.suppress(OSError):
                st = child.stat(follow_symlinks=False)
                if stat.S_ISREG(st.st_mode) and now - st.st_mtime >= min_age_s:
                    os.unlink(child.path)
                    removed.append(child.name)
    return sorted(removed)
