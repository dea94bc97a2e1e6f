"""JSON Canvas (Obsidian ``.canvas`` files) to searchable markdown.

A canvas (https://jsoncanvas.org, spec 1.0) is a JSON object with ``nodes`` and ``edges``.
Nodes have a ``type``: ``text`` (``text`` is markdown), ``file`` (``file`` is a vault path,
with an optional ``subpath`` such as ``#Heading``), ``link`` (``url``) or ``group`` (an
optional ``label``). Everything the user typed is kept: the text of text nodes, group labels
(as headings) and edge labels; file nodes give the vault paths the canvas points at.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["canvas_text"]


def _coord(value: Any) -> float:
    """A node's x/y as a number; anything else (missing, text, NaN) sorts as 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    number = float(value)
    return number if math.isfinite(number) else 0.0


def _string(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def canvas_text(raw: bytes) -> tuple[str, list[str]]:
    """The markdown text of a canvas and the vault paths of its file nodes.

    Text nodes come in reading order: top to bottom (``y``), then left to right (``x``),
    ties in file order; group labels join them as ``## label`` headings at the group's place,
    edge labels follow at the end. File paths are returned once each, in the same order.
    Raises ``ValueError`` with the reason when ``raw`` is not a JSON Canvas.
    """
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not a JSON Canvas: not UTF-8 text (byte {exc.start})") from exc
    if not decoded.strip():
        return "", []
    try:
        data = json.loads(decoded)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"not a JSON Canvas: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    except RecursionError as exc:
        raise ValueError("not a JSON Canvas: JSON nested too deeply") from exc
    if not isinstance(data, dict):
        raise ValueError(f"not a JSON Canvas: the top level is a JSON {type(data).__name__}, not an object")
    nodes = data.get("nodes", [])
    edges = data.get("edges", [])
    if not isinstance(nodes, list):
        raise ValueError("not a JSON Canvas: 'nodes' is not a list")
    if not isinstance(edges, list):
        raise ValueError("not a JSON Canvas: 'edges' is not a list")

    placed: list[tuple[float, float, int, str, str]] = []  # (y, x, order, kind, value)
    for order, node in enumerate(nodes):
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        if kind == "text":
            value = _string(node.get("text"))
        elif kind == "file":
            value = _string(node.get("file"))
        elif kind == "group":
            value = " ".join(_string(node.get("label")).split())
        else:  # link nodes carry only a URL; unknown types are skipped
            continue
        if value:
            placed.append((_coord(node.get("y")), _coord(node.get("x")), order, str(kind), value))
    placed.sort(key=lambda item: (item[0], item[1], item[2]))

    blocks: list[str] = []
    files: dict[str, None] = {}
    for _y, _x, _order, kind, value in placed:
        if kind == "text":
            blocks.append(value)
        elif kind == "group":
            blocks.append(f"## {value}")
        else:
            files[value] = None
    labels = [" ".join(_string(edge.get("label")).split()) for edge in edges if isinstance(edge, dict)]
    labels = [label for label in labels if label]
    if labels:
        blocks.append("\n".join(labels))
    return "\n\n".join(blocks), list(files)
