"""Supervised fine-tuning of the LoRA on journal conversations (TRL ``SFTTrainer``).

Each example is ``{"messages": [...]}``; assistant turns carry the chain of thought first,
``<think>…</think>`` then the answer (``format_reasoning`` builds that). The loss covers the
assistant turns only (``assistant_only_loss``): the model learns to answer as the user, not
to reproduce the prompts. That relies on ``{% generation %}`` markers in the chat template;
TRL patches the templates of the model families it knows, the tiny models ship their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from journal_me.config import TrainSettings
from trainer.backends import BackendName, LoadedModel, TrainingError, device_args
from trainer.progress import ProgressFn, StopFn, quiet
from trainer.stage import StageResult, run_stage

SFTResult = StageResult  # what ``run_sft`` returns (the shared stage result)


def format_reasoning(thought: str, answer: str) -> str:
    """The assistant text the model is trained to produce: reasoning, then the answer."""
    return f"<think>\n{thought.strip()}\n</think>\n\n{answer.strip()}"


def check_conversations(rows: Sequence[Mapping[str, Any]]) -> None:
    """Fail early, with the row number, on data TRL would reject obscurely (or mis-mask)."""
    if len(rows) == 0:
        raise TrainingError("the SFT dataset is empty")
    for i, row in enumerate(rows):
        messages = row.get("messages")
        if not isinstance(messages, list) or not messages:
            raise TrainingError(f"SFT example {i}: expected a non-empty 'messages' list")
        roles = [m.get("role") for m in messages if isinstance(m, Mapping)]
        if len(roles) != len(messages) or not all(isinstance(m.get("content"), str) for m in messages):
            raise TrainingError(f"SFT example {i}: every message needs a role and text content")
        if "assistant" not in roles:
            raise TrainingError(f"SFT example {i}: no assistant turn to learn from")


def build_sft_trainer(
    loaded: LoadedModel,
    dataset: Any,
    train: TrainSettings,
    work_dir: Path,
    *,
    max_steps: int | None = None,
    seed: int = 0,
    callbacks: Sequence[Any] = (),
) -> Any:
    """The configured ``SFTTrainer`` (not yet run); tests inspect its tokenized data."""
    from trl import SFTConfig, SFTTrainer  # type: ignore[attr-defined]  # lazy module

    args = SFTConfig(
        output_dir=str(work_dir),
        max_length=train.max_length,
        assistant_only_loss=True,
        packing=False,
        num_train_epochs=train.epochs,
        max_steps=max_steps if max_steps is not None else -1,
        per_device_train_batch_size=train.batch_size,
        learning_rate=train.learning_rate,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        seed=seed,
        data_seed=seed,
        **device_args(loaded, SFTConfig),
    )
    try:
        trainer = SFTTrainer(
            model=loaded.model,
            args=args,
            train_dataset=dataset,
            processing_class=loaded.tokenizer,
            callbacks=list(callbacks),
        )
    except ValueError as exc:
        raise TrainingError(f"SFT setup failed: {exc}") from exc
    return quiet(trainer)


def run_sft(
    dataset: Any,
    *,
    base_dir: Path | str,
    out_dir: Path | str,
    train: TrainSettings,
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
    backend: BackendName | None = None,
    max_steps: int | None = None,
    seed: int = 0,
    callbacks: Sequence[Any] = (),
    adapter_dir: Path | str | None = None,
) -> SFTResult:
    """Train a fresh LoRA on ``dataset`` (a ``datasets.Dataset`` of ``messages``) and save the
    PEFT adapter (+ tokenizer) in ``out_dir``. ``max_steps`` caps the run (tests, dry runs);
    ``adapter_dir`` continues a saved adapter (the nightly incremental run) instead of a
    fresh LoRA; ``callbacks`` are extra ``TrainerCallback``s (the time budget's stop)."""
    check_conversations(dataset)

    def build(loaded: LoadedModel, work: Path, stage_callbacks: list[Any]) -> Any:
        return build_sft_trainer(
            loaded, dataset, train, work, max_steps=max_steps, seed=seed, callbacks=stage_callbacks
        )

    return run_stage(
        "sft",
        build,
        base_dir=base_dir,
        out_dir=out_dir,
        train=train,
        adapter_dir=adapter_dir,
        progress=progress,
        should_stop=should_stop,
        backend=backend,
        seed=seed,
        callbacks=callbacks,
    )
