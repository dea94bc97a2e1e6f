"""Progress reporting shared by the SFT and DPO runs.

The CLI and the TUI show a bar and the loss; they must not know about transformers'
callback API, so a run reports plain ``Progress`` values to a ``ProgressFn`` and records the
loss history it returns in its result. A ``should_stop`` hook lets the UI cancel cleanly at
the next step boundary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Progress:
    """One report: ``step`` of ``total`` optimizer steps, with the latest training loss."""

    stage: str  # "sft" | "dpo"
    step: int
    total: int
    loss: float | None = None

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total) if self.total else 0.0


ProgressFn = Callable[[Progress], None]
StopFn = Callable[[], bool]


class StopRequested(Exception):
    """Raised between items (synthesis entries, filter examples, DPO pairs, gate questions)
    when the run's ``should_stop`` says so; the pipeline turns it into a stopped run."""


def check_stop(should_stop: StopFn | None) -> None:
    """Raise :class:`StopRequested` if a stop was requested."""
    if should_stop is not None and should_stop():
        raise StopRequested


@dataclass
class LossLog:
    """Loss per logged step, filled by the callback; ``losses`` is what results expose."""

    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)


def make_callback(stage: str, log: LossLog, progress: ProgressFn | None, should_stop: StopFn | None) -> Any:
    """A ``transformers.TrainerCallback`` feeding ``log`` and ``progress`` (imported lazily:
    constructing it must happen after the backend's imports, see ``trainer.backends``)."""
    from transformers import TrainerCallback

    class _Reporter(TrainerCallback):  # type: ignore[misc]
        def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if progress is not None:
                progress(Progress(stage, 0, int(state.max_steps)))

        def on_log(
            self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any
        ) -> None:
            if not logs or "loss" not in logs:
                return
            loss = float(logs["loss"])
            log.steps.append(int(state.global_step))
            log.losses.append(loss)
            if progress is not None:
                progress(Progress(stage, int(state.global_step), int(state.max_steps), loss))

        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if should_stop is not None and should_stop():
                control.should_training_stop = True

    return _Reporter()


def quiet(trainer: Any) -> Any:
    """Drop the callback that prints every log dict to stdout (progress goes to ProgressFn)."""
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)
    return trainer


def quiet_libraries() -> None:
    """Progress goes through ``ProgressFn``/the pipeline's Reporter: silence the HF
    libraries' own bars, tokenizer warnings and a deprecation PEFT triggers on every run."""
    import contextlib
    import os
    import warnings

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
    with contextlib.suppress(ImportError):
        import datasets

        datasets.disable_progress_bars()
    with contextlib.suppress(ImportError):
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
