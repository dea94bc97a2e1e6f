"""The preflight: `journal-me train` refuses, in seconds and before any synthesis, a run that
cannot finish — and says why and what to do. `journal-me doctor` shows the same checks."""

from __future__ import annotations

import argparse
import io
import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from journal_me.cli import main
from journal_me.config import Settings, load_settings
from journal_me.models import CATALOG, ModelRegistry
from trainer import gguf_base, guards, preflight
from trainer.state import read_state, train_dir

MakeVault = Callable[[Path], Path]


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory, tiny_models: dict[str, Path]) -> tuple[Path, Path]:
    """The tiny llama's HF dir and its base GGUF."""
    from trainer.export import convert_base_to_gguf

    hf = tiny_models["llama"]
    return hf, convert_base_to_gguf(hf, tmp_path_factory.mktemp("preflight") / "tiny.gguf")


@pytest.fixture(autouse=True)
def _cpu_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guards, "gpu_status", lambda: guards.GpuStatus(False, detail="no NVIDIA GPU found"))
    monkeypatch.setattr(guards, "on_battery", lambda: False)


class Env:
    def __init__(self, root: Path, make_vault: MakeVault) -> None:
        self.root = root
        self.vault = make_vault(root / "vault")
        self.config = root / "config.toml"
        self.config.write_text('name = "Elena"\n', encoding="utf-8")

    def settings(self) -> Settings:
        return load_settings(
            vault=self.vault,
            env={"JOURNAL_ME_DATA_DIR": str(self.root / "data"), "JOURNAL_ME_CONFIG": str(self.config)},
        )

    def cli(self, *args: str) -> list[str]:
        return ["--vault", str(self.vault), "--config", str(self.config), *args]

    def register(self, gguf: Path, hf: Path | None, name: str = "tiny") -> None:
        registry = ModelRegistry(self.settings())
        base = registry.register_base(gguf, name=name, hf_dir=hf)  # same file: hf_dir updated
        registry.use(base.name)


@pytest.fixture
def env(tmp_path: Path, make_vault: MakeVault, monkeypatch: pytest.MonkeyPatch) -> Env:
    monkeypatch.setenv("JOURNAL_ME_DATA_DIR", str(tmp_path / "data"))
    return Env(tmp_path, make_vault)


@pytest.fixture
def no_synthesis(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Synthesis (and the whole pipeline) must never start: record any call."""
    import trainer.nightly
    import trainer.pipeline
    import trainer.synth

    calls: list[str] = []

    def forbidden(*_a: Any, **_k: Any) -> Any:
        calls.append("called")
        raise AssertionError("synthesis ran although the preflight refused")

    monkeypatch.setattr(trainer.synth, "synthesize", forbidden)
    monkeypatch.setattr(trainer.pipeline, "synthesize", forbidden)
    monkeypatch.setattr(trainer.nightly, "run_pipeline", forbidden)
    yield calls


def _names(checks: list[preflight.Check]) -> dict[str, preflight.Check]:
    return {c.name: c for c in checks}


def test_a_trainable_base_passes_every_check(env: Env, tiny_base: tuple[Path, Path]) -> None:
    env.register(tiny_base[1], tiny_base[0])
    started = time.monotonic()
    checks = preflight.preflight(env.settings())
    assert time.monotonic() - started < 5
    assert [c.name for c in checks] == [
        "base",
        "weights",
        "export",
        "chat template",
        "disk",
        "memory",
        "lock",
    ]
    assert all(c.ok for c in checks), [c.line() for c in checks if not c.ok]
    assert "LlamaForCausalLM exports" in _names(checks)["export"].detail


def test_unsupported_export_is_refused_in_seconds_before_synthesis(
    env: Env,
    tiny_base: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    no_synthesis: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    env.register(tiny_base[1], tiny_base[0])
    seen: list[object] = []

    def unsupported(config: Any) -> str:
        seen.append(config)
        return "llama.cpp cannot apply a LoRA to this architecture yet"

    monkeypatch.setattr(gguf_base, "export_support", unsupported, raising=False)
    started = time.monotonic()
    code = main(env.cli("train", "--allow-cpu"))
    seconds = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 2 and seconds < 10
    assert no_synthesis == []
    assert seen and seen[0]["architectures"] == ["LlamaForCausalLM"]  # type: ignore[index]
    assert "training refused" in err and "export: LlamaForCausalLM: llama.cpp cannot apply" in err
    assert "what to do: train one of the catalogue models instead" in err
    assert not (train_dir(env.settings()) / "runs").exists()  # no run was even started

    # the Training screen's view: JSON events, an outcome naming the preflight step
    assert main(env.cli("train", "--allow-cpu", "--json-progress")) == 2
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[0]["event"] == "preflight" and events[0]["ok"] is False
    assert {c["name"]: c["ok"] for c in events[0]["checks"]}["export"] is False
    assert events[-1] == {
        "event": "outcome",
        "status": "failed",
        "reason": "export: LlamaForCausalLM: llama.cpp cannot apply a LoRA to this architecture yet",
        "step": "preflight",
        "hint": events[-1]["hint"],
        "run_dir": None,
    }

    # the timer skips (exit 0) and records why, for `schedule status`
    assert main(env.cli("train", "--nightly", "--allow-cpu")) == 0
    assert capsys.readouterr().out.startswith("skipped: preflight: export:")
    assert read_state(env.settings())["last_check"]["reason"].startswith("preflight: export:")
    assert no_synthesis == []


def test_an_unknown_architecture_twin_is_refused_by_the_real_export_support(
    env: Env, tiny_base: tuple[Path, Path], tmp_path: Path, no_synthesis: list[str]
) -> None:
    hf = tmp_path / "mamba"
    shutil.copytree(tiny_base[0], hf)
    config = json.loads((hf / "config.json").read_text(encoding="utf-8"))
    config["architectures"] = ["MambaForCausalLM"]
    config["model_type"] = "mamba"
    (hf / "config.json").write_text(json.dumps(config), encoding="utf-8")
    env.register(tiny_base[1], hf)
    export = _names(preflight.preflight(env.settings()))["export"]
    assert not export.ok and "MambaForCausalLM" in export.detail and export.fix
    assert main(env.cli("train", "--allow-cpu")) == 2
    assert no_synthesis == []


def test_chat_only_catalogue_entries_are_refused(
    env: Env, tiny_base: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    key = next(iter(CATALOG))
    monkeypatch.setitem(
        CATALOG, key, dataclasses.replace(CATALOG[key], chat_only=True, note="its LoRA cannot be exported")
    )
    env.register(tiny_base[1], tiny_base[0], name=key)
    export = _names(preflight.preflight(env.settings()))["export"]
    assert not export.ok and "offered for chat only: its LoRA cannot be exported" in export.detail
    assert key not in export.fix.split("trainable: ")[1]


def test_missing_weights_template_and_resources_name_the_fix(
    env: Env, tiny_base: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = _names(preflight.preflight(env.settings()))
    assert list(checks) == ["base", "lock"]
    assert checks["base"].detail == preflight.NO_BASE and "model pull" in checks["base"].fix

    env.register(tiny_base[1], None)
    weights = _names(preflight.preflight(env.settings()))["weights"]
    assert not weights.ok and "no Hugging Face weights" in weights.detail and "--hf-dir" in weights.fix

    hf = tmp_path / "no-template"
    shutil.copytree(tiny_base[0], hf)
    for name in ("chat_template.jinja", "chat_template.json"):
        (hf / name).unlink(missing_ok=True)
    tok = json.loads((hf / "tokenizer_config.json").read_text(encoding="utf-8"))
    tok.pop("chat_template", None)
    (hf / "tokenizer_config.json").write_text(json.dumps(tok), encoding="utf-8")
    env.register(tiny_base[1], hf)
    monkeypatch.setattr(preflight, "available_ram_bytes", lambda: 100 * 1024**2)
    monkeypatch.setattr(preflight, "free_disk_bytes", lambda _p: 10 * 1024**2)
    checks = _names(preflight.preflight(env.settings()))
    assert not checks["chat template"].ok and "instruct" in checks["chat template"].fix
    assert not checks["memory"].ok and "smaller base model" in checks["memory"].fix
    assert not checks["disk"].ok and "0.0 GiB free" in checks["disk"].detail

    (hf / "model.safetensors").unlink()
    weights = _names(preflight.preflight(env.settings()))["weights"]
    assert not weights.ok and "no weights" in weights.detail


def test_gpu_memory_is_checked_when_cuda_trains(
    env: Env, tiny_base: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    env.register(tiny_base[1], tiny_base[0])
    monkeypatch.setattr(guards, "gpu_status", lambda: guards.GpuStatus(True, name="RTX 3050", free_gb=0.5))
    gpu = _names(preflight.preflight(env.settings()))["gpu memory"]
    assert not gpu.ok and "0.5 GiB GPU memory free on RTX 3050" in gpu.detail


def test_a_run_holding_the_lock_is_reported(env: Env, tiny_base: tuple[Path, Path]) -> None:
    env.register(tiny_base[1], tiny_base[0])
    settings = env.settings()
    with guards.TrainLock(train_dir(settings) / "train.lock") as lock:
        assert lock.acquire()
        held = _names(preflight.preflight(settings))["lock"]
    assert not held.ok and "pid" in held.detail
    assert _names(preflight.preflight(settings))["lock"].ok


def test_doctor_shows_the_same_checks(
    env: Env, tiny_base: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from journal_me.commands.train import doctor_trainer

    def doctor() -> tuple[bool, str]:
        buffer = io.StringIO()
        ok = doctor_trainer(argparse.Namespace(smoke=False), env.settings(), Console(file=buffer, width=200))
        return ok, buffer.getvalue()

    ok, out = doctor()
    assert ok and "no base model to train yet" in out  # training is optional: not a fault

    env.register(tiny_base[1], tiny_base[0])
    ok, out = doctor()
    assert ok and "ok   export: LlamaForCausalLM exports" in out and "ok   lock" in out

    monkeypatch.setattr(gguf_base, "export_support", lambda _c: "not exportable", raising=False)
    ok, out = doctor()
    assert not ok and "FAIL export: LlamaForCausalLM: not exportable — train one of" in out
