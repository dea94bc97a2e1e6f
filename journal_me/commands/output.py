"""What the CLI prints and writes: terminal-safe text, JSON, output files, vault problems.

Everything printed that came from a file or a model (titles, file names, passages, answers,
drafts) goes through ``journal_me.termsafe.clean`` first; JSON escapes every control
character (C1 too, which ``json.dumps(ensure_ascii=False)`` leaves raw). Light imports only:
``journal-me --help`` loads this module.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from journal_me.exports import OutputError, write_output
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


def stderr_line(message: str) -> None:
    """One plain line on stderr (no Rich: works on a closed or odd stdout too)."""
    print(message, file=sys.stderr)
