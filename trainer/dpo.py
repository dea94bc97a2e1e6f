"""Preference tuning (DPO) that continues the SFT adapter (TRL ``DPOTrainer``).

Examples are conversational: ``{"prompt": [messages…], "chosen": [assistant message],
"rejected": [assistant message]}``. The SFT adapter is loaded trainable and passed as a PEFT
model with ``ref_model=None``: TRL then copies it into a frozen "ref" adapter, so the
reference policy is the SFT model (not the bare base) and no second model is loaded. Only
the trained "default" adapter is saved.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from journal_me.config import TrainSettings
from trainer.backends import (
    BackendName,
    LoadedModel,
    LoraParams,
    TrainingError,
    device_args,
    load_for_training,
    oom_guard,
    release,
)
from trainer.progress import LossLog, ProgressFn, StopFn, make_callback, quiet


@dataclass(frozen=True)
class DPOResult:
    adapter_dir: Path
    losses: list[float]
    steps: int
    backend: BackendName
    seconds: float


def _is_turns(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(m, Mapping) and isinstance(m.get("content"), str) for m in value)
    )


def check_preferences(rows: Sequence[Mapping[str, Any]]) -> None:
    """Fail early, naming the row, on preference data that is not conversational."""
    if len(rows) == 0:
        raise TrainingError("the DPO dataset is empty")
    for i, row in enumerate(rows):
        for key in ("prompt", "chosen", "rejected"):
            if not _is_turns(row.get(key)):
                raise TrainingError(f"DPO example {i}: {key!r} must be a non-empty message list")
        for key in ("chosen", "rejected"):
            if any(m.get("role") != "assistant" for m in row[key]):
                raise TrainingError(f"DPO example {i}: {key!r} must hold assistant turns only")
        if row["chosen"] == row["rejected"]:
            raise TrainingError(f"DPO example {i}: chosen and rejected are identical")


def build_dpo_trainer(
    loaded: LoadedModel,
    dataset: Any,
    train: TrainSettings,
    work_dir: Path,
    *,
    epochs: int = 1,
    max_steps: int | None = None,
    seed: int = 0,
    callbacks: Sequence[Any] = (),
) -> Any:
    """The configured ``DPOTrainer`` (sigmoid loss, ``train.dpo_beta``), not yet run."""
    from trl import DPOConfig, DPOTrainer  # type: ignore[attr-defined]  # lazy module

    args = DPOConfig(
        output_dir=str(work_dir),
        beta=train.dpo_beta,
        loss_type=["sigmoid"],
        max_length=train.max_length,
        num_train_epochs=epochs,
        max_steps=max_steps if max_steps is not None else -1,
        per_device_train_batch_size=train.batch_size,
        learning_rate=train.dpo_learning_rate,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        seed=seed,
        data_seed=seed,
        **device_args(loaded, DPOConfig),
    )
    try:
        trainer = DPOTrainer(
            model=loaded.model,
            ref_model=None,
            args=args,
            train_dataset=dataset,
            processing_class=loaded.tokenizer,
            callbacks=list(callbacks),
        )
    except ValueError as exc:
        raise TrainingError(f"DPO setup failed: {exc}") from exc
    return quiet(trainer)


def run_dpo(
    dataset: Any,
    *,
    base_dir: Path | str,
    sft_adapter_dir: Path | str,
    out_dir: Path | str,
    train: TrainSettings,
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
    backend: BackendName | None = None,
    epochs: int = 1,
    max_steps: int | None = None,
    seed: int = 0,
    callbacks: Sequence[Any] = (),
) -> DPOResult:
    """Continue the adapter in ``sft_adapter_dir`` with DPO; save the result in ``out_dir``.

    ``base_dir`` is the HF base the SFT adapter was trained on (the Unsloth path finds it
    through the adapter's own config; PEFT's loads it from here).
    """
    check_preferences(dataset)
    out = Path(out_dir)
    work = out / "_trainer"
    started = time.monotonic()
    log = LossLog()
    loaded = load_for_training(
        base_dir,
        LoraParams.from_settings(train),
        max_length=train.max_length,
        batch_size=train.batch_size,
        adapter_dir=sft_adapter_dir,
        backend=backend,
        seed=seed,
    )
    trainer: Any = None
    try:
        trainer = build_dpo_trainer(
            loaded,
            dataset,
            train,
            work,
            epochs=epochs,
            max_steps=max_steps,
            seed=seed,
            callbacks=[make_callback("dpo", log, progress, should_stop), *callbacks],
        )
        with oom_guard("DPO training", max_length=train.max_length, batch_size=train.batch_size):
            trainer.train()
        # The frozen "ref" copy is TRL's bookkeeping; publish only the trained adapter.
        trainer.model.save_pretrained(str(out), selected_adapters=["default"])
        loaded.tokenizer.save_pretrained(str(out))
        steps = int(trainer.state.global_step)
    finally:
        trainer = None  # the trainer holds the model: drop it before freeing memory
        release(loaded)
        shutil.rmtree(work, ignore_errors=True)
    return DPOResult(
        adapter_dir=out,
        losses=list(log.losses),
        steps=steps,
        backend=loaded.backend,
        seconds=time.monotonic() - started,
    )
