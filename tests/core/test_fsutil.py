"""journal_me.fsutil: the one atomic write (old file or new, never half, no temp left) and the
one flock helper; and that the trainer's and the GGUF writer's file writes go through it."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from journal_me import fsutil


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob(fsutil.TMP_GLOB))


class _Boom(Exception):
    pass


def test_a_failure_mid_write_keeps_the_old_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "state.json"
    target.write_text("old\n")

    def broken_replace(*_a: Any) -> None:
        raise _Boom("disk gone")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(_Boom):
        fsutil.atomic_write(target, "new\n")
    assert target.read_text() == "old\n"
    assert _leftovers(tmp_path) == []


def test_an_interrupt_while_filling_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "model.gguf"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), fsutil.atomic_path(target) as tmp:
        tmp.write_bytes(b"half a fi")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_unserialisable_json_never_touches_the_file(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    fsutil.atomic_write_json(target, {"a": 1})
    with pytest.raises(TypeError):
        fsutil.atomic_write_json(target, {"a": object()})
    assert json.loads(target.read_text()) == {"a": 1}
    assert _leftovers(tmp_path) == []


def test_str_is_utf8_and_json_is_not_ascii_escaped(tmp_path: Path) -> None:
    fsutil.atomic_write(tmp_path / "a.md", "Zoë ☕")
    assert (tmp_path / "a.md").read_bytes() == "Zoë ☕".encode()
    fsutil.atomic_write_json(tmp_path / "b.json", {"b": "é", "a": 1}, indent=2, sort_keys=True)
    assert (tmp_path / "b.json").read_text(encoding="utf-8") == '{\n  "a": 1,\n  "b": "é"\n}\n'
    fsutil.atomic_write(tmp_path / "new" / "dir" / "c.bin", b"\x00\x01")  # parents made
    assert (tmp_path / "new" / "dir" / "c.bin").read_bytes() == b"\x00\x01"


def test_mode_is_applied_and_the_default_is_owner_only(tmp_path: Path) -> None:
    fsutil.atomic_write(tmp_path / "shared.txt", "x", mode=0o644)
    assert stat.S_IMODE((tmp_path / "shared.txt").stat().st_mode) == 0o644
    fsutil.atomic_write_json(tmp_path / "private.json", [], mode=0o600)
    assert stat.S_IMODE((tmp_path / "private.json").stat().st_mode) == 0o600
    fsutil.atomic_write(tmp_path / "default.txt", "x")
    assert stat.S_IMODE((tmp_path / "default.txt").stat().st_mode) == 0o600


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names fds via /proc")
def test_the_file_and_then_its_directory_are_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    target = tmp_path / "entry.md"
    fsutil.atomic_write(target, "text")
    assert len(synced) == 2
    assert Path(synced[0]).parent == tmp_path and Path(synced[0]).name.startswith(".entry.md.")
    assert synced[1] == str(tmp_path)


def test_exclusive_creates_but_never_replaces_even_a_file_that_appears_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "2026-03-02.md"
    fsutil.atomic_write(target, "first\n", exclusive=True)
    assert target.read_text() == "first\n"
    with pytest.raises(fsutil.NoClobberError):
        fsutil.atomic_write(target, "second\n", exclusive=True)
    assert target.read_text() == "first\n"

    # the race: nothing there when the write starts, another program's file by its end
    racing = tmp_path / "race.md"
    real = fsutil.write_temp

    def write_temp_then_race(path: Path, data: bytes, **kw: Any) -> Path:
        tmp = real(path, data, **kw)
        racing.write_text("theirs\n")
        return tmp

    monkeypatch.setattr(fsutil, "write_temp", write_temp_then_race)
    with pytest.raises(FileExistsError):
        fsutil.atomic_write(racing, "ours\n", exclusive=True)
    assert racing.read_text() == "theirs\n"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("refusal", [errno.EPERM, errno.EOPNOTSUPP])
def test_exclusive_without_hard_links_still_never_clobbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refusal: int
) -> None:
    """exFAT sticks and some network mounts refuse link(): O_EXCL creation instead."""

    def no_links(*_a: Any, **_k: Any) -> None:
        raise OSError(refusal, os.strerror(refusal))

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "entry.md"
    fsutil.atomic_write(target, "Zoë ☕\n", exclusive=True, mode=0o640)
    assert target.read_text(encoding="utf-8") == "Zoë ☕\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    with pytest.raises(fsutil.NoClobberError):
        fsutil.atomic_write(target, "other\n", exclusive=True)
    assert target.read_text(encoding="utf-8") == "Zoë ☕\n"
    assert _leftovers(tmp_path) == []


def test_other_link_errors_are_raised_not_hidden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_a: Any, **_k: Any) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "link", broken)
    with pytest.raises(OSError, match="I/O error"):
        fsutil.atomic_write(tmp_path / "x.md", "x", exclusive=True)
    assert not (tmp_path / "x.md").exists() and _leftovers(tmp_path) == []


def test_keep_mode_keeps_an_existing_files_permissions(tmp_path: Path) -> None:
    target = tmp_path / "shared.md"
    target.write_text("old")
    target.chmod(0o644)
    fsutil.atomic_write(target, "new", mode="keep")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    fsutil.atomic_write(target, "newer")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # the default is owner-only
    fsutil.atomic_write(tmp_path / "fresh.md", "x", mode="keep")
    assert stat.S_IMODE((tmp_path / "fresh.md").stat().st_mode) == 0o600


# --- the callers -------------------------------------------------------------------------


def test_trainer_jsonl_and_cache_writes_are_fsynced_and_leave_no_temp_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainer.cache import ReplyCache
    from trainer.dataset import read_jsonl, write_jsonl

    synced: list[int] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    path = tmp_path / "sft.jsonl"
    assert write_jsonl(path, [{"a": 1}, {"b": "é"}]) == 2
    assert read_jsonl(path) == [{"a": 1}, {"b": "é"}]
    assert len(synced) == 2  # the file and its directory

    def rows() -> Any:
        yield {"c": 3}
        raise _Boom

    with pytest.raises(_Boom):
        write_jsonl(path, rows())
    assert read_jsonl(path) == [{"a": 1}, {"b": "é"}]
    assert _leftovers(tmp_path) == []

    cache = ReplyCache(tmp_path / "cache", salt="m")
    cache.put("q", {"reply": "ok"})
    assert cache.get("q") == {"reply": "ok"}
    assert len(synced) == 4


def test_the_gguf_writer_goes_through_atomic_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from journal_me.llm import gguf_write

    seen: list[Path] = []
    real = fsutil.atomic_path

    def spy(path: Path, **kw: Any) -> Any:
        seen.append(Path(path))
        return real(path, **kw)

    monkeypatch.setattr(gguf_write, "atomic_path", spy)
    target = tmp_path / "m.gguf"
    with pytest.raises(_Boom):
        gguf_write._atomic_write(target, lambda _tmp: (_ for _ in ()).throw(_Boom()))
    assert seen == [target] and not target.exists() and _leftovers(tmp_path) == []


# --- the lock ----------------------------------------------------------------------------


def test_the_lock_is_exclusive_non_blocking_and_reusable(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "train.lock"
    first, second = fsutil.FileLock(path), fsutil.FileLock(path)
    assert first.acquire(blocking=False) and first.held
    assert not second.acquire(blocking=False) and not second.held
    with fsutil.try_lock(path) as free:
        assert not free
    first.release()
    first.release()  # twice is harmless
    with fsutil.try_lock(path) as free:
        assert free
        assert not second.acquire(blocking=False)
    with second:
        assert second.held
    assert not second.held and path.exists()  # the lock file is kept (no unlink race)


_HOLD = """
import sys, time
from journal_me.fsutil import FileLock
lock = FileLock(sys.argv[1])
assert lock.acquire(blocking=False)
print("held", flush=True)
time.sleep(60)
"""


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    path = tmp_path / "train.lock"
    child = subprocess.Popen([sys.executable, "-c", _HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        assert not fsutil.FileLock(path).acquire(blocking=False)
    finally:
        child.kill()
        child.wait(timeout=30)
    lock = fsutil.FileLock(path)
    assert lock.acquire(blocking=False)  # kill -9 dropped it; no stale-lock file to clean
    lock.release()


def test_trainer_guards_use_the_shared_lock(tmp_path: Path) -> None:
    from trainer import guards

    path = tmp_path / "train.lock"
    with fsutil.FileLock(path):
        assert not guards.TrainLock(path).acquire()
    run = guards.TrainLock(path)
    assert run.acquire()
    assert not fsutil.FileLock(path).acquire(blocking=False)
    assert run.holder().startswith(f"pid {os.getpid()} ")
    run.release()
    assert path.read_text() == ""
