"""The inbound server is the only network code: ``index``, ``search``, ``ask`` and ``bridge``
open no socket (other than unix ones) and do not even import the server or the SDKs.

Run in a fresh interpreter (a driver script) so that nothing imported by other tests hides an
import, with a guard on every way to open an internet socket."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE_VAULT = REPO / "vault"

DRIVER = r"""
import json, socket, sys

attempts = []
real_socket = socket.socket

class GuardedSocket(real_socket):
    def _check(self, what, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(f"{what} {address!r}")
            raise OSError(f"network call blocked in test: {what} {address!r}")
    def connect(self, address):
        self._check("connect", address)
        return super().connect(address)
    def connect_ex(self, address):
        self._check("connect", address)
        return super().connect_ex(address)
    def bind(self, address):
        self._check("bind", address)
        return super().bind(address)
    def sendto(self, data, *args):
        self._check("sendto", args[-1])
        return super().sendto(data, *args)

socket.socket = GuardedSocket
real_getaddrinfo = socket.getaddrinfo
def guarded_getaddrinfo(host, *args, **kwargs):
    attempts.append(f"getaddrinfo {host!r}")
    raise OSError("name lookup blocked in test")
socket.getaddrinfo = guarded_getaddrinfo

from journal_me.cli import main

vault = sys.argv[1]
codes = {}
for name, argv in [
    ("index", ["--vault", vault, "index"]),
    ("search", ["--vault", vault, "search", "Leith 10K"]),
    ("ask", ["--vault", vault, "ask", "--no-save", "How did the 10K go?"]),
    ("bridge", ["--vault", vault, "bridge", "reply", "How was the race?", "--no-save"]),
]:
    try:
        codes[name] = main(argv)
    except SystemExit as exc:
        codes[name] = exc.code
network_modules = ("uvicorn", "starlette", "a2a", "mcp", "journal_me.net.server", "httpx")
heavy = sorted(m for m in network_modules if m in sys.modules)
print("RESULT " + json.dumps({"codes": codes, "attempts": attempts, "imported": heavy}))
"""


def test_index_search_ask_bridge_open_no_socket_and_import_no_server(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    shutil.copytree(SAMPLE_VAULT, vault)
    (tmp_path / "config.toml").write_text('name = "Elena"\n', encoding="utf-8")
    env = {
        **os.environ,
        "JOURNAL_ME_DATA_DIR": str(tmp_path / "data"),
        "JOURNAL_ME_CONFIG": str(tmp_path / "config.toml"),
        "HF_HUB_OFFLINE": "1",
    }
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(vault)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, proc.stderr[-3000:]
    result = json.loads(lines[-1].removeprefix("RESULT "))
    assert result["codes"] == {"index": 0, "search": 0, "ask": 0, "bridge": 0}, proc.stderr[-3000:]
    assert result["attempts"] == []
    assert result["imported"] == []


def test_the_guard_catches_a_connection() -> None:
    """The driver's guard is real: a connection attempt is recorded and refused."""
    probe = DRIVER.split("from journal_me.cli import main")[0] + (
        "\ntry:\n    socket.create_connection(('127.0.0.1', 9))\nexcept OSError:\n    pass\n"
        "print('RESULT ' + json.dumps(attempts))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert json.loads(proc.stdout.split("RESULT ", 1)[1]) != []
