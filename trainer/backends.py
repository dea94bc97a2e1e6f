"""Load a base model with a LoRA for training: Unsloth on an NVIDIA GPU, else transformers+PEFT.

Both paths hand the same kind of object (a PEFT model + tokenizer) to the shared TRL trainers.

- **unsloth** when CUDA is available *and* ``unsloth`` is installed (the ``gpu`` extra):
  4-bit base (QLoRA) and Unsloth's gradient checkpointing, what lets 8 GB cards train. It
  must be imported before trl/transformers/peft to patch them, so it is imported lazily here,
  first, and only on that path; ``UNSLOTH_DISABLE_CPU_FALLBACK=1`` makes it fail fast instead
  of silently training on the CPU.
- **peft** otherwise: full-precision base (float32 on CPU, bf16/fp16 on a GPU) and a plain
  ``LoraConfig`` — no rsLoRA, no DoRA, never embeddings, so the GGUF export stays exact.

Failures become ``TrainingError`` with a sentence the user can act on; out-of-memory is
caught and re-raised as ``TrainingOOMError`` with the three knobs that help.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from journal_me.config import TrainSettings
from trainer.export import AdapterExportError, validate_adapter_config

logger = logging.getLogger(__name__)

BackendName = Literal["unsloth", "peft"]

#: Attention and MLP projections of llama-family blocks — never embeddings or lm_head.
TARGET_MODULES: tuple[str, ...] = (
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "gate_proj",
    "up_proj",
    "down_proj",
)


class TrainingError(RuntimeError):
    """A training step failed; the message says what to change."""


class TrainingOOMError(TrainingError):
    """The device ran out of memory during loading or training."""


@dataclass(frozen=True)
class LoraParams:
    """The LoRA shape shared by both backends (and by the GGUF export's assumptions)."""

    r: int = 8
    alpha: int = 16
    dropout: float = 0.0
    target_modules: tuple[str, ...] = TARGET_MODULES

    @classmethod
    def from_settings(cls, train: TrainSettings) -> LoraParams:
        return cls(r=train.lora_r, alpha=train.lora_alpha)


@dataclass
class LoadedModel:
    """A trainable PEFT model, its tokenizer and the backend that made them."""

    model: Any
    tokenizer: Any
    backend: BackendName


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def unsloth_installed() -> bool:
    return importlib.util.find_spec("unsloth") is not None


def choose_backend(prefer: BackendName | None = None) -> BackendName:
    """Pick the backend: ``prefer`` if given (and possible), else Unsloth when it can run."""
    gpu, has_unsloth = _cuda_available(), unsloth_installed()
    if prefer == "unsloth":
        if not gpu:
            raise TrainingError("the unsloth backend needs an NVIDIA GPU (CUDA); none was found")
        if not has_unsloth:
            raise TrainingError(
                "the unsloth backend is not installed; install the gpu extra: "
                "pip install 'journal-me[train,gpu]'"
            )
        return "unsloth"
    if prefer == "peft":
        return "peft"
    if prefer is not None:
        raise TrainingError(f"unknown training backend {prefer!r}; use 'unsloth' or 'peft'")
    return "unsloth" if gpu and has_unsloth else "peft"


def _is_oom(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    try:
        import torch
    except ImportError:
        return False
    if isinstance(exc, torch.OutOfMemoryError):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("out of memory" in text or "cublas_status_alloc_failed" in text)


@contextmanager
def oom_guard(stage: str, *, max_length: int, batch_size: int) -> Iterator[None]:
    """Turn an out-of-memory failure inside the block into an actionable ``TrainingOOMError``."""
    try:
        yield
    except TrainingError:
        raise
    except BaseException as exc:
        if not _is_oom(exc):
            raise
        _free_accelerator_memory()
        raise TrainingOOMError(
            f"{stage} ran out of memory. Try a smaller base model, a shorter "
            f"train.max_length (now {max_length}), or train.batch_size = 1 (now {batch_size})."
        ) from exc


def _free_accelerator_memory() -> None:
    import gc

    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:  # pragma: no cover - torch is a training dependency
        pass


def release(loaded: LoadedModel | None) -> None:
    """Drop references and return accelerator memory between SFT and DPO."""
    if loaded is not None:
        loaded.model = None
    _free_accelerator_memory()


def _check_adapter_dir(adapter_dir: Path) -> None:
    cfg_file = adapter_dir / "adapter_config.json"
    if not cfg_file.is_file():
        raise TrainingError(f"{adapter_dir}: no adapter_config.json — not a LoRA adapter")
    try:
        validate_adapter_config(json.loads(cfg_file.read_text(encoding="utf-8")), str(adapter_dir))
    except AdapterExportError as exc:
        raise TrainingError(str(exc)) from exc


def _load_unsloth(
    base_dir: Path, lora: LoraParams, max_length: int, adapter_dir: Path | None, seed: int
) -> LoadedModel:
    os.environ["UNSLOTH_DISABLE_CPU_FALLBACK"] = "1"
    early = sorted(m for m in ("trl", "transformers", "peft") if m in sys.modules)
    if early:
        logger.warning("%s imported before unsloth: Unsloth's patches may be incomplete", ", ".join(early))
    import unsloth  # noqa: F401  # first: it patches transformers/peft/trl on import
    from unsloth import FastLanguageModel

    # Given an adapter dir, Unsloth loads its base and the adapter with is_trainable=True.
    model, tokenizer = FastLanguageModel.from_pretrained(
        model_name=str(adapter_dir or base_dir),
        max_seq_length=max_length,
        load_in_4bit=True,
        dtype=None,
    )
    if adapter_dir is None:
        model = FastLanguageModel.get_peft_model(
            model,
            r=lora.r,
            lora_alpha=lora.alpha,
            lora_dropout=lora.dropout,
            target_modules=list(lora.target_modules),
            bias="none",
            use_gradient_checkpointing="unsloth",
            use_rslora=False,
            random_state=seed,
        )
    return LoadedModel(model=model, tokenizer=tokenizer, backend="unsloth")


def _load_peft(base_dir: Path, lora: LoraParams, adapter_dir: Path | None) -> LoadedModel:
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if torch.cuda.is_available():
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    else:
        dtype = torch.float32  # CPU: bf16 matmuls are slow and lossy for tiny models
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    model: Any = AutoModelForCausalLM.from_pretrained(
        str(base_dir), dtype=dtype, device_map="auto" if torch.cuda.is_available() else None
    )
    if adapter_dir is not None:
        model = PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=True)
    else:
        config = LoraConfig(
            r=lora.r,
            lora_alpha=lora.alpha,
            lora_dropout=lora.dropout,
            target_modules=list(lora.target_modules),
            bias="none",
            use_rslora=False,
            use_dora=False,
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(model, config)
    return LoadedModel(model=model, tokenizer=tokenizer, backend="peft")


def load_for_training(
    base_dir: Path | str,
    lora: LoraParams,
    *,
    max_length: int,
    batch_size: int = 1,
    adapter_dir: Path | str | None = None,
    backend: BackendName | None = None,
    seed: int = 0,
) -> LoadedModel:
    """Load ``base_dir`` (a HF model dir) with a fresh LoRA, or continue ``adapter_dir``."""
    base = Path(base_dir)
    if not (base / "config.json").is_file():
        raise TrainingError(
            f"{base}: not a Hugging Face model directory (no config.json); set train.hf_base "
            "to the HF weights that match the base GGUF"
        )
    adapter = Path(adapter_dir) if adapter_dir is not None else None
    if adapter is not None:
        _check_adapter_dir(adapter)
    chosen = choose_backend(backend)
    with oom_guard("loading the model", max_length=max_length, batch_size=batch_size):
        try:
            if chosen == "unsloth":
                return _load_unsloth(base, lora, max_length, adapter, seed)
            return _load_peft(base, lora, adapter)
        except (OSError, ValueError, KeyError) as exc:
            if _is_oom(exc):
                raise
            raise TrainingError(f"could not load {adapter or base} for training: {exc}") from exc


def device_args(loaded: LoadedModel, config_cls: type) -> dict[str, Any]:
    """Precision and checkpointing for a TRL config: full fp32 on CPU (TRL defaults to
    bf16 and checkpointing, both slow there); on a GPU bf16 where supported, and the
    trainer's checkpointing only for PEFT (Unsloth applies its own in ``get_peft_model``)."""
    import torch

    gpu = bool(torch.cuda.is_available())
    bf16 = gpu and bool(torch.cuda.is_bf16_supported())
    checkpointing = gpu and loaded.backend == "peft"
    # transformers 5.x renamed gradient_checkpointing (now a deprecated alias).
    names = {f.name for f in dataclasses.fields(config_cls)}
    new_name = "activation_checkpointing"
    key = new_name if new_name in names else "gradient_checkpointing"
    return {
        "bf16": bf16,
        "fp16": gpu and not bf16,
        key: checkpointing,
        "dataloader_pin_memory": gpu,
    }
