"""Small UI state kept between runs (chosen theme, last screen) in ``settings.state_file``.

A JSON object, written atomically (temp file + fsync + rename). Unknown keys are kept, so
other screens may store their own; a missing or corrupt file reads as empty.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from journal_me.fsutil import atomic_write_json


def load_state(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def update_state(path: Path, **changes: Any) -> dict[str, Any]:
    """Merge ``changes`` into the state file and write it atomically."""
    data = load_state(path)
    data.update(changes)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, data, indent=2, sort_keys=True)
    return data
