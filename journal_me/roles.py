"""Bridge roles (work, social, study, family…): tone, which topics to share, which memories.

Defaults ship in ``journal_me/data/roles.toml``; a ``roles.toml`` next to the user's config
file replaces or adds roles by name. Files are validated once, at load: every error names the
file, the key and what is allowed.

Each role lists the topics it may ``share`` and those it must ``never_share`` (topics are
defined, with the words and tags that decide them, in ``journal_me/data/topics.toml``);
passages about a never-shared topic, or (when ``share`` is given) about none of the shared
ones, are left out of the role's drafts and counted as withheld.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from journal_me.memory.retrieval import Hit
from journal_me.modes.topics import topic_names


class RoleError(ValueError):
    pass


ROLE_KEYS = ("description", "tone", "guidance", "share", "never_share", "include_tags", "exclude_tags")


@dataclass(frozen=True)
class Role:
    name: str
    description: str = ""
    tone: str = "natural, like me"
    guidance: str = ""  # free words for the model about what to share (older files: `share = "…"`)
    share: tuple[str, ...] = ()  # topics it may share (empty: any not in never_share)
    never_share: tuple[str, ...] = ()  # topics it never shares
    include_tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()

    def allows(self, hit: Hit) -> bool:
        """Whether a memory may be used for this role by its tags (private ones never are)."""
        if hit.entry.private:
            return False
        tags = {t.lower() for t in hit.entry.tags}
        roots = tags | {t.split("/")[0] for t in tags}
        if any(t in roots or t in tags for t in self.exclude_tags):
            return False
        return not self.include_tags or any(t in roots or t in tags for t in self.include_tags)

    def off_limits(self, topics: Iterable[str]) -> str | None:
        """Why a passage about ``topics`` may not be shared in this role (None: it may).
        ``"topic:health"`` for a never-shared topic, ``"topic:not shared"`` when the role
        lists what it shares and the passage is about other topics only."""
        found = set(topics)
        for t in self.never_share:
            if t in found:
                return f"topic:{t}"
        if self.share and found and not (found & set(self.share)):
            return "topic:not shared"
        return None

    def share_text(self) -> str:
        """What the model is told about sharing."""
        parts = []
        if self.share:
            parts.append("topics I share: " + ", ".join(self.share))
        if self.never_share:
            parts.append("never share: " + ", ".join(self.never_share))
        if self.guidance:
            parts.append(self.guidance)
        return "; ".join(parts) or "what is relevant to the message"


_TYPES = {int: "a whole number", float: "a number", bool: "true/false", list: "a list", dict: "a table"}


def _kind(value: object) -> str:
    for t, word in _TYPES.items():
        if type(value) is t:
            return word
    return type(value).__name__


def _string(where: str, name: str, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise RoleError(f"{where}: [{name}].{key} must be a string in quotes (got {_kind(value)} {value!r})")
    return value


def _strings(where: str, name: str, key: str, value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RoleError(f'{where}: [{name}].{key} must be a list of strings, e.g. ["health"] (got {value!r})')
    return value


def _topics(where: str, name: str, key: str, value: object) -> tuple[str, ...]:
    known = topic_names()
    out = []
    for t in _strings(where, name, key, value):
        low = t.strip().lower()
        if low not in known:
            raise RoleError(f"{where}: [{name}].{key}: unknown topic {t!r} (topics: {', '.join(known)})")
        out.append(low)
    return tuple(dict.fromkeys(out))


def _parse(raw: dict[str, Any], where: str) -> dict[str, Role]:
    roles: dict[str, Role] = {}
    for name, body in raw.items():
        if not isinstance(body, dict):
            raise RoleError(f"{where}: {name} must be a table [{name}] (got {_kind(body)} {body!r})")
        unknown = sorted(set(body) - set(ROLE_KEYS))
        if unknown:
            raise RoleError(f"{where}: [{name}].{unknown[0]}: unknown key (allowed: {', '.join(ROLE_KEYS)})")
        description = _string(where, name, "description", body.get("description", ""))
        tone = _string(where, name, "tone", body.get("tone", Role.tone))
        guidance = _string(where, name, "guidance", body.get("guidance", ""))
        share_value = body.get("share", [])
        if isinstance(share_value, str):  # the older form: words for the model
            guidance, share_value = (guidance + " " + share_value).strip(), []
        share = _topics(where, name, "share", share_value)
        never = _topics(where, name, "never_share", body.get("never_share", []))
        both = sorted(set(share) & set(never))
        if both:
            raise RoleError(f"{where}: [{name}]: {both[0]!r} is in both share and never_share")
        include = _strings(where, name, "include_tags", body.get("include_tags", []))
        exclude = _strings(where, name, "exclude_tags", body.get("exclude_tags", []))
        roles[name] = Role(
            name=name,
            description=description,
            tone=tone,
            guidance=guidance,
            share=share,
            never_share=never,
            include_tags=tuple(t.lstrip("#").lower() for t in include),
            exclude_tags=tuple(t.lstrip("#").lower() for t in exclude),
        )
    return roles


def default_roles_text() -> str:
    return resources.files("journal_me.data").joinpath("roles.toml").read_text(encoding="utf-8")


def load_roles(user_file: Path | None) -> dict[str, Role]:
    roles = _parse(tomllib.loads(default_roles_text()), "built-in roles")
    if user_file is not None and user_file.is_file():
        try:
            text = user_file.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RoleError(f"{user_file}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
        except OSError as exc:
            raise RoleError(f"{user_file}: cannot read it: {exc.strerror or exc}") from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RoleError(f"{user_file}: not valid TOML: {exc}") from None
        roles.update(_parse(raw, str(user_file)))
    return roles
