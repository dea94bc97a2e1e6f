"""Importing Unsloth (issue 14): only Unsloth not being installed means "train with
transformers + PEFT"; an installed Unsloth that fails to import — a missing dependency, a
transformers it does not match, an error inside it — fails the run at setup with a message
that names the error and what to do, instead of being swallowed. Fake ``unsloth`` packages
on ``sys.path`` stand in for the broken installs."""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_me.config import load_settings
from journal_me.models import ModelRegistry
from trainer import backends, guards
from trainer.nightly import PipelineError, TrainOptions, _import_unsloth_first, run_training
from trainer.state import read_state

BROKEN = {
    "missing dependency": ("import unsloth_zoo_not_here\n", "ModuleNotFoundError", "unsloth_zoo_not_here"),
    "mismatched transformers": (
        "raise ImportError(\"cannot import name 'PreTrainedModelX' from 'transformers'\")\n",
        "ImportError",
        "PreTrainedModelX",
    ),
    "error inside": (
        "raise RuntimeError('Unsloth: CUDA kernels failed to compile')\n",
        "RuntimeError",
        "kernels",
    ),
}


class Notes:
    def __init__(self) -> None:
        self.notes: list[str] = []

    def step(self, name: str, detail: str = "") -> None:
        pass

    def progress(self, name: str, done: int, total: int, loss: float | None = None) -> None:
        pass

    def done(self, name: str, seconds: float, summary: str) -> None:
        pass

    def note(self, text: str) -> None:
        self.notes.append(text)


@pytest.fixture
def fake_unsloth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Put an ``unsloth`` package whose ``__init__`` runs ``code`` first on sys.path, on a
    machine that has CUDA as far as the backend choice knows."""
    monkeypatch.setattr(backends, "_cuda_available", lambda: True)
    monkeypatch.delitem(sys.modules, "unsloth", raising=False)

    def install(code: str) -> None:
        package = tmp_path / "site" / "unsloth"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(code, encoding="utf-8")
        monkeypatch.syspath_prepend(str(tmp_path / "site"))

    return install


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_unsloth_is_reported_not_swallowed(
    case: str, fake_unsloth: Callable[[str], None], caplog: pytest.LogCaptureFixture
) -> None:
    code, kind, detail = BROKEN[case]
    fake_unsloth(code)
    with caplog.at_level(logging.ERROR, logger="trainer.nightly"), pytest.raises(PipelineError) as info:
        _import_unsloth_first(TrainOptions(), Notes())
    err = info.value
    assert err.step == "setup"
    assert err.why.startswith(f"Unsloth is installed but does not import: {kind}: ") and detail in err.why
    assert "--backend peft" in err.hint and "pip install" in err.hint
    assert any(r.exc_info for r in caplog.records)  # the traceback, for a bug report
    assert "unsloth" not in sys.modules


def test_unsloth_not_installed_means_peft(
    fake_unsloth: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backends, "unsloth_installed", lambda: False)
    options = TrainOptions()
    assert _import_unsloth_first(options, Notes()) is options  # PEFT chosen: nothing imported

    # found by the backend choice, yet "No module named 'unsloth'" on import (a half-removed
    # install): still "not installed", the run goes on with PEFT and says so
    monkeypatch.setattr(backends, "unsloth_installed", lambda: True)
    monkeypatch.setitem(sys.modules, "unsloth", None)  # import raises ModuleNotFoundError('unsloth')
    notes = Notes()
    fallback = _import_unsloth_first(options, notes)
    assert fallback.backend == "peft"
    assert notes.notes == ["Unsloth is not installed: training with transformers + PEFT"]


def test_a_working_unsloth_is_imported_first(fake_unsloth: Callable[[str], None]) -> None:
    fake_unsloth("IMPORTED = True\n")
    options = TrainOptions()
    assert _import_unsloth_first(options, Notes()) is options
    assert sys.modules["unsloth"].IMPORTED is True


def test_the_run_fails_at_setup_naming_the_import_error(
    tmp_path: Path,
    tiny_models: dict[str, Path],
    make_vault: Callable[[Path], Path],
    monkeypatch: pytest.MonkeyPatch,
    fake_unsloth: Callable[[str], None],
) -> None:
    from trainer.export import convert_base_to_gguf

    monkeypatch.setattr(guards, "gpu_status", lambda: guards.GpuStatus(True, name="RTX 4090", free_gb=20.0))
    monkeypatch.setattr(guards, "on_battery", lambda: False)
    fake_unsloth(BROKEN["missing dependency"][0])
    vault = make_vault(tmp_path / "vault")
    env = {"JOURNAL_ME_DATA_DIR": str(tmp_path / "data"), "JOURNAL_ME_CONFIG": str(tmp_path / "none.toml")}
    settings = dataclasses.replace(load_settings(vault=vault, env=env), name="Elena")
    registry = ModelRegistry(settings)
    gguf = convert_base_to_gguf(tiny_models["llama"], tmp_path / "tiny.gguf")
    registry.register_base(gguf, name="tiny", hf_dir=tiny_models["llama"])
    registry.use("tiny")

    for nightly in (True, False):  # the timer is not told "skipped": a broken install fails
        outcome = run_training(settings, TrainOptions(nightly=nightly, max_steps=1), Notes())
        assert (outcome.status, outcome.step, outcome.exit_code) == ("failed", "setup", 1)
        assert "ModuleNotFoundError" in outcome.reason and "unsloth_zoo_not_here" in outcome.reason
        assert "--backend peft" in (outcome.hint or "")
        last = read_state(settings)["last_run"]
        assert last["step"] == "setup" and "unsloth_zoo_not_here" in last["reason"]
    assert registry.active().adapter is None
