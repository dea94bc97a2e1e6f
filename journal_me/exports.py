"""Files written for the user outside the vault: `-o` outputs, chat exports, bridge drafts.

They hold diary text, so one policy for the CLI and the TUI: never inside the vault (the
vault is the user's own writing), never over an existing file unless asked, written
atomically and owner-only (0600).
"""

from __future__ import annotations

import os
from pathlib import Path

from journal_me import fsutil

__all__ = [
    "OutputError",
    "OutputExistsError",
    "export_filename",
    "resolve_output",
    "unused_path",
    "write_output",
]


class OutputError(Exception):
    """An output file could not be written; the message is one user-facing line."""


class OutputExistsError(OutputError):
    """The output file exists and replacing it was not asked for."""


def resolve_output(typed: str, default_dir: Path) -> Path:
    """Where a typed name points: ``~`` expanded; a relative name lands in ``default_dir``."""
    path = Path(typed.strip()).expanduser()
    return path if path.is_absolute() else default_dir / path


def unused_path(path: Path) -> Path:
    """``path``, or ``name-2.md``, ``name-3.md``… if it exists (never overwrite a default)."""
    if not path.exists():
        return path
    n = 2
    while (candidate := path.with_name(f"{path.stem}-{n}{path.suffix}")).exists():
        n += 1
    return candidate


def export_filename(day: str, title: str, fallback: str = "chat") -> str:
    """``2026-10-31-a-title.md`` for an export made from something dated ``day``."""
    from journal_me.models.files import slugify

    return f"{day[:10]}-{slugify(title) or fallback}.md"


def write_output(
    target: str | Path,
    text: str,
    *,
    vault: Path | None,
    force: bool = False,
    make_parents: bool = False,
) -> Path:
    """Write an output file: never inside ``vault``, never over an existing file without
    ``force``, atomically, owner-only. ``make_parents``: create a missing folder (the data
    dir's own export folders); a folder the user named must exist. Raises ``OutputError``."""
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
        if make_parents:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.parent.is_dir():
            raise OutputError(f"no folder {path.parent} for {target}")
        if os.path.lexists(path) and not force:
            raise OutputExistsError(f"{target} already exists; use --force to replace it")
        fsutil.atomic_write(path, text, exclusive=not force)
    except FileExistsError as exc:  # it appeared meanwhile (NoClobberError)
        raise OutputExistsError(f"{target} already exists; use --force to replace it") from exc
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return path
