"""JSON Canvas files: the text a user typed on a canvas, and the notes it points at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from journal_me.canvas import canvas_text

CANVAS = Path(__file__).parent.parent / "data" / "canvas" / "trip-planning.canvas"


def test_real_canvas_text_in_reading_order() -> None:
    text, files = canvas_text(CANVAS.read_bytes())
    # group label first (it is top-left of its contents), then text nodes top to bottom,
    # left to right; the edge label at the end
    assert text.split("\n\n") == [
        "## Lisbon, May",
        "## Before we go\n- [ ] renew passport\n- book the [[Alfama]] flat\n- ask @Priya about the tram pass",
        "Budget: about **€900** each. #travel",
        "Café notes: Manteigaria for *pastéis de nata*.",
        "then money",
    ]
    # file nodes: vault paths (no subpath), once each, in reading order
    assert files == ["journal/2025/2025-04-02.md", "notes/Packing list.md", "attachments/tram-map.png"]
    assert "visitlisboa" not in text  # link nodes carry no text of the user's


def test_order_is_by_y_then_x_not_file_order() -> None:
    nodes = [
        {"id": "c", "type": "text", "text": "third", "x": 0, "y": 500, "width": 10, "height": 10},
        {"id": "b", "type": "text", "text": "second", "x": 300, "y": 0, "width": 10, "height": 10},
        {"id": "a", "type": "text", "text": "first", "x": -300, "y": 0, "width": 10, "height": 10},
        {"id": "d", "type": "text", "text": "tie keeps file order", "x": 0, "y": 500},
    ]
    text, files = canvas_text(json.dumps({"nodes": nodes}).encode())
    assert text == "first\n\nsecond\n\nthird\n\ntie keeps file order"
    assert files == []


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"nodes": [', "invalid JSON at line 1"),
        (b"[1, 2]", "top level is a JSON list"),
        (b'{"nodes": {"a": 1}}', "'nodes' is not a list"),
        (b'{"nodes": [], "edges": 3}', "'edges' is not a list"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_invalid_canvas_raises_with_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match="not a JSON Canvas") as info:
        canvas_text(raw)
    assert reason in str(info.value)


def test_empty_and_odd_nodes_are_tolerated() -> None:
    assert canvas_text(b"") == ("", [])
    assert canvas_text(b"{}") == ("", [])
    raw = json.dumps(
        {
            "nodes": [
                "not a node",
                {"type": "text", "text": 5, "x": 0, "y": 0},
                {"type": "text", "text": "  kept  ", "x": "left", "y": None},
                {"type": "file", "file": "", "x": 0, "y": 0},
                {"type": "mystery", "text": "skipped", "x": 0, "y": 0},
            ],
            "edges": [{"label": "  "}, 7],
        }
    ).encode()
    assert canvas_text(raw) == ("kept", [])
