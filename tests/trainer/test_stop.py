"""A stop request (SIGTERM: systemd stopping the unit, the app's Stop button) is honoured in
every step, not only between optimizer steps (issue 15): a run stopped during the eval gate
used to publish anyway. Here the signal arrives while a slowed gate is answering its first
question, and while synthesis is on its first entry."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import trainer.pipeline
from journal_me.config import Settings, load_settings
from journal_me.models import ModelRegistry
from trainer import guards
from trainer.evaluate import GateConfig
from trainer.nightly import TrainOptions, run_training
from trainer.state import read_run, read_state

FAST = TrainOptions(
    allow_cpu=True,
    max_steps=2,
    memories=1,
    synth="templates",
    gate=GateConfig(max_items=4, max_tokens=16, n_threads=1),
)


@pytest.fixture(scope="module", autouse=True)
def _cpu_only() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(guards, "gpu_status", lambda: guards.GpuStatus(False, detail="no NVIDIA GPU found"))
        mp.setattr(guards, "on_battery", lambda: False)
        yield


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from trainer.export import convert_base_to_gguf
    from trainer.tiny import build_tiny_model

    root = tmp_path_factory.mktemp("tiny-stop")
    hf = build_tiny_model(root / "hf", "llama", max_positions=2048)
    return hf, convert_base_to_gguf(hf, root / "tiny.gguf")


@pytest.fixture
def settings(
    tmp_path: Path,
    tiny: tuple[Path, Path],
    make_vault: Callable[[Path], Path],
    train_config: Callable[..., Path],
) -> Settings:
    make_vault(tmp_path / "vault")
    train_config(tmp_path / "config.toml")
    env = {"JOURNAL_ME_DATA_DIR": str(tmp_path / "data"), "JOURNAL_ME_CONFIG": str(tmp_path / "config.toml")}
    settings = load_settings(vault=tmp_path / "vault", env=env)
    registry = ModelRegistry(settings)
    registry.register_base(tiny[1], name="tiny", hf_dir=tiny[0])
    registry.use("tiny")
    return settings


def _sigterm_on_first_progress(real: Callable[..., Any], slow: float) -> Callable[..., Any]:
    """``real`` with its progress callback wrapped: the first report sends this process a
    SIGTERM (as ``systemctl stop`` would), and every report is slowed down."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        inner = kwargs.get("progress")
        sent = False

        def progress(*p: Any) -> None:
            nonlocal sent
            if not sent:
                sent = True
                os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(slow)
            if inner is not None:
                inner(*p)

        kwargs["progress"] = progress
        return real(*args, **kwargs)

    return wrapper


def _assert_stopped(settings: Settings, outcome: Any, step: str) -> None:
    assert (outcome.status, outcome.step) == ("stopped", step), outcome
    assert outcome.exit_code != 0 and "active model is unchanged" in (outcome.hint or "")
    registry = ModelRegistry(settings)
    assert registry.adapters() == [], "a stopped run published an adapter"
    assert registry.active().adapter is None
    assert outcome.run_dir is not None
    record = read_run(outcome.run_dir)
    assert (record["status"], record["step"]) == ("stopped", step)
    state = read_state(settings)
    assert state["last_run"]["status"] == "stopped" and state["last_run"]["step"] == step
    assert state["history"][-1]["status"] == "stopped" and "running" not in state
    assert signal.getsignal(signal.SIGTERM) is not None  # the run put the old handler back


def test_sigterm_during_a_slowed_gate_publishes_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate_calls: list[int] = []
    from trainer.evaluate import run_gate as real_gate

    def counting_gate(*args: Any, **kwargs: Any) -> Any:
        gate_calls.append(1)
        return _sigterm_on_first_progress(real_gate, 0.3)(*args, **kwargs)

    monkeypatch.setattr(trainer.pipeline, "run_gate", counting_gate)
    outcome = run_training(settings, FAST)
    assert gate_calls == [1]
    _assert_stopped(settings, outcome, "gate")
    assert outcome.run_dir is not None and not (outcome.run_dir / "eval_report.json").exists()


def test_sigterm_during_synthesis_stops_before_training(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainer.synth import synthesize

    monkeypatch.setattr(trainer.pipeline, "synthesize", _sigterm_on_first_progress(synthesize, 0.0))
    outcome = run_training(settings, FAST)
    _assert_stopped(settings, outcome, "synthesis")
    assert outcome.run_dir is not None and not (outcome.run_dir / "sft").exists()
    assert not (outcome.run_dir / "synth.jsonl").exists()  # stopped before the first entry


def test_the_stop_flag_is_checked_between_filter_examples_and_dpo_pairs() -> None:
    from trainer.dataset import Example
    from trainer.filter import filter_examples
    from trainer.pairs import FactPools, make_pairs
    from trainer.progress import StopRequested

    example = Example(
        kind="memory_qa",
        prompt=({"role": "user", "content": "Where did I walk with Sam?"},),
        question="Where did I walk with Sam?",
        thought="The entry says the canal.",
        answer="Along the canal with Sam.",
        sources=("a.md",),
    )
    kept = filter_examples([example], support_of=lambda rels: "Along the canal with Sam.")
    assert kept.train == [example]
    with pytest.raises(StopRequested):
        filter_examples([example], support_of=lambda rels: "", should_stop=lambda: True)
    pools = FactPools(people=("Sam", "Dev"), places=("the canal", "the park"), others=(), dates=())
    with pytest.raises(StopRequested):
        make_pairs([example], pools, should_stop=lambda: True)
