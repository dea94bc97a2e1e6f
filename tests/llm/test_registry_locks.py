"""The registry's locks are fsutil's (issue 14): a publish in another process is never
waited for by the start-up cleanup (a non-blocking try), and a process killed while it holds
the lock leaves nothing that blocks the next publish — the kernel drops a ``flock`` with its
holder, there is no stale lock file to clean up by hand."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import journal_me.models.files as files
import journal_me.models.registry as registry_module
from journal_me import fsutil
from journal_me.config import Settings
from journal_me.models import ModelRegistry

# A publisher that takes the registry lock, reserves v0002 and then hangs in the middle of
# copying the adapter in, until it is killed: a real registry, a real lock.
_PUBLISH_AND_HANG = """
import sys, time
import journal_me.models.registry as registry_module
from journal_me.config import load_settings
from journal_me.models import ModelRegistry

def hang(source, dest):
    dest.with_name(".adapter.gguf.hang.tmp").write_bytes(b"GGUF half")
    print("holding", flush=True)
    time.sleep(120)

registry_module.copy_atomic = hang
ModelRegistry(load_settings()).add_adapter(sys.argv[1], {}, activate=True)
"""


@pytest.fixture
def published(settings: Settings, tiny_gguf: Path, tiny_adapter: Path) -> ModelRegistry:
    registry = ModelRegistry(settings)
    registry.register_base(tiny_gguf, name="tiny")
    registry.use("tiny")
    registry.add_adapter(tiny_adapter, {}, activate=True)
    return registry


def test_the_registry_has_no_lock_helper_of_its_own() -> None:
    assert not hasattr(files, "try_lock") and not hasattr(files, "file_lock")
    assert registry_module.FileLock is fsutil.FileLock and registry_module.try_lock is fsutil.try_lock


@pytest.mark.timeout(120)
def test_a_publisher_killed_holding_the_lock_blocks_nothing(
    published: ModelRegistry, tiny_adapter: Path
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _PUBLISH_AND_HANG, str(tiny_adapter)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "holding"
        half = published.adapters_dir / "v0002"
        assert half.is_dir()

        # while it is alive: the cleanup does not wait, and leaves its work alone
        started = time.monotonic()
        assert published.clean_leftovers() == []
        assert time.monotonic() - started < 5
        assert (half / ".adapter.gguf.hang.tmp").exists()
        with fsutil.try_lock(published.pointer_file.parent / "registry.lock") as free:
            assert not free
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    # killed with the lock held: the next publish gets it at once (a thread, so that a
    # stale lock would fail this test instead of hanging it)
    added: list[str] = []
    worker = threading.Thread(target=lambda: added.append(published.add_adapter(tiny_adapter, {}).version))
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the lock of a killed process still blocks"
    assert added == ["v0003"]  # v0002 was reserved by the killed publisher
    # and the next start's cleanup removes what the killed publisher left
    assert str(half) in published.clean_leftovers()
    assert not half.exists()
    assert [a.version for a in published.adapters()] == ["v0001", "v0003"]
