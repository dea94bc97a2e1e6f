"""The status bar's model slot: a broken registry is said, not shown as "no model"."""

from __future__ import annotations

from journal_me.config import Settings
from journal_me.tui.widgets.model_status import EngineSlot


def _no_model(settings: Settings) -> None:
    raise RuntimeError("no model configured: run `journal-me model pull`")


def test_a_broken_registry_is_said_not_shown_as_no_model(settings: Settings) -> None:
    pointer = settings.vault_data_dir / "registry.json"
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.write_bytes(b"\x00\xff garbage")
    slot = EngineSlot(settings, _no_model)
    slot.load()
    assert slot.state == "memory-only"
    assert "registry unreadable" in slot.describe()
    assert "registry" in slot.failure and "journal-me doctor" in slot.failure


def test_no_registry_is_plain_memory_only(settings: Settings) -> None:
    slot = EngineSlot(settings, _no_model)
    slot.load()
    assert slot.describe() == "memory-only"
    assert slot.failure == ""
