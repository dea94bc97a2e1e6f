"""What the CLI prints and writes: terminal-safe text, JSON, output files, vault problems.

Everything printed that came from a file or a model (titles, file names, passages, answers,
drafts) goes through ``journal_me.termsafe.clean`` first; JSON escapes every control
character (C1 too, which ``json.dumps(ensure_ascii=False)`` leaves raw). Light imports only:
``journal-me --help`` loads this module.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from journal_me.termsafe import clean, clean_line

__all__ = [
    "OutputError",
    "clean",
    "clean_line",
    "dumps_json",
    "print_json",
    "vault_problem",
    "write_output",
]

_RAW_CONTROLS = re.compile(r"[\x7f-\x9f\u2028\u2029]")


def dumps_json(data: Any, *, indent: int | None = 2) -> str:
    """JSON with non-ASCII text kept readable but no raw control character (C0, DEL, C1)."""
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    # inside JSON these can only be in strings, where \\uXXXX means the same character
    return _RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def print_json(data: Any) -> None:
    print(dumps_json(data))


def vault_problem(vault: Path) -> str | None:
    """Why ``vault`` cannot be opened as a journal, in one line; None when it can."""
    try:
        if vault.is_dir():
            return None
        exists = vault.exists() or vault.is_symlink()
    except OSError as exc:
        return f"cannot reach the vault {vault}: {exc.strerror or exc}"
    if not exists:
        return f"no journal at {vault}: run `journal-me init` (or choose one with --vault)"
    if vault.is_file():
        return f"the vault {vault} is a file, not a folder: choose its folder with --vault"
    return f"the vault {vault} is not a folder"


class OutputError(Exception):
    """An output file could not be written; the message is one user-facing line."""


def write_output(target: str | Path, text: str, *, vault: Path | None, force: bool = False) -> Path:
    """Write a CLI output file (``-o``): never inside the vault, never over an existing file
    without ``force``, atomically. Raises ``OutputError`` with the reason."""
    from journal_me.vault import VaultError, atomic_write

    path = Path(target).expanduser().absolute()
    if vault is not None:
        try:
            root = vault.expanduser().resolve()
            inside = path.resolve().is_relative_to(root)
        except (OSError, RuntimeError):
            inside = False
        if inside:
            raise OutputError(
                f"{target} is inside the vault {vault}: write it elsewhere (journal-me does not "
                "write vault files behind your back)"
            )
    try:
        if path.is_dir():
            raise OutputError(f"{target} is a folder; give a file name")
        if not path.parent.is_dir():
            raise OutputError(f"no folder {path.parent} for {target}")
        if os.path.lexists(path) and not force:
            raise OutputError(f"{target} already exists; use --force to replace it")
        atomic_write(path, text, exclusive=not force)
    except VaultError as exc:  # it appeared meanwhile
        raise OutputError(f"{target} already exists; use --force to replace it") from exc
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return path


def stderr_line(message: str) -> None:
    """One plain line on stderr (no Rich: works on a closed or odd stdout too)."""
    print(message, file=sys.stderr)
