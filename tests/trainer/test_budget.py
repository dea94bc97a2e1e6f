"""The time budget and the incremental selection, on their own (fast: a fake clock, no model)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from trainer import incremental
from trainer.budget import DEFAULT_CPU_NIGHTLY_MINUTES, Budget, BudgetSpent, budget_minutes
from trainer.dataset import Example


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_where_the_budget_comes_from() -> None:
    assert budget_minutes(30, 90, nightly=True, gpu=False) == 30  # the option wins
    assert budget_minutes(None, 90, nightly=False, gpu=True) == 90  # then [train] max_minutes
    assert budget_minutes(None, None, nightly=True, gpu=False) == DEFAULT_CPU_NIGHTLY_MINUTES
    assert budget_minutes(None, None, nightly=True, gpu=True) is None  # a GPU night: no limit
    assert budget_minutes(None, None, nightly=False, gpu=False) is None  # a manual run: no limit
    assert budget_minutes(0, 90, nightly=True, gpu=False) is None  # 0: explicitly none


def test_sft_and_dpo_share_the_time_left_after_the_reserve() -> None:
    clock = FakeClock()
    budget = Budget(10, clock=clock)  # 600 s; 90 s reserved for export and the gate
    clock.now += 110  # synthesis and filter
    sft_end = budget.training_deadline("sft", dpo_follows=True)
    assert sft_end == pytest.approx(clock.now + 0.7 * 400)
    assert budget.training_deadline("dpo", dpo_follows=False) == pytest.approx(budget.started + 510)
    assert budget.training_deadline("sft", dpo_follows=False) == pytest.approx(budget.started + 510)
    assert Budget(None, clock=clock).training_deadline("sft", dpo_follows=True) is None


def test_no_time_left_for_training_ends_the_run_with_the_reason() -> None:
    clock = FakeClock()
    budget = Budget(1, clock=clock)
    clock.now += 55  # synthesis ate into the reserve
    with pytest.raises(BudgetSpent) as caught:
        budget.training_deadline("sft", dpo_follows=True)
    assert caught.value.step == "sft" and "spent before training" in caught.value.why
    assert "train.max_minutes" in caught.value.hint


def _drive(callback: Any, clock: FakeClock, step_seconds: float, max_steps: int) -> int:
    """Run ``callback`` like a Trainer would; return the steps done when it stopped."""
    state = SimpleNamespace(max_steps=max_steps, global_step=0)
    control = SimpleNamespace(should_training_stop=False)
    callback.on_train_begin(None, state, control)
    while state.global_step < max_steps and not control.should_training_stop:
        clock.now += step_seconds
        state.global_step += 1
        callback.on_step_end(None, state, control)
    return int(state.global_step)


def test_the_callback_stops_at_the_step_that_would_overrun() -> None:
    clock = FakeClock()
    budget = Budget(10, clock=clock)
    deadline = clock.now + 100
    done = _drive(budget.callback("sft", deadline), clock, 7.0, 1000)
    assert done == 14 and clock.now <= deadline  # 14 × 7 = 98 s; a 15th would end at 105
    assert budget.phases["sft"].to_json() == {
        "steps": 14,
        "planned": 1000,
        "stopped_by_budget": True,
        "longest_step_s": 7.0,
    }
    assert budget.longest_step("sft") == 7.0 and budget.longest_step("dpo") == 0.0
    assert budget.has_time(clock.now + 20, need=14.0) and not budget.has_time(clock.now + 20, need=21.0)
    assert budget.note_phase("sft") == (
        "time budget: SFT stopped after 14 of 1000 steps (10 min for the whole run); what was trained is kept"
    )
    # a phase that finishes in time is not "stopped"
    done = _drive(budget.callback("dpo", clock.now + 100), clock, 7.0, 5)
    assert done == 5 and not budget.phases["dpo"].stopped and budget.note_phase("dpo") is None
    assert budget.summary()["phases"]["dpo"]["steps"] == 5


def _ex(n: int, *sources: str) -> Example:
    return Example(
        kind="memory_qa",
        prompt=({"role": "user", "content": f"q{n}"},),
        question=f"q{n}",
        thought="t",
        answer=f"a{n}",
        sources=sources,
    )


def test_select_new_plus_replay(tmp_path: Path) -> None:
    examples = [_ex(i, f"e{i % 10}.md") for i in range(40)] + [_ex(100, "e3.md", "new.md")]
    now = {f"e{i}.md": "d" for i in range(10)} | {"new.md": "x"}
    first = incremental.select(examples, None, now, salt="night1")
    assert (first.new, first.replay, len(first.train), first.continued) == (41, 0, 41, None)
    assert first.entries == now  # every entry was a source

    learned = {rel: d for rel, d in now.items() if rel != "new.md"} | {"e5.md": "old"}
    prev = incremental.Previous("v0001", tmp_path, learned)
    picked = incremental.select(examples, prev, now, salt="night2")
    # e5 changed (4 examples), new.md is new (1 example); 8 old ones replayed (min_replay)
    assert (picked.new, picked.replay, picked.available) == (5, 8, 41)
    assert len(picked.train) == 13 and picked.continued == "v0001" and picked.peft_dir == tmp_path
    assert picked.entries["e5.md"] == "d" and picked.entries["new.md"] == "x"
    other_night = incremental.select(examples, prev, now, salt="night3")
    assert {e.id for e in other_night.train} != {e.id for e in picked.train}  # a different replay
    nothing = incremental.select(examples, incremental.Previous("v0001", tmp_path, now), now, salt="n")
    assert (nothing.new, nothing.replay, nothing.train) == (0, 0, [])


def test_kept_weights_are_continued_only_for_the_same_base_and_shape(tmp_path: Path) -> None:
    adapter = tmp_path / "run" / "dpo"
    adapter.mkdir(parents=True)
    (adapter / "adapter_config.json").write_text("{}", encoding="utf-8")
    (adapter / "_trainer").mkdir()
    shape: dict[str, Any] = {"base": "tiny", "hf_dir": tmp_path / "hf", "lora_r": 8, "lora_alpha": 16}
    tdir = tmp_path / "train"
    for n in range(1, 6):
        incremental.keep_trained(tdir, f"v{n:04d}", adapter, {"a.md": "1"}, **shape)
    kept = sorted(p.name for p in (tdir / "peft").iterdir())
    assert kept == ["v0003", "v0004", "v0005"]  # the newest few only
    assert not (tdir / "peft/v0005/_trainer").exists()
    prev = incremental.previous(tdir, "v0005", **shape)
    assert prev is not None and prev.entries == {"a.md": "1"}
    assert incremental.previous(tdir, "v0001", **shape) is None  # pruned
    assert incremental.previous(tdir, "v0005", **{**shape, "lora_r": 16}) is None
    assert incremental.previous(tdir, "v0005", **{**shape, "base": "other"}) is None
    assert incremental.previous(tdir, None, **shape) is None
