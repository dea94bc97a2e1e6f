"""The whole nightly pipeline on CPU with the tiny model: synthesis → filter → SFT → DPO →
export → llama.cpp loads base + adapter → the gate → the registry switches. Plus what makes
it timer-safe: skips, the lock, a kill -9 mid-training, and the gate refusing a broken
adapter."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from journal_me.config import Settings, load_settings
from journal_me.models import ModelRegistry
from trainer import guards
from trainer.evaluate import EvalItem, GateConfig, run_gate
from trainer.nightly import STEPS, TrainOptions, TrainOutcome, run_training
from trainer.state import read_state, state_file, train_dir

#: Fast but real: 4 SFT steps, 2 DPO steps, short prompts, a small eval.
FAST = TrainOptions(
    allow_cpu=True,
    max_steps=4,
    memories=1,
    gate=GateConfig(max_items=6, max_tokens=24, n_threads=2),
)


@dataclasses.dataclass
class Env:
    root: Path
    hf: Path
    base_gguf: Path

    @property
    def vault(self) -> Path:
        return self.root / "vault"

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def environ(self) -> dict[str, str]:
        return {"JOURNAL_ME_DATA_DIR": str(self.data), "JOURNAL_ME_CONFIG": str(self.config)}

    def settings(self) -> Settings:
        return load_settings(vault=self.vault, env=self.environ())

    def registry(self) -> ModelRegistry:
        return ModelRegistry(self.settings())

    def cli(self, *args: str) -> list[str]:
        return ["--vault", str(self.vault), "--config", str(self.config), *args]


MakeVault = Callable[[Path], Path]
TrainConfig = Callable[..., Path]


def make_env(
    root: Path,
    tiny: tuple[Path, Path],
    make_vault: MakeVault,
    train_config: TrainConfig,
    *,
    register: bool = True,
    hf_dir: bool = True,
) -> Env:
    env = Env(root, *tiny)
    make_vault(env.vault)
    train_config(env.config, n_threads=2)  # the shared tiny-model config (conftest.py)
    if register:
        registry = env.registry()
        registry.register_base(env.base_gguf, name="tiny", hf_dir=env.hf if hf_dir else None)
        registry.use("tiny")
    return env


@pytest.fixture(scope="module")
def tiny_long(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny llama with a 2048-token context (chat prompts are long in its 512 vocab)."""
    from trainer.export import convert_base_to_gguf
    from trainer.tiny import build_tiny_model

    root = tmp_path_factory.mktemp("tiny-long")
    hf = build_tiny_model(root / "hf", "llama", max_positions=2048)
    return hf, convert_base_to_gguf(hf, root / "tiny.gguf")


@pytest.fixture(scope="module", autouse=True)
def _cpu_only() -> Iterator[None]:
    """Same path on every machine: no GPU, on mains power."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(guards, "gpu_status", lambda: guards.GpuStatus(False, detail="no NVIDIA GPU found"))
        mp.setattr(guards, "on_battery", lambda: False)
        yield


@dataclasses.dataclass
class Trained:
    env: Env
    outcome: TrainOutcome
    seconds: float


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory,
    tiny_long: tuple[Path, Path],
    make_vault: MakeVault,
    train_config: TrainConfig,
) -> Trained:
    env = make_env(tmp_path_factory.mktemp("trained"), tiny_long, make_vault, train_config)
    started = time.monotonic()
    outcome = run_training(env.settings(), FAST)
    return Trained(env, outcome, time.monotonic() - started)


class Notes:
    def __init__(self) -> None:
        self.notes: list[str] = []
        self.steps: list[str] = []

    def step(self, name: str, detail: str = "") -> None:
        self.steps.append(name)

    def progress(self, name: str, done: int, total: int, loss: float | None = None) -> None:
        pass

    def done(self, name: str, seconds: float, summary: str) -> None:
        pass

    def note(self, text: str) -> None:
        self.notes.append(text)


# --------------------------------------------------------------------------- end to end


def test_end_to_end_publishes_an_adapter_llama_cpp_serves(trained: Trained) -> None:
    from journal_me.llm.engine import Engine
    from journal_me.llm.prompts import chat_messages

    outcome = trained.outcome
    assert outcome.status == "published", outcome
    assert outcome.exit_code == 0 and outcome.version == "v0001"
    registry = trained.env.registry()
    active = registry.active()
    assert active.base is not None and active.base.name == "tiny"
    assert active.adapter is not None and active.adapter.version == "v0001"

    manifest = active.adapter.manifest
    assert {"score", "nll", "base_score"} <= set(manifest["metrics"])
    report = manifest["report"]
    assert report["eval"]["publish"] is True
    assert report["eval"]["candidate"]["nll"] < report["eval"]["base"]["nll"]
    assert len(report["losses"]["sft"]) == 4 and report["losses"]["dpo"]
    assert report["synthesis"]["examples"] > 30 and report["filter"]["train"] > 20
    assert report["dpo_pairs"]["pairs"] > 0
    assert set(STEPS) - {"publish"} <= set(report["durations"])
    assert manifest["trainer"]["backend"] == "peft"

    run_dir = outcome.run_dir
    assert run_dir is not None
    for name in ("synth.jsonl", "sft_train.jsonl", "dpo_train.jsonl", "eval.jsonl", "eval_report.json"):
        assert (run_dir / name).is_file(), name
    assert json.loads((run_dir / "run.json").read_text())["status"] == "published"

    # the chat engine picks base + adapter from the registry and answers
    settings = trained.env.settings()
    with Engine.from_settings(settings, n_ctx=2048) as engine:
        assert engine.lora_path == active.adapter.gguf
        messages = chat_messages(
            question="What did I do on Sunday?",
            hits=[],
            history=[],
            summary=None,
            name="Elena",
            profile_text=None,
            as_of=None,
            today=dt.date.today(),
        )
        reply = engine.chat(messages, max_tokens=16, temperature=0.0, seed=0)
    assert isinstance(reply, str) and reply

    state = read_state(settings)
    assert state["last_run"]["status"] == "published" and "running" not in state
    print(f"\nend-to-end pipeline on CPU: {trained.seconds:.1f}s")


def test_no_private_text_anywhere_in_training_outputs(trained: Trained, secrets: tuple[str, ...]) -> None:
    settings = trained.env.settings()
    roots = [train_dir(settings), settings.vault_data_dir / "adapters"]
    checked = 0
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                for secret in secrets:
                    assert secret.encode() not in data, path
                checked += 1
    assert checked > 5
    run_dir = trained.outcome.run_dir
    assert run_dir is not None
    sources = {
        rel
        for line in (run_dir / "synth.jsonl").read_text().splitlines()
        for rel in json.loads(line)["sources"]
    }
    assert "journal/2025/2025-08-15.md" not in sources and "journal/2025/2025-08-27.md" not in sources


def _broken_adapter(trained: Trained, out: Path) -> Path:
    """The published adapter's weights replaced by loud noise, exported like a real one."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    from trainer.export import export_adapter_gguf

    run_dir = trained.outcome.run_dir
    assert run_dir is not None
    src = run_dir / "dpo"
    shutil.copytree(src, out / "peft")
    tensors = load_file(str(out / "peft" / "adapter_model.safetensors"))
    torch.manual_seed(0)
    save_file(
        {k: torch.randn_like(v) * 3.0 for k, v in tensors.items()},
        str(out / "peft" / "adapter_model.safetensors"),
    )
    return export_adapter_gguf(out / "peft", trained.env.hf, out / "broken.gguf").path


def test_the_gate_refuses_a_broken_adapter(trained: Trained, tmp_path: Path) -> None:
    from trainer.dataset import read_examples

    settings = trained.env.settings()
    registry = trained.env.registry()
    pointer = registry.pointer_file.read_bytes()
    active = registry.active()
    assert active.base is not None and active.adapter is not None
    run_dir = trained.outcome.run_dir
    assert run_dir is not None
    items = [EvalItem.from_example(e) for e in read_examples(run_dir / "eval.jsonl")]
    broken = _broken_adapter(trained, tmp_path)
    decision = run_gate(
        items,
        base_gguf=active.base.gguf,
        candidate=broken,
        active=active.adapter.gguf,
        llm=settings.llm,
        config=FAST.gate,
    )
    assert not decision.publish
    assert "less likely" in decision.reason
    assert decision.active is not None and decision.candidate.nll > decision.active.nll
    # without an active adapter it is still refused (no better than the base)
    alone = run_gate(
        items, base_gguf=active.base.gguf, candidate=broken, active=None, llm=settings.llm, config=FAST.gate
    )
    assert not alone.publish
    assert registry.pointer_file.read_bytes() == pointer


# --------------------------------------------------------------------------- timer safety


def test_nightly_skips_when_nothing_changed(trained: Trained, capsys: pytest.CaptureFixture[str]) -> None:
    from journal_me.cli import main

    outcome = run_training(trained.env.settings(), dataclasses.replace(FAST, nightly=True))
    assert outcome.status == "skipped" and outcome.exit_code == 0
    assert "no new or changed entries since the last run" in outcome.reason and "v0001" in outcome.reason
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JOURNAL_ME_DATA_DIR", str(trained.env.data))
        assert main(trained.env.cli("train", "--nightly", "--allow-cpu")) == 0
        assert main(trained.env.cli("schedule", "status", "--backend", "cron")) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("skipped: no new or changed entries")
    assert "last run:" in out and "published" in out


def test_the_lock_prevents_a_second_run(trained: Trained, capsys: pytest.CaptureFixture[str]) -> None:
    from journal_me.cli import main

    settings = trained.env.settings()
    with guards.TrainLock(train_dir(settings) / "train.lock") as lock:
        assert lock.acquire()
        outcome = run_training(settings, FAST)
        assert outcome.status == "busy" and outcome.exit_code == 0
        assert f"pid {os.getpid()}" in outcome.reason
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("JOURNAL_ME_DATA_DIR", str(trained.env.data))
            assert main(trained.env.cli("train", "--nightly", "--allow-cpu")) == 0
    assert "skipped: already running (pid" in capsys.readouterr().out


def _wait_for_step(path: Path, step: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else "exited"
        try:
            running = json.loads(path.read_text()).get("running") or {}
        except (OSError, ValueError):
            running = {}
        if running.get("step") == step:
            return
        time.sleep(0.2)
    raise AssertionError(f"the run never reached {step}")


def test_kill_9_during_sft_leaves_the_active_model_and_the_next_run_works(trained: Trained) -> None:
    env = trained.env
    settings = env.settings()
    registry = env.registry()
    pointer = registry.pointer_file.read_bytes()
    (env.vault / "journal/2025/2025-09-26.md").write_text(
        "Long walk with Dev along the Rochdale Canal after work; we planned a Sunday at the Depot.\n",
        encoding="utf-8",
    )
    cmd = [
        sys.executable,
        "-m",
        "journal_me.cli",
        *env.cli("train", "--nightly", "--allow-cpu", "--max-steps", "500", "--synth", "templates"),
    ]
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, **env.environ(), "CUDA_VISIBLE_DEVICES": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_step(state_file(settings), "sft", proc, timeout=300)  # minutes on a loaded machine
        time.sleep(1.5)  # into model loading / the first optimizer steps
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    killed_run = Path(json.loads(state_file(settings).read_text())["running"]["run_dir"])
    assert killed_run.is_dir()

    # nothing chats run on has changed, and the lock died with the process
    assert registry.pointer_file.read_bytes() == pointer
    assert registry.active().adapter is not None and registry.active().adapter.version == "v0001"  # type: ignore[union-attr]
    with guards.TrainLock(train_dir(settings) / "train.lock") as lock:
        assert lock.acquire()

    # the next run notices, cleans up and trains
    notes = Notes()
    outcome = run_training(settings, dataclasses.replace(FAST, nightly=True), notes)
    assert outcome.status in ("published", "refused"), outcome
    assert any("interrupted during sft" in n for n in notes.notes)
    assert not killed_run.exists()
    history = read_state(settings)["history"]
    assert [h["status"] for h in history][-2:] == ["interrupted", outcome.status]


def test_a_nightly_run_continues_the_active_adapter_on_new_plus_replay(trained: Trained) -> None:
    """The second night trains on the examples of the new entry plus a replay sample, starting
    from the active adapter's kept weights — not on the whole journal again."""
    env = trained.env
    settings = env.settings()
    active = env.registry().active().adapter
    assert active is not None
    kept = train_dir(settings) / "peft" / active.version
    assert (kept / "adapter_config.json").is_file() and (kept / "trained.json").is_file()
    from trainer.vault_view import stable_fraction

    # a day the held-out split keeps for training (its hash is above the 15 % threshold)
    new_rel = next(
        rel
        for rel in (f"journal/2025/2025-10-{day:02d}.md" for day in range(2, 29))
        if stable_fraction(rel, "holdout") >= 0.15 and not (env.vault / rel).exists()
    )
    (env.vault / new_rel).write_text(
        "---\ntitle: Allotment\n---\nSpent the morning at the allotment with Sam. We dug two "
        "beds for garlic and Sam found a frog under the water butt. Biscuit barked at it.\n",
        encoding="utf-8",
    )
    notes = Notes()
    outcome = run_training(settings, dataclasses.replace(FAST, nightly=True), notes)
    assert outcome.status in ("published", "refused"), outcome
    assert outcome.run_dir is not None
    picked = outcome.report["incremental"]
    assert picked["continued"] == active.version
    assert picked["new"] >= 1 and picked["trained"] == picked["new"] + picked["replay"]
    assert picked["trained"] < picked["available"]  # not the whole journal again
    rows = [json.loads(x) for x in (outcome.run_dir / "sft_train.jsonl").read_text().splitlines()]
    assert len(rows) == picked["trained"]
    # count them independently: each trained conversation back to its example's sources
    from trainer.dataset import read_examples

    examples = {json.dumps(e.messages): e for e in read_examples(outcome.run_dir / "synth.jsonl")}
    trained_examples = [examples[json.dumps(r["messages"])] for r in rows]
    from_new = [e for e in trained_examples if new_rel in e.sources]
    assert len(from_new) == picked["new"]
    assert len(trained_examples) - len(from_new) == picked["replay"]
    assert picked["replay"] == min(max(8, picked["new"]), picked["available"] - picked["new"])
    pairs = [json.loads(x) for x in (outcome.run_dir / "dpo_train.jsonl").read_text().splitlines()]
    assert {p["id"] for p in pairs} <= {e.id for e in trained_examples}


# --------------------------------------------------------------------------- skips and failures


@pytest.fixture
def fresh(
    tmp_path: Path, tiny_long: tuple[Path, Path], make_vault: MakeVault, train_config: TrainConfig
) -> Env:
    return make_env(tmp_path, tiny_long, make_vault, train_config)


def test_skip_reasons(fresh: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = fresh.settings()
    nightly = dataclasses.replace(FAST, nightly=True, allow_cpu=False)

    monkeypatch.setattr(guards, "on_battery", lambda: True)
    assert run_training(settings, nightly).reason.startswith("on battery power")
    monkeypatch.setattr(guards, "on_battery", lambda: False)

    skipped = run_training(settings, nightly)
    assert (skipped.status, skipped.exit_code) == ("skipped", 0)
    assert "no NVIDIA GPU found" in skipped.reason and "--allow-cpu" in skipped.reason

    monkeypatch.setattr(guards, "gpu_status", lambda: guards.GpuStatus(True, name="RTX 3050", free_gb=2.0))
    low = run_training(settings, nightly)
    assert low.status == "skipped" and "only 2.0 GB of GPU memory free on RTX 3050" in low.reason

    manual = run_training(settings, dataclasses.replace(FAST, allow_cpu=False))
    assert (manual.status, manual.exit_code, manual.step) == ("failed", 1, "setup")
    assert "close programs using the GPU" in (manual.hint or "")
    assert ModelRegistry(settings).adapters() == []
    state = read_state(settings)
    assert state["last_check"]["status"] == "skipped" and state["last_run"]["status"] == "failed"


def test_no_base_model_says_what_to_do(
    tmp_path: Path, tiny_long: tuple[Path, Path], make_vault: MakeVault, train_config: TrainConfig
) -> None:
    env = make_env(tmp_path / "a", tiny_long, make_vault, train_config, register=False)
    skipped = run_training(env.settings(), dataclasses.replace(FAST, nightly=True))
    assert skipped.status == "skipped" and "journal-me model pull" in skipped.reason
    failed = run_training(env.settings(), FAST)
    assert failed.status == "failed" and failed.exit_code == 1
    assert failed.reason == "no base model yet" and "journal-me model pull" in (failed.hint or "")

    no_hf = make_env(tmp_path / "b", tiny_long, make_vault, train_config, hf_dir=False)
    failed = run_training(no_hf.settings(), FAST)
    assert "no Hugging Face weights" in failed.reason and "--hf-dir" in (failed.hint or "")


def test_out_of_memory_names_the_step_and_the_fix(fresh: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    import trainer.sft
    from trainer.backends import TrainingOOMError

    def oom(*_a: Any, **_k: Any) -> Any:
        raise TrainingOOMError("SFT training ran out of memory.")

    monkeypatch.setattr(trainer.sft, "run_sft", oom)
    settings = fresh.settings()
    outcome = run_training(settings, FAST)
    assert (outcome.status, outcome.step) == ("failed", "sft")
    assert "smaller base model" in (outcome.hint or "") and "batch_size" in (outcome.hint or "")
    assert ModelRegistry(settings).active().adapter is None
    assert read_state(settings)["last_run"]["step"] == "sft"


def test_cli_dry_run_and_failure_output(
    fresh: Env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from journal_me.cli import main

    monkeypatch.setenv("JOURNAL_ME_DATA_DIR", str(fresh.data))
    assert main(fresh.cli("train", "--dry-run")) == 0
    out, err = capsys.readouterr()
    assert out.startswith("dry-run: ") and "training examples" in out
    assert "synthesis" in err and "filter" in err
    run_dir = Path(out.rsplit(" written to ", 1)[1].strip())
    assert (run_dir / "sft_train.jsonl").is_file() and (run_dir / "dropped.jsonl").is_file()
    assert ModelRegistry(fresh.settings()).adapters() == []

    assert main(fresh.cli("train")) == 1  # no GPU and no --allow-cpu
    err = capsys.readouterr().err
    assert "training failed at setup: no NVIDIA GPU found" in err and "what to do: pass --allow-cpu" in err

    assert main(fresh.cli("train", "--nightly", "--json-progress")) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["event"] == "outcome" and last["status"] == "skipped"


def test_doctor_smoke_runs_the_trainer_chain(fresh: Env) -> None:
    import argparse

    from rich.console import Console

    from journal_me.commands.journal import doctor_checks
    from journal_me.commands.train import doctor_trainer

    assert doctor_trainer in doctor_checks()
    buffer = io.StringIO()
    ok = doctor_trainer(argparse.Namespace(smoke=True), fresh.settings(), Console(file=buffer, width=200))
    out = buffer.getvalue()
    assert ok, out
    for step in ("build tiny model", "SFT", "DPO", "export GGUF", "llama.cpp answer"):
        assert f"  ok   {step} (" in out


def test_a_time_budget_stops_training_in_time_and_records_why(fresh: Env) -> None:
    """max_steps far beyond the budget: SFT and DPO stop at the step that would overrun,
    what was trained goes through export and the gate, and the run says why."""
    budget_min = 0.75
    notes = Notes()
    started = time.monotonic()
    outcome = run_training(
        fresh.settings(), dataclasses.replace(FAST, max_steps=10_000, max_minutes=budget_min), notes
    )
    elapsed = time.monotonic() - started
    assert outcome.status in ("published", "refused"), outcome
    budget = outcome.report["budget"]
    assert budget["max_minutes"] == budget_min
    sft = budget["phases"]["sft"]
    assert sft["stopped_by_budget"] and 1 <= sft["steps"] < sft["planned"] == 10_000
    assert len(outcome.report["losses"]["sft"]) == sft["steps"]
    dpo = budget["phases"].get("dpo")
    assert dpo is None or dpo["steps"] < dpo["planned"]
    assert any(n.startswith("time budget: SFT stopped after") for n in notes.notes)
    assert outcome.run_dir is not None
    assert json.loads((outcome.run_dir / "run.json").read_text())["budget"]["phases"]["sft"][
        "stopped_by_budget"
    ]
    durations = outcome.report["durations"]
    training = sum(durations[s] for s in ("synthesis", "filter", "sft", "dpo") if s in durations)
    # the training phases ended at the budget: a step is never cut, and loading the model and
    # its first step come before any stop (seconds idle; up to a minute on a loaded machine)
    assert training <= budget_min * 60 + 60
    # export and the gate ran after it on what was trained (the gate is not cut short: its
    # time is the budget's 15 % reserve, an estimate — on a loaded machine it takes longer)
    assert {"export", "gate"} <= set(durations) and outcome.report["eval"]["candidate"]
    assert elapsed >= training
