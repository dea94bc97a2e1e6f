"""Bridge roles (work, social, study, family…): tone, what to share, which memories to use.

Defaults ship in ``journal_me/data/roles.toml``; a ``roles.toml`` next to the user's config
file replaces or adds roles by name.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from journal_me.memory.retrieval import Hit


class RoleError(ValueError):
    pass


@dataclass(frozen=True)
class Role:
    name: str
    description: str = ""
    tone: str = "natural, like me"
    share: str = "what is relevant to the message"
    include_tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()

    def allows(self, hit: Hit) -> bool:
        """Whether a memory may be used for this role (private ones never are)."""
        if hit.entry.private:
            return False
        tags = {t.lower() for t in hit.entry.tags}
        roots = tags | {t.split("/")[0] for t in tags}
        if any(t in roots or t in tags for t in self.exclude_tags):
            return False
        return not self.include_tags or any(t in roots or t in tags for t in self.include_tags)


def _parse(raw: dict[str, Any], where: str) -> dict[str, Role]:
    roles: dict[str, Role] = {}
    for name, body in raw.items():
        if not isinstance(body, dict):
            raise RoleError(f"{where}: [{name}] must be a table")
        unknown = set(body) - {"description", "tone", "share", "include_tags", "exclude_tags"}
        if unknown:
            raise RoleError(f"{where}: [{name}] has unknown keys {sorted(unknown)}")
        for key in ("include_tags", "exclude_tags"):
            value = body.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RoleError(f"{where}: [{name}].{key} must be a list of tags")
        roles[name] = Role(
            name=name,
            description=str(body.get("description", "")),
            tone=str(body.get("tone", Role.tone)),
            share=str(body.get("share", Role.share)),
            include_tags=tuple(t.lstrip("#").lower() for t in body.get("include_tags", [])),
            exclude_tags=tuple(t.lstrip("#").lower() for t in body.get("exclude_tags", [])),
        )
    return roles


def default_roles_text() -> str:
    return resources.files("journal_me.data").joinpath("roles.toml").read_text(encoding="utf-8")


def load_roles(user_file: Path | None) -> dict[str, Role]:
    roles = _parse(tomllib.loads(default_roles_text()), "built-in roles")
    if user_file is not None and user_file.is_file():
        try:
            raw = tomllib.loads(user_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise RoleError(f"{user_file}: not valid TOML: {exc}") from exc
        roles.update(_parse(raw, str(user_file)))
    return roles
