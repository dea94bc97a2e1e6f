"""A whole run whose model fails on most entries stops at synthesis with a clear error,
after saying so as it happened — instead of training on template data as if the model
had written it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_me.config import load_settings
from journal_me.models import ModelRegistry
from trainer import guards
from trainer.nightly import TrainOptions, run_training
from trainer.state import read_state
from trainer.synth import SynthConfig


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


def test_a_model_that_fails_on_most_entries_stops_the_run(
    tmp_path: Path,
    tiny_models: dict[str, Path],
    make_vault: Callable[[Path], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from trainer.export import convert_base_to_gguf

    monkeypatch.setattr(guards, "gpu_status", lambda: guards.GpuStatus(False, detail="no NVIDIA GPU found"))
    monkeypatch.setattr(guards, "on_battery", lambda: False)
    vault = make_vault(tmp_path / "vault")
    env = {"JOURNAL_ME_DATA_DIR": str(tmp_path / "data"), "JOURNAL_ME_CONFIG": str(tmp_path / "none.toml")}
    settings = dataclasses.replace(load_settings(vault=vault, env=env), name="Elena")
    registry = ModelRegistry(settings)
    gguf = convert_base_to_gguf(tiny_models["llama"], tmp_path / "tiny.gguf")
    registry.register_base(gguf, name="tiny", hf_dir=tiny_models["llama"])
    registry.use("tiny")

    # the tiny random model writes no JSON at all: every entry falls back
    options = TrainOptions(
        allow_cpu=True, max_steps=2, synth="model", synth_config=SynthConfig(model_max_tokens=16)
    )
    reporter = Notes()
    outcome = run_training(settings, options, reporter)
    assert (outcome.status, outcome.step, outcome.exit_code) == ("failed", "synthesis", 1)
    assert "the model failed on" in outcome.reason and "unusable reply" in outcome.reason
    assert "--synth templates" in (outcome.hint or "")
    assert reporter.steps == ["synthesis"]  # nothing after it ran
    assert any(n.startswith("synthesis: the model failed on ") for n in reporter.notes)
    assert read_state(settings)["last_run"]["step"] == "synthesis"
    assert registry.active().adapter is None
