"""First run: create a journal folder and point the config file at it.

Used by ``journal-me init [PATH]`` and by the TUI's first-run offer (no Textual here). The
config file is edited as text, minimally: a ``vault = "…"`` line is added at the top (where
a top-level key is always valid TOML) or, with ``force``, the existing ``vault`` line is
replaced; every other line stays byte for byte. The result is parsed back before it is
written, so a config this code does not understand is refused, never damaged.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from journal_me.config import Settings, default_config_file

__all__ = ["InitResult", "SetupError", "config_file_for", "init_vault", "toml_string"]


class SetupError(Exception):
    """The journal could not be set up; the message says why and what to do."""


@dataclass(frozen=True)
class InitResult:
    vault: Path
    created: bool  # False: an existing folder was adopted as it is
    config_file: Path
    config_changed: bool  # False: it already pointed at this vault


# a top-level `vault = …` line (bare or quoted key), before any [table]
_VAULT_LINE = re.compile(r"""^[ \t]*(?:vault|"vault"|'vault')[ \t]*=.*$""", re.M)
_TABLE = re.compile(r"^[ \t]*\[", re.M)


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string."""
    out = ['"']
    for ch in value:
        if ch in {'"', "\\"}:
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def config_file_for(settings: Settings | None) -> Path:
    """The file ``init`` writes: the one the settings were read from, else the default."""
    if settings is not None and settings.config_file is not None:
        return settings.config_file
    return default_config_file()


def _parse(text: str, where: Path) -> dict[str, object]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SetupError(f"{where} is not valid TOML ({exc}); fix it first") from exc


def _with_vault(text: str, vault: Path, config_file: Path, *, force: bool) -> str | None:
    """The config text pointing at ``vault``, or None when it already does."""
    current = _parse(text, config_file)
    line = f"vault = {toml_string(str(vault))}"
    if "vault" in current:
        old = current["vault"]
        if isinstance(old, str) and Path(old).expanduser().absolute() == vault:
            return None
        if not force:
            raise SetupError(f"{config_file} already has vault = {old!r}; use --force to point it at {vault}")
        first_table = _TABLE.search(text)
        match = _VAULT_LINE.search(text, 0, first_table.start() if first_table else len(text))
        if match is None:
            raise SetupError(f"cannot find the vault line in {config_file}; edit it by hand")
        new = text[: match.start()] + line + text[match.end() :]
    else:
        new = line + "\n" + text
    if _parse(new, config_file).get("vault") != str(vault):
        raise SetupError(f"cannot edit {config_file} safely; add `{line}` to it by hand")
    return new


def init_vault(
    path: Path | str,
    settings: Settings | None = None,
    *,
    config_file: Path | None = None,
    force: bool = False,
) -> InitResult:
    """Create the journal folder ``path`` (an existing folder is used as it is; nothing in it
    is touched) and set ``vault`` in the config file (``config_file``, else the one
    ``settings`` came from, else the default). Raises ``SetupError``."""
    from journal_me.vault import atomic_write

    vault = Path(path).expanduser().absolute()
    target = config_file or config_file_for(settings)
    try:
        text = target.read_text(encoding="utf-8") if target.is_file() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise SetupError(f"cannot read {target}: {exc}") from exc
    new_text = _with_vault(text, vault, target, force=force)  # check before creating anything
    created = False
    if vault.exists() or vault.is_symlink():
        if not vault.is_dir():
            raise SetupError(f"{vault} exists and is not a folder; choose another path")
    else:
        try:
            vault.mkdir(parents=True)
        except OSError as exc:
            raise SetupError(f"cannot create {vault}: {exc.strerror or exc}") from exc
        created = True
    if new_text is not None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, new_text)
        except OSError as exc:
            raise SetupError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return InitResult(vault=vault, created=created, config_file=target, config_changed=new_text is not None)
