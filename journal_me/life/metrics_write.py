"""Write metric values into an entry's front matter, changing nothing else.

``set_front_matter_values(text, {"mood": 7})`` parses the front matter with ruamel.yaml's
round-trip loader to find each key (comments, order and quoting are the file's own), then
splices only the value of a key that is there, or adds a ``key: value`` line before the
closing ``---``; a file without front matter gains one. Anything the splice cannot do safely
(a multi-line value, flow-style front matter) goes through ruamel's round-trip dump instead,
and the result is always re-read to check it says what was meant.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Mapping

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

__all__ = ["FrontMatterEditError", "format_value", "set_front_matter_values"]

_FM_RE = re.compile(r"\A(\ufeff?---[ \t]*\r?\n)(.*?)(^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z))", re.S | re.M)
_PLAIN_RE = re.compile(r"^[A-Za-z0-9][\w .%/+\-]*$")
_YAML_WORDS = frozenset(
    {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "nan", "inf", ".nan", ".inf"}
)
_KEY_RE = re.compile(r"^[A-Za-z_][\w\-]*$")


class FrontMatterEditError(ValueError):
    """The front matter cannot be edited safely; the message says why, in one line."""


def format_value(value: float | int | str) -> str:
    """A YAML scalar for ``value``: numbers plain (``7``, ``7.5``), text plain when YAML would
    read it back as the same string, else double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FrontMatterEditError(f"not a number to write: {value}")
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    if _PLAIN_RE.match(text) and text.lower() not in _YAML_WORDS and not text.endswith(" "):
        if re.fullmatch(r"[-+]?\d+(\.\d+)?", text):
            return text  # a number written as text: a number in the file too
        if not re.fullmatch(r"[\d\-:. ]+", text):  # not a date/time/sexagesimal lookalike
            return text
    return json.dumps(text, ensure_ascii=False)


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    return y


def _load(block: str) -> CommentedMap:
    try:
        data = _yaml().load(block) if block.strip() else CommentedMap()
    except YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FrontMatterEditError(f"its front matter is not valid YAML ({first}); fix it first") from exc
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise FrontMatterEditError("its front matter is not a list of `key: value` lines; fix it first")
    return data


def _value_end(line: str, col: int) -> int:
    """Where a one-line scalar starting at ``col`` ends (before a trailing comment)."""
    rest = line[col:]
    if rest[:1] in {'"', "'"}:
        q = rest[0]
        i = 1
        while i < len(rest):
            if rest[i] == "\\" and q == '"':
                i += 2
                continue
            if rest[i] == q:
                if q == "'" and rest[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                return col + i + 1
            i += 1
        return len(line.rstrip())
    m = re.search(r"\s+#", rest)
    end = col + (m.start() if m else len(rest.rstrip()))
    return end


def _splice(lines: list[str], data: CommentedMap, key: str, scalar: str) -> bool:
    """Replace the one-line value of top-level ``key`` in ``lines``; False when not simple."""
    try:
        k_line, _k_col = data.lc.key(key)
        v_line, v_col = data.lc.value(key)
    except (KeyError, TypeError, AttributeError):
        return False
    value = data[key]
    if isinstance(value, dict | list) or k_line != v_line or v_line >= len(lines):
        return False
    line = lines[v_line]
    nl = line[len(line.rstrip("\r\n")) :]
    body = line[: len(line) - len(nl)]
    if v_col >= len(body) or body[v_col : v_col + 1] in {"|", ">", "&", "*", "!"}:
        return False
    # a plain scalar continued on the next, more indented line: not a one-line value
    if v_line + 1 < len(lines) and lines[v_line + 1][:1] in {" ", "\t"} and lines[v_line + 1].strip():
        return False
    end = _value_end(body, v_col)
    lines[v_line] = body[:v_col] + scalar + body[end:] + nl
    return True


def set_front_matter_values(text: str, values: Mapping[str, float | int | str]) -> str:
    """``text`` with each key of ``values`` set in its front matter; nothing else changes."""
    for key in values:
        if not _KEY_RE.match(key):
            raise FrontMatterEditError(
                f"not a metric name for front matter: {key!r} (letters, digits, _ and -)"
            )
    scalars = {k: format_value(v) for k, v in values.items()}
    m = _FM_RE.match(text)
    if m is None:
        if text.lstrip("\ufeff").startswith("---"):
            raise FrontMatterEditError("its front matter is not closed with `---`; fix it first")
        nl = "\r\n" if "\r\n" in text else "\n"
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        head = "---" + nl + "".join(f"{k}: {s}{nl}" for k, s in scalars.items()) + "---" + nl
        out = bom + head + text[len(bom) :]
        _check(out, values)
        return out
    opening, block, closing = m.group(1), m.group(2), m.group(3)
    nl = "\r\n" if opening.endswith("\r\n") else "\n"
    data = _load(block)
    lines = block.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += nl
    simple = block.strip() == "" or block.lstrip()[:1] not in {"{", "["}
    done = True
    for key, scalar in scalars.items():
        if key in data:
            if not (simple and _splice(lines, data, key, scalar)):
                done = False
        elif simple:
            lines.append(f"{key}: {scalar}{nl}")
        else:
            done = False
    if done:
        out = opening + "".join(lines) + closing + text[m.end() :]
    else:
        out = opening + _dump(data, values) + closing + text[m.end() :]
    _check(out, values)
    return out


def _dump(data: CommentedMap, values: Mapping[str, float | int | str]) -> str:
    for key, value in values.items():
        data[key] = value
    buf = io.StringIO()
    _yaml().dump(data, buf)
    return buf.getvalue()


def _check(out: str, values: Mapping[str, float | int | str]) -> None:
    m = _FM_RE.match(out)
    data = _load(m.group(2)) if m else CommentedMap()
    for key, value in values.items():
        got = data.get(key)
        want: object = value
        if isinstance(value, str):
            got = str(got)
            want = value.strip()
        elif isinstance(got, int | float) and not isinstance(got, bool):
            got = float(got)
            want = float(value)
        if got != want:
            raise FrontMatterEditError(f"could not write {key} safely (it would read back as {got!r})")
