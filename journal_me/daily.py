"""Daily notes: where the note for a day lives, as Obsidian's Daily notes plugin puts it.

The folder and the file name format come from the settings (``daily_folder`` and
``daily_format``), else from the vault's ``.obsidian/daily-notes.json`` (``{"folder": "Daily",
"format": "YYYY-MM-DD"}``), else from journal-me's own layout: ``journal/YYYY/YYYY-MM-DD.md``
when the vault has a ``journal/`` folder, else ``YYYY-MM-DD.md`` at the root.

The format is Moment.js's, as in Obsidian: ``YYYY YY MMMM MMM MM M DD D Do dddd ddd`` and
``[literal text]``; a ``/`` in the format makes subfolders (``YYYY/MM/YYYY-MM-DD``). Month and
weekday names are English (Moment's default locale).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_FORMAT", "DailyNotes", "daily_settings", "parse", "render"]

DEFAULT_FORMAT = "YYYY-MM-DD"
OBSIDIAN_SETTINGS = Path(".obsidian") / "daily-notes.json"

_MONTHS = list(calendar.month_name)[1:]
_MONTHS_SHORT = [m[:3] for m in _MONTHS]
_DAYS = list(calendar.day_name)  # Monday first, as date.weekday()
_DAYS_SHORT = [d[:3] for d in _DAYS]
# longest tokens first; any other text is literal (as in Moment, [brackets] escape letters)
_TOKEN_RE = re.compile(r"\[[^\]]*\]|YYYY|YY|MMMM|MMM|MM|M|Do|DD|D|dddd|ddd")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _tokens(fmt: str) -> list[tuple[bool, str]]:
    """(is_token, text) pieces of a Moment format."""
    out: list[tuple[bool, str]] = []
    pos = 0
    for m in _TOKEN_RE.finditer(fmt):
        if m.start() > pos:
            out.append((False, fmt[pos : m.start()]))
        tok = m.group(0)
        out.append((False, tok[1:-1]) if tok.startswith("[") else (True, tok))
        pos = m.end()
    if pos < len(fmt):
        out.append((False, fmt[pos:]))
    return out


def render(fmt: str, day: dt.date) -> str:
    """``day`` written in the Moment format ``fmt``."""
    values = {
        "YYYY": f"{day.year:04d}",
        "YY": f"{day.year % 100:02d}",
        "MMMM": _MONTHS[day.month - 1],
        "MMM": _MONTHS_SHORT[day.month - 1],
        "MM": f"{day.month:02d}",
        "M": str(day.month),
        "Do": _ordinal(day.day),
        "DD": f"{day.day:02d}",
        "D": str(day.day),
        "dddd": _DAYS[day.weekday()],
        "ddd": _DAYS_SHORT[day.weekday()],
    }
    return "".join(values[text] if is_token else text for is_token, text in _tokens(fmt))


_PATTERNS = {
    "YYYY": r"(?P<YYYY>\d{4})",
    "YY": r"(?P<YY>\d{2})",
    "MMMM": "(?P<MMMM>" + "|".join(_MONTHS) + ")",
    "MMM": "(?P<MMM>" + "|".join(_MONTHS_SHORT) + ")",
    "MM": r"(?P<MM>\d{2})",
    "M": r"(?P<M>\d{1,2})",
    "Do": r"(?P<Do>\d{1,2})(?:st|nd|rd|th)",
    "DD": r"(?P<DD>\d{2})",
    "D": r"(?P<D>\d{1,2})",
    "dddd": "(?:" + "|".join(_DAYS) + ")",
    "ddd": "(?:" + "|".join(_DAYS_SHORT) + ")",
}


def _pattern(fmt: str) -> re.Pattern[str]:
    parts: list[str] = []
    seen: set[str] = set()
    for is_token, text in _tokens(fmt):
        if not is_token:
            parts.append(re.escape(text))
        elif text in seen:  # "YYYY/YYYY-MM-DD": the same value again
            parts.append(f"(?P={text})" if text not in {"dddd", "ddd"} else _PATTERNS[text])
        else:
            seen.add(text)
            parts.append(_PATTERNS[text])
    return re.compile("".join(parts), re.I)


def parse(fmt: str, text: str) -> dt.date | None:
    """The day that ``text`` names in the Moment format ``fmt`` (the whole text), or None."""
    m = _pattern(fmt).fullmatch(text)
    if m is None:
        return None
    got = {k: v for k, v in m.groupdict().items() if v is not None}
    if "YYYY" in got:
        year = int(got["YYYY"])
    elif "YY" in got:
        year = 2000 + int(got["YY"])
    else:
        return None
    if "MMMM" in got:
        month = [x.lower() for x in _MONTHS].index(got["MMMM"].lower()) + 1
    elif "MMM" in got:
        month = [x.lower() for x in _MONTHS_SHORT].index(got["MMM"].lower()) + 1
    elif "MM" in got or "M" in got:
        month = int(got.get("MM") or got["M"])
    else:
        return None
    day_text = got.get("DD") or got.get("D") or got.get("Do")
    if day_text is None:
        return None
    try:
        return dt.date(year, month, int(day_text))
    except ValueError:
        return None


@dataclass(frozen=True)
class DailyNotes:
    """Where daily notes live: ``folder`` (vault-relative, "" for the root) and the Moment
    ``format`` of their path below it (``/`` makes subfolders). ``source`` says where this
    came from: "settings", "obsidian" or "default"."""

    folder: str = ""
    format: str = DEFAULT_FORMAT
    source: str = "default"

    def rel_for(self, day: dt.date) -> str:
        """The vault-relative path of ``day``'s note."""
        name = render(self.format, day).strip("/")
        folder = self.folder.strip("/")
        return f"{folder}/{name}.md" if folder else f"{name}.md"

    def day_of(self, rel: str) -> dt.date | None:
        """The day a note at ``rel`` is the daily note of, or None. A note under the daily
        folder must match the whole format; one elsewhere (moved, or written before the
        settings changed) is matched by its file name against the format's last part."""
        if not rel.lower().endswith(".md"):
            return None
        stem = rel[: -len(".md")]
        folder = self.folder.strip("/")
        if folder and stem.lower().startswith(folder.lower() + "/"):
            found = parse(self.format, stem[len(folder) + 1 :])
            if found is not None:
                return found
        elif not folder:
            found = parse(self.format, stem)
            if found is not None:
                return found
        last = self.format.rsplit("/", 1)[-1] if "/" in _literal_free(self.format) else self.format
        return parse(last, stem.rsplit("/", 1)[-1])


def _literal_free(fmt: str) -> str:
    """The format without its [literal] parts (a "/" inside brackets is no folder)."""
    return "".join(text for is_token, text in _tokens(fmt) if is_token or "/" in text)


def _obsidian(vault_root: Path) -> dict[str, Any] | None:
    path = Path(vault_root) / OBSIDIAN_SETTINGS
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{OBSIDIAN_SETTINGS}: cannot read it ({exc})") from exc
    if not isinstance(raw, dict):
        raise ValueError(f"{OBSIDIAN_SETTINGS}: not a JSON object")
    return raw


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def daily_settings(vault_root: Path, settings: Any = None) -> DailyNotes:
    """The daily-notes layout of a vault: ``settings.daily_folder``/``daily_format``, else
    ``.obsidian/daily-notes.json``, else journal-me's own layout. Raises ``ValueError`` for
    a daily-notes.json that cannot be read."""
    folder = getattr(settings, "daily_folder", None)
    fmt = getattr(settings, "daily_format", None)
    if folder is not None or fmt is not None:
        obsidian = _obsidian(vault_root) if folder is None or not fmt else None
        return DailyNotes(
            folder=(folder if folder is not None else _text((obsidian or {}).get("folder"))).strip("/"),
            format=fmt or _text((obsidian or {}).get("format")) or DEFAULT_FORMAT,
            source="settings",
        )
    obsidian = _obsidian(vault_root)
    if obsidian is not None:
        return DailyNotes(
            folder=_text(obsidian.get("folder")).strip("/"),
            format=_text(obsidian.get("format")) or DEFAULT_FORMAT,
            source="obsidian",
        )
    if (Path(vault_root) / "journal").is_dir():
        return DailyNotes(folder="journal", format="YYYY/YYYY-MM-DD", source="default")
    return DailyNotes()
