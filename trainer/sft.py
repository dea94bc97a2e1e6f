"""Supervised fine-tuning of the LoRA on journal conversations (TRL ``SFTTrainer``).

Each example is ``{"messages": [...]}``; assistant turns carry the chain of thought first,
``<think>…</think>`` then the answer (``format_reasoning`` builds that). The loss covers the
assistant turns only (``assistant_only_loss``): the model learns to answer as the user, not
to reproduce the prompts. That relies on ``{% generation %}`` markers in the chat template;
TRL patches the templates of the model families it knows, the tiny models ship their own.
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
class SFTResult:
    adapter_dir: Path
    losses: list[float]  # training loss per optimizer step, in order
    steps: int
    backend: BackendName
    seconds: float


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
    out = Path(out_dir)
    work = out / "_trainer"
    started = time.monotonic()
    log = LossLog()
    loaded = load_for_training(
        base_dir,
        LoraParams.from_settings(train),
        max_length=train.max_length,
        batch_size=train.batch_size,
        adapter_dir=adapter_dir,
        backend=backend,
        seed=seed,
    )
    trainer: Any = None
    try:
        trainer = build_sft_trainer(
            loaded,
            dataset,
            train,
            work,
            max_steps=max_steps,
            seed=seed,
            callbacks=[make_callback("sft", log, progress, should_stop), *callbacks],
        )
        with oom_guard("SFT training", max_length=train.max_length, batch_size=train.batch_size):
            trainer.train()
        trainer.model.save_pretrained(str(out))
        loaded.tokenizer.save_pretrained(str(out))
        steps = int(trainer.state.global_step)
    finally:
        trainer = None  # the trainer holds the model: drop it before freeing memory
        release(loaded)
        shutil.rmtree(work, ignore_errors=True)
    return SFTResult(
        adapter_dir=out,
        losses=list(log.losses),
        steps=steps,
        backend=loaded.backend,
        seconds=time.monotonic() - started,
    )
