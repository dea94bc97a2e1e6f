"""Preference tuning (DPO) that continues the SFT adapter (TRL ``DPOTrainer``).

Examples are conversational: ``{"prompt": [messages…], "chosen": [assistant message],
"rejected": [assistant message]}``. The SFT adapter is loaded trainable and passed as a PEFT
model with ``ref_model=None``: TRL then copies it into a frozen "ref" adapter, so the
reference policy is the SFT model (not the bare base) and no second model is loaded. Only
the trained "default" adapter is saved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from journal_me.config import TrainSettings
from trainer.backends import BackendName, LoadedModel, TrainingError, device_args
from trainer.progress import ProgressFn, StopFn, quiet
from trainer.stage import StageResult, run_stage

DPOResult = StageResult  # what ``run_dpo`` returns (the shared stage result)


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

    def build(loaded: LoadedModel, work: Path, stage_callbacks: list[Any]) -> Any:
        return build_dpo_trainer(
            loaded,
            dataset,
            train,
            work,
            epochs=epochs,
            max_steps=max_steps,
            seed=seed,
            callbacks=stage_callbacks,
        )

    return run_stage(
        "dpo",
        build,
        base_dir=base_dir,
        out_dir=out_dir,
        train=train,
        adapter_dir=sft_adapter_dir,
        progress=progress,
        should_stop=should_stop,
        backend=backend,
        seed=seed,
        callbacks=callbacks,
        # the frozen "ref" copy is TRL's bookkeeping; publish only the trained adapter
        save_adapters=["default"],
    )
