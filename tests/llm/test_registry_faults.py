"""The registry after faults (issue 15): what a killed writer leaves is cleaned on the next
start (never while a live writer could own it), and a ``registry.json`` that is garbage or
the wrong shape is one clear error naming the file — while `ask` still answers from memory."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from journal_me.config import Settings
from journal_me.fsutil import FileLock
from journal_me.models import (
    LEFTOVER_AGE_S,
    ModelRegistry,
    RegistryCorruptError,
    RegistryError,
)


@pytest.fixture
def published(settings: Settings, tiny_gguf: Path, tiny_adapter: Path) -> ModelRegistry:
    registry = ModelRegistry(settings)
    registry.register_base(tiny_gguf, name="tiny")
    registry.use("tiny")
    registry.add_adapter(tiny_adapter, {}, activate=True)
    return registry


def _plant_leftovers(registry: ModelRegistry) -> list[Path]:
    """What `kill -9` during a publish / a pointer switch leaves behind."""
    data = registry.pointer_file.parent
    v2 = registry.adapters_dir / "v0002"  # killed while copying the adapter in
    v2.mkdir()
    (v2 / ".adapter.gguf.k2j4.tmp").write_bytes(b"GGUF half")
    v3 = registry.adapters_dir / "v0003"  # killed between the copy and the manifest
    v3.mkdir()
    (v3 / "adapter.gguf").write_bytes(b"GGUF whole but unpublished")
    v4 = registry.adapters_dir / "v0004"  # killed right after reserving the number
    v4.mkdir()
    planted = [
        data / ".registry.json.a8x1.tmp",  # killed while switching the pointer
        registry.adapters_dir / "v0001" / ".manifest.json.q0q0.tmp",
        v2,
        v3,
        v4,
    ]
    planted[0].write_text('{"base": "tin', encoding="utf-8")
    planted[1].write_text("{", encoding="utf-8")
    return planted


def test_leftovers_of_killed_writers_are_removed_on_the_next_start(
    published: ModelRegistry, settings: Settings
) -> None:
    planted = _plant_leftovers(published)
    other = settings.vault_data_dir / ".graph.zz9.tmp"  # not the registry's: never touched
    other.write_text("x", encoding="utf-8")
    pointer = published.pointer_file.read_bytes()

    removed = published.clean_leftovers()  # what every ModelRegistry does once on start

    assert sorted(removed) == sorted(str(p) for p in planted)
    assert not any(p.exists() for p in planted)
    assert other.exists()
    assert published.pointer_file.read_bytes() == pointer
    assert [a.version for a in published.adapters()] == ["v0001"]
    active = published.active().adapter
    assert active is not None and active.version == "v0001"
    assert published.add_adapter(published.adapters()[0].gguf, {}).version == "v0002"


def test_a_new_process_cleans_on_start(published: ModelRegistry, settings: Settings) -> None:
    """The first registry a process opens for a vault cleans: a fresh interpreter."""
    import subprocess
    import sys

    planted = _plant_leftovers(published)
    code = (
        "from journal_me.config import load_settings; from journal_me.models import ModelRegistry; "
        "print(ModelRegistry(load_settings()).active().label)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True, env=os.environ
    ).stdout
    assert out.strip() == "tiny + v0001"
    assert not any(p.exists() for p in planted)


def test_leftovers_are_kept_while_a_live_writer_holds_the_lock(published: ModelRegistry) -> None:
    planted = _plant_leftovers(published)
    with FileLock(published.pointer_file.parent / "registry.lock"):  # a publish in progress
        assert published.clean_leftovers() == []
        assert all(p.exists() for p in planted)
        old = time.time() - LEFTOVER_AGE_S - 60  # ... but a temp file that old is nobody's
        os.utime(planted[0], (old, old))
        assert published.clean_leftovers() == [str(planted[0])]
        assert all(p.exists() for p in planted[1:])
    assert set(published.clean_leftovers()) == {str(p) for p in planted[1:]}


# --------------------------------------------------------------------------- corrupt registry.json

BAD_POINTERS: dict[str, bytes] = {
    "garbage bytes": b"\x00\xff\xfe garbage \x81",
    "truncated": b'{"base": "tiny", "adap',
    "empty": b"",
    "null": b"null",
    "a list": b'["tiny", "v0001"]',
    "a string": b'"tiny"',
    "base a number": b'{"base": 7, "adapter": null, "history": []}',
    "adapter a list": b'{"base": "tiny", "adapter": ["v0001"], "history": []}',
    "history an object": b'{"base": "tiny", "adapter": null, "history": {"base": "x"}}',
    "history of numbers": b'{"base": "tiny", "adapter": null, "history": [1, 2]}',
}


@pytest.mark.parametrize("content", BAD_POINTERS.values(), ids=BAD_POINTERS.keys())
def test_a_corrupt_registry_json_is_one_clear_error(published: ModelRegistry, content: bytes) -> None:
    published.pointer_file.write_bytes(content)
    for call in (published.active, published.engine_paths, published.history, published.rollback):
        with pytest.raises(RegistryCorruptError) as info:
            call()
        message = str(info.value)
        assert "\n" not in message and str(published.pointer_file) in message
        assert "fix or delete it" in message
        assert isinstance(info.value, RegistryError) and info.value.path == published.pointer_file


def test_ask_still_answers_from_memory_with_a_corrupt_registry(
    published: ModelRegistry, isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from journal_me.cli import main

    (isolated / "vault" / "2026-01-02.md").write_text(
        "Ran 5K by the river with Sam. #running\n", encoding="utf-8"
    )
    published.pointer_file.write_bytes(b'{"base": 7}')
    code = main(["ask", "who did I run with?"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in err and str(published.pointer_file) in err
    assert "memory-only" in err and "Sam" in out


def test_the_engine_reports_a_corrupt_registry_as_an_engine_error(
    published: ModelRegistry, settings: Settings
) -> None:
    from journal_me.llm.engine import Engine, EngineError

    published.pointer_file.write_bytes(b"[]")
    with pytest.raises(EngineError, match=r"registry\.json"):
        Engine.from_settings(settings)


def test_choosing_a_model_again_replaces_a_corrupt_registry_json(published: ModelRegistry) -> None:
    published.pointer_file.write_bytes(b'{"base": 7}')
    with pytest.raises(RegistryCorruptError, match="model use NAME"):
        published.active()
    active = published.use("tiny")
    assert active.label == "tiny + v0001"  # its newest adapter comes back too
    aside = list(published.pointer_file.parent.glob("registry.json.corrupt-*"))
    assert [p.read_bytes() for p in aside] == [b'{"base": 7}']  # kept for the user
