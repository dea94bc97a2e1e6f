"""``kill -9`` of ``journal-me serve`` (a real subprocess) with an outbox full and questions in
flight: on restart the outbox, the log and every task state the peers were told are intact,
interrupted tasks are drafted again, and approving still reaches the peer."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from journal_me.net import NETWORK_DB
from journal_me.net.store import FINAL_STATES, NetLog, Outbox, PeerStore

from .conftest import SAMPLE_VAULT, free_port, make_settings
from .helpers import a2a_get, headers, rpc, run

REPO = Path(__file__).resolve().parents[2]


def _start(vault: Path, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "journal_me.cli", "--vault", str(vault), "serve", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serve exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if (
                httpx.get(f"http://127.0.0.1:{port}/.well-known/agent-card.json", timeout=2).status_code
                == 200
            ):
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("serve did not start")


def _ask(url: str, token: str, text: str) -> httpx.Response:
    params = {"message": {"messageId": os.urandom(8).hex(), "role": "ROLE_USER", "parts": [{"text": text}]}}
    return rpc(url, token, "SendMessage", params)


def test_kill9_with_a_full_outbox_keeps_outbox_log_and_task_states(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    shutil.copytree(SAMPLE_VAULT, vault)
    settings = make_settings(vault, tmp_path, "elena")
    env = {
        **os.environ,
        "JOURNAL_ME_DATA_DIR": str(settings.data_root),
        "JOURNAL_ME_CONFIG": str(settings.config_file),
    }
    data = settings.vault_data_dir
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _start(vault, env, port)
    told: dict[str, str] = {}  # task id -> the state the peer was told last
    try:
        peers = PeerStore(data)
        tokens = {name: peers.invite(name, "social", url).token for name in ("sam", "tom")}
        questions = ["How did the 10K go?", "What are you reading?", "Plans for Skye?", "How is the new job?"]
        for i in range(12):
            name = "sam" if i % 2 else "tom"
            r = _ask(url, tokens[name], questions[i % len(questions)])
            assert r.status_code == 200, r.text
            task = r.json()["result"]["task"]
            told[task["id"]] = task["status"]["state"]
        outbox = Outbox(data)
        ids = list(told)
        for tid in ids[:3]:
            told[tid] = "TASK_STATE_COMPLETED" if outbox.approve(tid).state == "completed" else "?"
        for tid in ids[3:5]:
            outbox.refuse(tid, "no")
            told[tid] = "TASK_STATE_REJECTED"
        log_before = len(NetLog(data).entries(limit=10_000))

        # questions in flight while the process dies
        stop = threading.Event()

        def flood() -> None:
            while not stop.is_set():
                try:
                    _ask(url, tokens["sam"], "One more question about running")
                except httpx.HTTPError:
                    return

        flooder = threading.Thread(target=flood, daemon=True)
        flooder.start()
        time.sleep(1.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        flooder.join(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)

    # on disk, before any restart: a consistent database
    with sqlite3.connect(data / NETWORK_DB) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert oct((data / NETWORK_DB).stat().st_mode & 0o777) == "0o600"
    outbox = Outbox(data)
    for tid, state in told.items():
        item = outbox.get(tid)
        expected = state.removeprefix("TASK_STATE_").lower().replace("_", "-")
        assert item.state == expected, (tid, item.state, state)
    assert len(NetLog(data).entries(limit=10_000)) >= log_before

    # restart: interrupted tasks are drafted again; the peer still gets an approval
    port2 = free_port()
    url2 = f"http://127.0.0.1:{port2}"
    proc = _start(vault, env, port2)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            stuck = [i for i in outbox.items(limit=10_000) if i.state in ("submitted", "working")]
            if not stuck:
                break
            time.sleep(0.3)
        assert not stuck, stuck
        pending = [tid for tid in ids[5:] if outbox.get(tid).state == "input-required"]
        assert pending
        outbox.approve(pending[0], "Still here after the crash.")
        owner_of = outbox.get(pending[0]).peer
        got = run(a2a_get(url2, tokens[owner_of], pending[0]))
        assert got.artifacts[0].parts[0].text == "Still here after the crash."
        assert all(outbox.get(t).final for t in ids[:5]) and all(
            s in FINAL_STATES for s in ("completed", "rejected")
        )
        assert httpx.get(url2 + "/", headers=headers(None)).status_code in (401, 405)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
