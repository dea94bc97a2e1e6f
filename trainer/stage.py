"""One training stage (SFT, DPO): the load → train → save → release skeleton both share.

A stage loads the HF base with a LoRA (fresh, or continuing a saved adapter), has the
stage build its TRL trainer around it with the progress/stop callback first, trains under
the out-of-memory guard, saves the adapter and the tokenizer, and — whatever happened —
drops the trainer, frees the model's memory and deletes the trainer's scratch folder.
:mod:`trainer.sft` and :mod:`trainer.dpo` differ only in their data check, the trainer they
build and which adapters they save.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from journal_me.config import TrainSettings
from trainer.backends import BackendName, LoadedModel, LoraParams, load_for_training, oom_guard, release
from trainer.progress import LossLog, ProgressFn, StopFn, make_callback

#: ``build(loaded, work_dir, callbacks)``: the stage's configured trainer, not yet run.
BuildTrainer = Callable[[LoadedModel, Path, list[Any]], Any]

WORK_DIR = "_trainer"  # the trainer's scratch folder inside the output folder, deleted after


@dataclass(frozen=True)
class StageResult:
    """A trained stage: where its adapter is, the loss per logged step, how long it took."""

    adapter_dir: Path
    losses: list[float]  # training loss per optimizer step, in order
    steps: int
    backend: BackendName
    seconds: float


def run_stage(
    stage: str,
    build: BuildTrainer,
    *,
    base_dir: Path | str,
    out_dir: Path | str,
    train: TrainSettings,
    adapter_dir: Path | str | None = None,
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
    backend: BackendName | None = None,
    seed: int = 0,
    callbacks: Sequence[Any] = (),
    save_adapters: Sequence[str] | None = None,
) -> StageResult:
    """Run one stage and save its adapter (+ tokenizer) in ``out_dir``.

    ``stage`` names it in progress reports and errors ("sft" → "SFT training ran out of
    memory"); ``adapter_dir`` continues a saved adapter instead of a fresh LoRA;
    ``callbacks`` are extra ``TrainerCallback``s after the progress one (the time budget's
    stop); ``save_adapters`` limits what is saved to those adapter names (DPO: only the
    trained "default", not TRL's frozen reference copy).
    """
    out = Path(out_dir)
    work = out / WORK_DIR
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
        trainer = build(loaded, work, [make_callback(stage, log, progress, should_stop), *callbacks])
        with oom_guard(f"{stage.upper()} training", max_length=train.max_length, batch_size=train.batch_size):
            trainer.train()
        if save_adapters is None:
            trainer.model.save_pretrained(str(out))
        else:
            trainer.model.save_pretrained(str(out), selected_adapters=list(save_adapters))
        loaded.tokenizer.save_pretrained(str(out))
        steps = int(trainer.state.global_step)
    finally:
        trainer = None  # the trainer holds the model: drop it before freeing memory
        release(loaded)
        shutil.rmtree(work, ignore_errors=True)
    return StageResult(
        adapter_dir=out,
        losses=list(log.losses),
        steps=steps,
        backend=loaded.backend,
        seconds=time.monotonic() - started,
    )
