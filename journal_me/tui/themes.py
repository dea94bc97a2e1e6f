"""Themes are data: TOML files in ``themes/`` (bundled) and ``<config dir>/themes/`` (yours).

Each file holds the fields of :class:`textual.theme.Theme` (``name``, ``primary``,
``background``…, ``dark``) and an optional ``[variables]`` table. A file that cannot be read
is skipped with a reason; the app falls back to ``journal-dark`` (then ``textual-dark``) when
the configured theme is unknown.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path

from textual.color import ColorParseError
from textual.theme import Theme

from journal_me.config import Settings

DEFAULT_THEME = "journal-dark"
FALLBACK_THEME = "textual-dark"
_FIELDS = {f.name for f in fields(Theme)}
_FLOATS = {"luminosity_spread", "text_alpha"}
_BOOLS = {"dark", "ansi"}


@dataclass
class LoadedThemes:
    themes: list[Theme] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "path: reason", shown to the user


def bundled_themes_dir() -> Path:
    """``themes/`` at the project root (a source or editable install), else where a wheel
    installs it (``<prefix>/share/journal-me/themes``, see pyproject's data-files)."""
    source = Path(__file__).resolve().parents[2] / "themes"
    if source.is_dir():
        return source
    return Path(sys.prefix) / "share" / "journal-me" / "themes"


def theme_dirs(settings: Settings) -> list[Path]:
    dirs = [bundled_themes_dir()]
    if settings.config_file is not None:
        dirs.append(settings.config_file.parent / "themes")
    return dirs


def theme_from_data(data: dict[str, object]) -> Theme:
    """Build a Theme from a TOML table, with a readable error for a bad value."""
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ValueError(f"unknown theme field(s): {', '.join(unknown)}")
    if not isinstance(data.get("name"), str) or not data.get("name"):
        raise ValueError("a theme needs a `name`")
    if not isinstance(data.get("primary"), str):
        raise ValueError("a theme needs a `primary` colour")
    kwargs: dict[str, object] = {}
    for key, value in data.items():
        if key == "variables":
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise ValueError("[variables] must map names to strings")
            kwargs[key] = dict(value)
        elif key in _BOOLS:
            if not isinstance(value, bool):
                raise ValueError(f"{key}: expected true/false")
            kwargs[key] = value
        elif key in _FLOATS:
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ValueError(f"{key}: expected a number")
            kwargs[key] = float(value)
        else:
            if not isinstance(value, str):
                raise ValueError(f"{key}: expected a colour string")
            kwargs[key] = value
    theme = Theme(**kwargs)  # type: ignore[arg-type]
    try:
        theme.to_color_system()  # validates every colour now, not at paint time
    except ColorParseError as exc:
        raise ValueError(str(exc)) from exc
    return theme


def load_themes(dirs: Iterable[Path]) -> LoadedThemes:
    """Read every ``*.toml`` theme in ``dirs`` (later folders override earlier ones)."""
    out = LoadedThemes()
    by_name: dict[str, Theme] = {}
    for folder in dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
                theme = theme_from_data(data)
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError, TypeError) as exc:
                out.problems.append(f"{path}: {exc}")
                continue
            by_name[theme.name] = theme
    out.themes = list(by_name.values())
    return out


def pick_theme(available: Iterable[str], *wanted: str | None) -> tuple[str, str | None]:
    """The first wanted theme that exists, else the default, else Textual's; and a note
    naming a wanted theme that does not exist (None when all were found)."""
    names = set(available)
    unknown = [w for w in wanted if w and w not in names]
    note = f"unknown theme {unknown[0]!r}" if unknown else None
    for name in (*(w for w in wanted if w), DEFAULT_THEME, FALLBACK_THEME):
        if name in names:
            return name, note
    return sorted(names)[0], note
