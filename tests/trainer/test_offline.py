"""No network at run time (issue 15): `journal-me train` and `journal-me doctor --smoke` run in
a subprocess whose environment has none of the test suite's offline switches, under an audit
hook that records (and refuses) every DNS lookup and every internet socket. TRL's trainers
start the hub library's telemetry thread unless journal-me turns it off before they load.

The same bounded train run shows the eval gate sized by ``--max-steps`` and reporting its
progress (questions done / total over all models) on the JSON progress channel.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from journal_me.config import load_settings
from journal_me.models import ModelRegistry
from journal_me.offline import FORCED, enforce_offline, is_offline
from trainer.evaluate import GateConfig, quick_gate

#: Runs the CLI with an audit hook: every name lookup and every non-local-socket connect is
#: written to $JM_NET_LOG and refused (so a hidden call cannot succeed either).
GUARD = r"""
import os, sys

_LOG = os.environ["JM_NET_LOG"]
_EVENTS = {
    "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
    "socket.gethostbyaddr", "socket.connect", "socket.sendto", "http.client.connect",
}

def _guard(event, args):
    if event not in _EVENTS:
        return
    if event == "socket.connect" and not isinstance(args[1], tuple):
        return  # AF_UNIX: a local socket file, not the network
    with open(_LOG, "a", encoding="utf-8") as out:
        out.write(f"{event} {args[1:] if event == 'socket.connect' else args!r}\n")
    raise OSError("network access blocked by the test's audit hook")

sys.addaudithook(_guard)
from journal_me.cli import main
sys.exit(main(sys.argv[1:]))
"""

#: What tests/trainer/conftest.py and CI set for the whole suite: stripped, so the child sees
#: a user's plain environment. (CI=1 alone makes TRL skip its telemetry.)
STRIPPED = {*FORCED, "TOKENIZERS_PARALLELISM", "CI", "GITHUB_ACTIONS"}


@dataclasses.dataclass
class Guarded:
    rc: int
    stdout: str
    stderr: str
    network: list[str]
    seconds: float


@pytest.fixture(scope="module")
def cli_env(
    tmp_path_factory: pytest.TempPathFactory,
    make_vault: Callable[[Path], Path],
    train_config: Callable[..., Path],
) -> dict[str, Path]:
    """A vault, a config and a data dir whose registry has the tiny llama (GGUF + HF weights)."""
    from trainer.export import convert_base_to_gguf
    from trainer.tiny import build_tiny_model

    root = tmp_path_factory.mktemp("offline")
    hf = build_tiny_model(root / "hf", "llama", max_positions=2048)
    gguf = convert_base_to_gguf(hf, root / "tiny.gguf")
    make_vault(root / "vault")
    train_config(root / "config.toml")
    env = {"JOURNAL_ME_DATA_DIR": str(root / "data"), "JOURNAL_ME_CONFIG": str(root / "config.toml")}
    registry = ModelRegistry(load_settings(vault=root / "vault", env=env))
    registry.register_base(gguf, name="tiny", hf_dir=hf)
    registry.use("tiny")
    return {"root": root, "vault": root / "vault", "config": root / "config.toml", "data": root / "data"}


def run_guarded(paths: dict[str, Path], args: list[str], *, timeout: float, code: str = GUARD) -> Guarded:
    log = paths["root"] / f"net-{time.monotonic_ns()}.log"
    env = {k: v for k, v in os.environ.items() if k not in STRIPPED}
    env.update(
        JM_NET_LOG=str(log),
        JOURNAL_ME_DATA_DIR=str(paths["data"]),
        JOURNAL_ME_CONFIG=str(paths["config"]),
        CUDA_VISIBLE_DEVICES="",
    )
    env.pop("JOURNAL_ME_VAULT", None)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", code, "--vault", str(paths["vault"]), "--config", str(paths["config"]), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    network = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return Guarded(proc.returncode, proc.stdout, proc.stderr, network, time.monotonic() - started)


@pytest.fixture(scope="module")
def train_run(cli_env: dict[str, Path]) -> Guarded:
    """One real, bounded training run with the default gate settings, as a user would type it."""
    return run_guarded(
        cli_env,
        ["train", "--allow-cpu", "--max-steps", "2", "--synth", "templates", "--json-progress"],
        timeout=420,
    )


def _events(run: Guarded) -> list[dict[str, Any]]:
    return [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]


def test_the_guard_sees_a_lookup(cli_env: dict[str, Path]) -> None:
    """The audit hook is not blind: a plain DNS lookup in the child is recorded."""
    probe = GUARD.replace(
        "from journal_me.cli import main\nsys.exit(main(sys.argv[1:]))",
        "import socket\ntry:\n    socket.getaddrinfo('huggingface.co', 443)\nexcept OSError:\n    pass\n",
    )
    run = run_guarded(cli_env, [], timeout=60, code=probe)
    assert run.network and "huggingface.co" in run.network[0]


def test_train_opens_no_socket(train_run: Guarded) -> None:
    assert train_run.rc == 0, train_run.stderr[-3000:]
    outcome = _events(train_run)[-1]
    assert outcome["event"] == "outcome" and outcome["status"] in ("published", "refused"), outcome
    assert train_run.network == [], "\n".join(train_run.network)


def test_doctor_smoke_opens_no_socket(cli_env: dict[str, Path]) -> None:
    run = run_guarded(cli_env, ["doctor", "--smoke"], timeout=300)
    out = run.stdout + run.stderr
    for step in ("stream a chat answer", "SFT", "DPO", "llama.cpp answer"):
        assert f"ok   {step} (" in out or f"ok  {step} (" in out, out[-3000:]
    assert run.network == [], "\n".join(run.network)


def test_enforce_offline_forces_every_switch() -> None:
    env = {
        "HF_HUB_OFFLINE": "0",
        "HF_HUB_DISABLE_TELEMETRY": "0",
        "DO_NOT_TRACK": "0",
        "WANDB_MODE": "online",
    }
    enforce_offline(env)
    assert is_offline(env)
    for key in (
        "HF_HUB_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HF_DATASETS_OFFLINE",
        "HF_HUB_DISABLE_TELEMETRY",
        "DO_NOT_TRACK",
        "HF_HUB_DISABLE_IMPLICIT_TOKEN",
    ):
        assert env[key] == "1", key
    assert env["WANDB_MODE"] == "disabled"


# --------------------------------------------------------------------------- gate budget


def test_quick_gate_is_bounded_by_max_steps() -> None:
    defaults = GateConfig()
    assert quick_gate(defaults, None) == defaults
    assert (quick_gate(defaults, 1).max_items, quick_gate(defaults, 1).max_tokens) == (4, 64)
    assert quick_gate(defaults, 3).max_items == 6
    assert quick_gate(defaults, 500).max_items == 8
    small = GateConfig(max_items=3, max_tokens=16)
    assert quick_gate(small, 500) == dataclasses.replace(small)  # never larger than asked


def test_max_steps_bounds_the_gate_and_it_reports_progress(train_run: Guarded) -> None:
    assert train_run.rc == 0, train_run.stderr[-3000:]
    events = _events(train_run)
    gate = [e for e in events if e["event"] == "progress" and e["name"] == "gate"]
    bound = quick_gate(GateConfig(), 2).max_items
    # no active adapter yet: base + candidate answer each question
    assert gate and {e["total"] for e in gate} == {2 * bound}, gate
    done = [e["done"] for e in gate]
    assert done == sorted(done) and done[-1] == 2 * bound
    step = next(e for e in events if e["event"] == "step" and e["name"] == "gate")
    assert step["detail"] == f"{bound} held-out questions"
    seconds = next(e for e in events if e["event"] == "done" and e["name"] == "gate")["seconds"]
    print(
        f"\nbounded gate ({bound} questions × 2 models): {seconds:.1f}s; whole run {train_run.seconds:.1f}s"
    )
