"""Killing `journal-me index` while Whoosh's sub-writer processes run takes them down too (they
used to stay, waiting on their job queue for ever: a SIGTERM or SIGKILL gives the indexing
process no chance to cancel them)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="sub-writers follow their parent through PR_SET_PDEATHSIG"
)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _sub_writers(pid: int) -> set[int]:
    """The forked children of ``pid`` (same command line: not a helper it executed)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return set()
    mine = _cmdline(pid)
    return {int(c) for c in children if _cmdline(int(c)) == mine}


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")  # a zombie has ended


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killing_index_ends_its_sub_writers(tmp_path: Path, sig: signal.Signals) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    start = dt.date(2022, 1, 1)
    for i in range(700):
        day = start + dt.timedelta(days=i)
        text = f"# {day:%A}\n\nRan along the canal with Dev, then soup. Garden note {i}: beans.\n" * 12
        (vault / f"{day.isoformat()}.md").write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOURNAL_ME_")}
    env.update(
        JOURNAL_ME_VAULT=str(vault),
        JOURNAL_ME_DATA_DIR=str(tmp_path / "data"),
        JOURNAL_ME_CONFIG=str(tmp_path / "config.toml"),
        JOURNAL_ME_INDEX_PROCS="2",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "journal_me.cli", "index"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    writers: set[int] = set()
    try:
        deadline = time.monotonic() + 300
        while len(writers) < 2 and proc.poll() is None and time.monotonic() < deadline:
            writers |= _sub_writers(proc.pid)
            time.sleep(0.02)
        assert len(writers) == 2, "the index never started its two sub-writers"
        os.kill(proc.pid, sig)
        proc.wait(60)
        deadline = time.monotonic() + 60
        while any(_running(w) for w in writers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [w for w in writers if _running(w)], "sub-writers outlived the killed index"
    finally:
        for pid in [proc.pid, *writers]:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(60)
