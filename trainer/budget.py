"""A time budget for one training run: the night is finite, a CPU is slow.

A run with a budget (``train.max_minutes``, ``TrainOptions.max_minutes``, or the CPU
nightly default) counts from its start. Synthesis and the filter run as usual; SFT and DPO
share what is left after a reserve for export and the eval gate, and each stops cleanly at
the optimizer step that would overrun its share — what was trained is saved, and the gate
still decides whether it is published. Whatever stopped early is recorded (``summary()``
goes into the run's report and ``run.json``), so "why are there only 12 steps?" has an
answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trainer.runtypes import RunStopped

#: Nightly CPU runs without a configured budget get this many minutes (03:30 → 07:30).
DEFAULT_CPU_NIGHTLY_MINUTES = 240.0
#: Kept back from training for export and the eval gate (a share of the whole budget).
RESERVE_SHARE = 0.15
#: SFT's share of the training time when DPO follows (DPO gets the rest).
SFT_SHARE = 0.7

Clock = Callable[[], float]


def budget_minutes(
    max_minutes: float | None, configured: float | None, *, nightly: bool, gpu: bool
) -> float | None:
    """The run's budget: the option, else the ``[train]`` setting, else the CPU nightly
    default (a GPU night needs none); 0 means no limit."""
    for value in (max_minutes, configured):
        if value is not None:
            return float(value) if value > 0 else None
    return DEFAULT_CPU_NIGHTLY_MINUTES if nightly and not gpu else None


class BudgetSpent(RunStopped):
    """The budget ran out before training could start: nothing to publish."""

    def __init__(self, step: str, why: str) -> None:
        super().__init__(step)
        self.why = why
        self.hint = "raise train.max_minutes, or train once by hand (`journal-me train --allow-cpu`)"
        self.args = (f"{step}: {why}",)


@dataclass
class PhaseStop:
    """What a budgeted training phase did: steps run, steps planned, whether time stopped it."""

    steps: int = 0
    planned: int = 0
    stopped: bool = False
    longest_step: float = 0.0  # seconds, the slowest optimizer step seen

    def to_json(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "planned": self.planned,
            "stopped_by_budget": self.stopped,
            "longest_step_s": round(self.longest_step, 2),
        }


@dataclass
class Budget:
    """``minutes`` of wall time from ``started`` (``None``: no limit)."""

    minutes: float | None
    clock: Clock = time.monotonic
    started: float = -1.0
    phases: dict[str, PhaseStop] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.started < 0:
            self.started = self.clock()

    @property
    def limited(self) -> bool:
        return self.minutes is not None

    @property
    def deadline(self) -> float | None:
        return None if self.minutes is None else self.started + self.minutes * 60.0

    def elapsed(self) -> float:
        return self.clock() - self.started

    def training_deadline(self, phase: str, *, dpo_follows: bool) -> float | None:
        """When ``phase`` ("sft" or "dpo") must stop; raise :class:`BudgetSpent` if SFT has
        no time at all (DPO without time is skipped by the caller: check ``has_time``)."""
        if self.deadline is None or self.minutes is None:
            return None
        end = self.deadline - RESERVE_SHARE * self.minutes * 60.0
        now = self.clock()
        if phase == "sft":
            if now >= end:
                raise BudgetSpent(
                    "sft",
                    f"the time budget of {self.minutes:g} min was spent before training "
                    f"({self.elapsed() / 60:.1f} min for synthesis and filtering)",
                )
            return now + (end - now) * (SFT_SHARE if dpo_follows else 1.0)
        return end

    def has_time(self, deadline: float | None, need: float = 0.0) -> bool:
        """Whether ``need`` seconds fit before ``deadline`` (None: always)."""
        return deadline is None or self.clock() + need < deadline

    def longest_step(self, phase: str) -> float:
        record = self.phases.get(phase)
        return record.longest_step if record else 0.0

    def callback(self, phase: str, deadline: float | None) -> Any:
        """A ``TrainerCallback`` that ends training at the step that would pass ``deadline``."""
        from transformers import TrainerCallback

        record = self.phases.setdefault(phase, PhaseStop())
        clock = self.clock

        class _BudgetStop(TrainerCallback):  # type: ignore[misc]
            def __init__(self) -> None:
                self.last = clock()

            def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
                record.planned = int(state.max_steps)
                self.last = clock()

            def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
                now = clock()
                record.longest_step = max(record.longest_step, now - self.last)
                self.last = now
                record.steps = int(state.global_step)
                if deadline is None or state.global_step >= state.max_steps:
                    return
                if now + record.longest_step > deadline:  # the next step would overrun
                    record.stopped = True
                    control.should_training_stop = True

        return _BudgetStop()

    def note_phase(self, phase: str) -> str | None:
        """A line for the report when ``phase`` stopped early, else None."""
        record = self.phases.get(phase)
        if record is None or not record.stopped:
            return None
        line = (
            f"time budget: {phase.upper()} stopped after {record.steps} of {record.planned} steps "
            f"({self.minutes:g} min for the whole run); what was trained is kept"
        )
        self.notes.append(line)
        return line

    def summary(self) -> dict[str, Any]:
        return {
            "max_minutes": self.minutes,
            "elapsed_minutes": round(self.elapsed() / 60.0, 2),
            "phases": {name: p.to_json() for name, p in self.phases.items()},
            "notes": list(self.notes),
        }
