"""Metrics as Obsidian users already write them (the Obsidian Tracker conventions).

Three places hold a value, all read here without ever raising:

- front matter: ``mood: 7``, ``sleep: 7.5``, ``weight: 61.2kg``, ``bp: 120/80``;
- Dataview inline fields: a line ``sleep:: 7.5`` or, inside a sentence, ``[sleep:: 7.5]`` /
  ``(sleep:: 7.5)``;
- tag values: ``#weight:60kg``, ``#bp:120/80``, ``#run:5.2km``.

A value is a number with an optional unit (kept as written, spelled the short way:
``7 hours`` → 7 ``h``), two numbers ``120/80`` (the second kept in ``value2``), a yes/no
(1/0), or text: ``mood: grateful, a bit wobbly`` is an observation with no number, never an
error. Code blocks and inline code are skipped.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "NOT_METRIC_KEYS",
    "Observation",
    "ParsedValue",
    "extract",
    "front_matter_metrics",
    "inline_fields",
    "metric_name",
    "parse_value",
    "tag_values",
]

# front-matter keys that describe the note, not a measurement
NOT_METRIC_KEYS = frozenset(
    {
        "date",
        "title",
        "tags",
        "tag",
        "aliases",
        "alias",
        "people",
        "private",
        "type",
        "cssclass",
        "cssclasses",
        "created",
        "modified",
        "updated",
        "publish",
        "permalink",
        "description",
        "summary",
        "author",
        "source",
        "url",
        "location",
        "place",
        "places",
        "status",
        "time",
    }
)

_UNIT_ALIASES = {
    "hour": "h",
    "hours": "h",
    "hr": "h",
    "hrs": "h",
    "minute": "min",
    "minutes": "min",
    "mins": "min",
    "m": "m",
    "second": "s",
    "seconds": "s",
    "sec": "s",
    "secs": "s",
    "kgs": "kg",
    "kilo": "kg",
    "kilos": "kg",
    "lbs": "lb",
    "pound": "lb",
    "pounds": "lb",
    "kilometre": "km",
    "kilometres": "km",
    "kilometer": "km",
    "kilometers": "km",
    "mile": "mi",
    "miles": "mi",
    "step": "steps",
    "mmhg": "mmHg",
    "kcals": "kcal",
    "cal": "kcal",
}

_NUMBER = r"[-+]?(?:\d+(?:\.\d+)?|\.\d+)"
_UNIT = r"[A-Za-zµ°%][A-Za-zµ°%²/]{0,11}"
_VALUE_RE = re.compile(rf"^(?P<n>{_NUMBER})\s*(?P<unit>{_UNIT})?$")
_PAIR_RE = re.compile(rf"^(?P<a>{_NUMBER})\s*/\s*(?P<b>{_NUMBER})\s*(?P<unit>{_UNIT})?$")
_DURATION_RE = re.compile(r"^(?P<h>\d{1,2})\s*h(?:ours?|rs?)?\s*(?P<m>\d{1,2})\s*m(?:in(?:utes?|s)?)?$", re.I)
_YES = frozenset({"yes", "true", "y", "done", "✓", "✅"})
_NO = frozenset({"no", "false", "n", "✗", "❌"})
MAX_TEXT = 200


@dataclass(frozen=True)
class ParsedValue:
    """What a written value means: a number (with unit) or text only."""

    value: float | None
    unit: str | None
    text: str
    value2: float | None = None


@dataclass(frozen=True)
class Observation:
    """One metric value found in one entry."""

    name: str
    value: float | None
    unit: str | None
    text: str
    source: str  # "front" | "inline" | "tag"
    line: int  # 1-based line in the file (front matter: the key's line, else 1)
    value2: float | None = None


def metric_name(key: str) -> str:
    """Dataview's key normalisation: lower case, runs of spaces as one ``-``."""
    return re.sub(r"\s+", "-", key.strip().strip("*_").strip()).lower()


def _unit(raw: str | None) -> str | None:
    if not raw:
        return None
    low = raw.lower()
    if low in _UNIT_ALIASES:
        return _UNIT_ALIASES[low]
    return raw if not raw.isalpha() or raw.isupper() else low


def _finite(x: float) -> bool:
    return math.isfinite(x)


def parse_value(raw: Any) -> ParsedValue:
    """A value as written (a YAML scalar or inline text) → number + unit, or text. Never raises."""
    if isinstance(raw, bool):
        return ParsedValue(1.0 if raw else 0.0, None, "yes" if raw else "no")
    if isinstance(raw, int | float):
        try:
            v = float(raw)
        except (OverflowError, ValueError):
            return ParsedValue(None, None, str(raw)[:MAX_TEXT])
        text = str(raw)
        return ParsedValue(v if _finite(v) else None, None, text[:MAX_TEXT])
    if raw is None or isinstance(raw, dt.date | dt.datetime | dt.time):
        return ParsedValue(None, None, "" if raw is None else str(raw))
    if not isinstance(raw, str):
        return ParsedValue(None, None, str(raw)[:MAX_TEXT])
    text = " ".join(raw.split())
    core = text.rstrip(".,;!").strip()
    low = core.lower()
    if low in _YES:
        return ParsedValue(1.0, None, text[:MAX_TEXT])
    if low in _NO:
        return ParsedValue(0.0, None, text[:MAX_TEXT])
    m = _VALUE_RE.match(core)
    if m:
        v = float(m.group("n"))
        if _finite(v):
            return ParsedValue(v, _unit(m.group("unit")), text[:MAX_TEXT])
    m = _PAIR_RE.match(core)
    if m:
        a, b = float(m.group("a")), float(m.group("b"))
        if _finite(a) and _finite(b):
            return ParsedValue(a, _unit(m.group("unit")), text[:MAX_TEXT], value2=b)
    m = _DURATION_RE.match(core)
    if m:
        return ParsedValue(int(m.group("h")) + int(m.group("m")) / 60, "h", text[:MAX_TEXT])
    return ParsedValue(None, None, text[:MAX_TEXT])


# -- front matter ---------------------------------------------------------------------------
def front_matter_metrics(
    meta: Mapping[str, Any], key_lines: Mapping[str, int] | None = None
) -> list[Observation]:
    """Scalar front-matter values that are not note metadata (``title``, ``tags``, ``date``…)."""
    out: list[Observation] = []
    try:
        items = list(meta.items())
    except Exception:  # a mapping that misbehaves: no metrics, no error
        return out
    for key, raw in items:
        if not isinstance(key, str):
            continue
        name = metric_name(key)
        if not name or name in NOT_METRIC_KEYS or isinstance(raw, dict | list | tuple | set):
            continue
        if isinstance(raw, dt.date | dt.datetime | dt.time) or raw is None:
            continue
        pv = parse_value(raw)
        if pv.value is None and not pv.text:
            continue
        line = (key_lines or {}).get(key, 1)
        out.append(Observation(name, pv.value, pv.unit, pv.text, "front", line, pv.value2))
    return out


# -- body: inline fields and tag values -----------------------------------------------------
_FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_CODE_SPAN_RE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_KEY = r"[A-Za-z\u00c0-\uffff][\w\u00c0-\uffff \-]{0,40}?"
# a whole-line field: optional list marker / quote, optional bold/italic key
_LINE_FIELD_RE = re.compile(
    rf"^\s*(?:>\s*)*(?:[-*+]\s+|\d+[.)]\s+)?(?:\*\*|__|\*|_)?(?P<key>{_KEY})(?:\*\*|__|\*|_)?::(?P<value>.*)$"
)
_BRACKET_FIELD_RE = re.compile(rf"[\[(](?P<key>{_KEY})::(?P<value>[^\])\n]*)[\])]")
_TAG_VALUE_RE = re.compile(r"(?<![\w&#/\[\]`])#(?P<key>[A-Za-z_][\w/-]{0,40}):(?P<value>[^\s,;)\]]+)")


def _body_lines(body: str) -> Iterator[tuple[int, str]]:
    """(0-based line, text with inline code blanked) outside fenced code blocks."""
    fence: str | None = None
    for i, line in enumerate(body.splitlines()):
        m = _FENCE_RE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if m:
            fence = m.group(1)
            continue
        yield i, _CODE_SPAN_RE.sub(lambda s: " " * len(s.group()), line)


def inline_fields(body: str, line_offset: int = 0) -> list[Observation]:
    """Dataview inline fields: ``key:: value`` lines and ``[key:: value]`` / ``(key:: value)``."""
    out: list[Observation] = []
    for i, line in _body_lines(body):
        if "::" not in line:
            continue
        found = list(_BRACKET_FIELD_RE.finditer(line))
        for m in found:
            out.append(_inline_obs(m.group("key"), m.group("value"), line_offset + i + 1))
        if not found:
            m2 = _LINE_FIELD_RE.match(line)
            if m2 and "://" not in m2.group("key"):
                out.append(_inline_obs(m2.group("key"), m2.group("value"), line_offset + i + 1))
    return [o for o in out if o.name]


def _inline_obs(key: str, value: str, line: int) -> Observation:
    pv = parse_value(value.strip())
    return Observation(metric_name(key), pv.value, pv.unit, pv.text, "inline", line, pv.value2)


def tag_values(body: str, line_offset: int = 0) -> list[Observation]:
    """Tracker tag values: ``#weight:60kg``, ``#bp:120/80`` (the value runs to a space)."""
    out: list[Observation] = []
    for i, line in _body_lines(body):
        if "#" not in line or ":" not in line:
            continue
        for m in _TAG_VALUE_RE.finditer(line):
            value = m.group("value").rstrip(".!?")
            if not value:
                continue
            pv = parse_value(value)
            out.append(
                Observation(
                    metric_name(m.group("key")),
                    pv.value,
                    pv.unit,
                    pv.text,
                    "tag",
                    line_offset + i + 1,
                    pv.value2,
                )
            )
    return out


def extract(
    meta: Mapping[str, Any],
    body: str,
    *,
    body_line_offset: int = 0,
    key_lines: Mapping[str, int] | None = None,
) -> list[Observation]:
    """Every metric observation of one entry, in file order of source (front, inline, tags)."""
    return (
        front_matter_metrics(meta, key_lines)
        + inline_fields(body, body_line_offset)
        + tag_values(body, body_line_offset)
    )


_KEY_LINE_RE = re.compile(r"^([^\s#:][^:\n]*?)\s*:(?:\s|$)", re.M)


def front_matter_key_lines(text: str) -> dict[str, int]:
    """Top-level key → 1-based line number in a file's front matter (for citations)."""
    if not text.startswith("---"):
        return {}
    out: dict[str, int] = {}
    for n, line in enumerate(text.splitlines()[1:], start=2):
        if line.strip() in {"---", "..."}:
            break
        m = _KEY_LINE_RE.match(line)
        if m and m.group(1) not in out:
            out[m.group(1).strip("\"'")] = n
    return out
