"""Backend choice, model loading and error translation (Unsloth is faked: no GPU here)."""

from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from trainer import backends
from trainer.backends import (
    TARGET_MODULES,
    LoraParams,
    TrainingError,
    TrainingOOMError,
    choose_backend,
    load_for_training,
    oom_guard,
)


def _machine(monkeypatch: pytest.MonkeyPatch, *, gpu: bool, unsloth: bool) -> None:
    monkeypatch.setattr(backends, "_cuda_available", lambda: gpu)
    monkeypatch.setattr(backends, "unsloth_installed", lambda: unsloth)


@pytest.mark.parametrize(
    ("gpu", "unsloth", "expected"),
    [(True, True, "unsloth"), (True, False, "peft"), (False, True, "peft"), (False, False, "peft")],
)
def test_auto_choice(monkeypatch: pytest.MonkeyPatch, gpu: bool, unsloth: bool, expected: str) -> None:
    _machine(monkeypatch, gpu=gpu, unsloth=unsloth)
    assert choose_backend() == expected


def test_forcing_unsloth_without_gpu_or_package_explains(monkeypatch: pytest.MonkeyPatch) -> None:
    _machine(monkeypatch, gpu=False, unsloth=True)
    with pytest.raises(TrainingError, match="NVIDIA GPU"):
        choose_backend("unsloth")
    _machine(monkeypatch, gpu=True, unsloth=False)
    with pytest.raises(TrainingError, match="gpu extra"):
        choose_backend("unsloth")
    with pytest.raises(TrainingError, match="unknown training backend"):
        choose_backend("deepspeed")  # type: ignore[arg-type]


def test_peft_backend_lora_shape(tiny_models: dict[str, Path]) -> None:
    loaded = load_for_training(tiny_models["qwen2"], LoraParams(r=4, alpha=8), max_length=64, backend="peft")
    cfg = loaded.model.peft_config["default"]
    assert loaded.backend == "peft"
    assert (cfg.r, cfg.lora_alpha, cfg.use_rslora, cfg.use_dora) == (4, 8, False, False)
    assert set(cfg.target_modules) == set(TARGET_MODULES)
    trainable = [n for n, p in loaded.model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    assert not any("embed" in n or "lm_head" in n for n in trainable)


def test_unsloth_path_calls_fast_language_model(
    monkeypatch: pytest.MonkeyPatch, tiny_models: dict[str, Path]
) -> None:
    calls: dict[str, Any] = {}

    class FakeFastLanguageModel:
        @staticmethod
        def from_pretrained(**kwargs: Any) -> tuple[str, str]:
            calls["from_pretrained"] = kwargs
            return "model", "tokenizer"

        @staticmethod
        def get_peft_model(model: str, **kwargs: Any) -> str:
            calls["get_peft_model"] = kwargs
            return "peft-model"

    fake = types.ModuleType("unsloth")
    fake.FastLanguageModel = FakeFastLanguageModel  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "unsloth", fake)
    monkeypatch.delenv("UNSLOTH_DISABLE_CPU_FALLBACK", raising=False)
    _machine(monkeypatch, gpu=True, unsloth=True)

    loaded = load_for_training(tiny_models["llama"], LoraParams(r=8, alpha=16), max_length=256)
    assert (loaded.backend, loaded.model, loaded.tokenizer) == (
        "unsloth",
        "peft-model",
        "tokenizer",
    )
    assert os.environ["UNSLOTH_DISABLE_CPU_FALLBACK"] == "1"
    assert calls["from_pretrained"]["load_in_4bit"] is True
    assert calls["from_pretrained"]["max_seq_length"] == 256
    peft_kwargs = calls["get_peft_model"]
    assert (peft_kwargs["r"], peft_kwargs["lora_alpha"]) == (8, 16)
    assert peft_kwargs["use_gradient_checkpointing"] == "unsloth"
    assert peft_kwargs["use_rslora"] is False
    assert set(peft_kwargs["target_modules"]) == set(TARGET_MODULES)


def test_oom_becomes_actionable_error() -> None:
    import torch

    for exc in (
        torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
        RuntimeError("CUDA error: out of memory"),
        MemoryError(),
    ):
        with (
            pytest.raises(TrainingOOMError) as info,
            oom_guard("SFT training", max_length=2048, batch_size=4),
        ):
            raise exc
        message = str(info.value)
        assert "smaller base model" in message
        assert "max_length (now 2048)" in message and "batch_size = 1 (now 4)" in message
        assert info.value.__cause__ is exc


def test_other_errors_pass_through_the_guard() -> None:
    with pytest.raises(KeyError), oom_guard("x", max_length=1, batch_size=1):
        raise KeyError("not memory")


def test_missing_base_and_unexportable_adapter_are_refused(
    tmp_path: Path, tiny_models: dict[str, Path]
) -> None:
    with pytest.raises(TrainingError, match=r"no config\.json"):
        load_for_training(tmp_path, LoraParams(), max_length=64, backend="peft")
    adapter = tmp_path / "dora"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(
        json.dumps({"peft_type": "LORA", "use_dora": True, "lora_alpha": 16, "r": 8})
    )
    with pytest.raises(TrainingError, match="DoRA"):
        load_for_training(
            tiny_models["llama"], LoraParams(), max_length=64, adapter_dir=adapter, backend="peft"
        )
