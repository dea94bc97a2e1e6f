"""The vocabulary of a training run: options, outcome, progress reporter, and the error
that names the failing step — shared by the pipeline, the CLI and the TUI."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from journal_me.models import BaseModel
from trainer.evaluate import GateConfig
from trainer.pairs import PairConfig
from trainer.steps import STEPS as STEPS  # re-exported: the pipeline's vocabulary
from trainer.synth import SynthConfig

Status = Literal["published", "refused", "skipped", "failed", "stopped", "dry-run", "busy"]
SynthMode = Literal["auto", "model", "templates"]

OOM_HINT = (
    "pick a smaller base model (`journal-me model pull qwen2.5-1.5b`), or set "
    "train.batch_size = 1 and a shorter train.max_length in the config"
)
HINTS: dict[str, str] = {
    "setup": "see `journal-me doctor`",
    "synthesis": "check the vault with `journal-me doctor`; `journal-me train --dry-run` shows the data",
    "filter": "`journal-me train --dry-run` writes the datasets and the filter report to look at",
    "sft": "check train.hf_base / the base's HF weights; `journal-me doctor --smoke` tests training",
    "dpo": "check the SFT adapter in the run directory; `journal-me doctor --smoke` tests training",
    "export": (
        "the adapter uses a LoRA variant llama.cpp cannot apply, or the HF weights do not match "
        "the base GGUF — check `journal-me model use NAME --hf-dir DIR`"
    ),
    "gate": (
        "llama.cpp could not run the base with the new adapter: are the HF weights (train.hf_base) "
        "the same model as the base GGUF?"
    ),
    "publish": "see `journal-me model list`; the new adapter is kept in the run directory",
}


class PipelineError(Exception):
    """A step failed: which one, why, and what to do about it."""

    def __init__(self, step: str, why: str, hint: str | None = None) -> None:
        super().__init__(f"{step}: {why}")
        self.step = step
        self.why = why
        self.hint = hint or HINTS.get(step, "")


STOPPED_HINT = "the active model is unchanged; run again"


class RunStopped(PipelineError):
    """A stop was requested (SIGTERM from systemd or the app) and the run honoured it at
    the next item boundary of ``step``: nothing was published."""

    def __init__(self, step: str) -> None:
        super().__init__(step, f"stopped by a signal during {step}", STOPPED_HINT)


@dataclass(frozen=True)
class TrainOptions:
    nightly: bool = False
    allow_cpu: bool = False
    dry_run: bool = False
    max_steps: int | None = None  # cap optimizer steps (quick trials, tests); DPO gets half
    synth: SynthMode = "auto"  # auto: the model writes questions when a GPU trains
    backend: Literal["unsloth", "peft"] | None = None
    today: dt.date | None = None
    holdout_fraction: float = 0.15
    gate: GateConfig = field(default_factory=GateConfig)
    pairs: PairConfig = field(default_factory=PairConfig)
    synth_config: SynthConfig = field(default_factory=SynthConfig)
    memories: int = 3  # journal passages in each training prompt
    keep_runs: int = 3
    # wall-clock budget of the whole run (None: train.max_minutes, else 240 for a nightly
    # run on the CPU, else none; 0: none) — see trainer.budget
    max_minutes: float | None = None
    # continue the active adapter on new + replayed examples (None: for nightly runs)
    incremental: bool | None = None


@dataclass
class TrainOutcome:
    status: Status
    reason: str
    exit_code: int = 0
    version: str | None = None
    run_dir: Path | None = None
    step: str | None = None
    hint: str | None = None
    report: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        """One line for logs and timers."""
        if self.status == "published":
            return f"published {self.version} (now active): {self.reason}"
        head = {"busy": "skipped"}.get(self.status, self.status)
        return f"{head}: {self.reason}"


class Reporter(Protocol):
    """Receives progress (the CLI's rich bars, JSON lines for the TUI, tests)."""

    def step(self, name: str, detail: str = "") -> None:
        """A step starts."""

    def progress(self, name: str, done: int, total: int, loss: float | None = None) -> None:
        """Progress inside a step (entries, optimizer steps with loss, eval questions)."""

    def done(self, name: str, seconds: float, summary: str) -> None:
        """A step finished."""

    def note(self, text: str) -> None:
        """Something worth a line (a skipped check, a fallback, a cleanup)."""


class NullReporter:
    """A Reporter that ignores everything (the default)."""

    def step(self, name: str, detail: str = "") -> None:
        pass

    def progress(self, name: str, done: int, total: int, loss: float | None = None) -> None:
        pass

    def done(self, name: str, seconds: float, summary: str) -> None:
        pass

    def note(self, text: str) -> None:
        pass


@dataclass(frozen=True)
class TrainBase:
    base: BaseModel
    hf_dir: Path
