"""trainer.stage: the one load → train → save → release skeleton SFT and DPO share.

The runner is driven here with the real tiny model and a stand-in for the TRL trainer
that calls the callbacks as ``Trainer.train`` does (the real SFT/DPO runs are in
test_sft_training.py and test_dpo_training.py): progress, the stop hook, the loss log,
saving, and cleaning up on success and on failure alike."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import trainer.dpo
import trainer.sft
from trainer import stage
from trainer.backends import LoadedModel, TrainingError, TrainingOOMError
from trainer.progress import Progress
from trainer.stage import WORK_DIR, StageResult, run_stage


class FakeTrainer:
    """What the runner needs of a TRL trainer: ``train()`` calling the callbacks per step,
    ``model`` and ``state.global_step``. ``fail`` is raised at ``fail_at``."""

    def __init__(
        self, loaded: LoadedModel, work: Path, callbacks: list[Any], *, steps: int = 3, fail: Any = None
    ) -> None:
        self.model = loaded.model
        self.callbacks = callbacks
        self.state = SimpleNamespace(global_step=0, max_steps=steps)
        self.fail = fail
        work.mkdir(parents=True)  # TRL writes its scratch files there
        (work / "scratch.bin").write_bytes(b"x")

    def train(self) -> None:
        control = SimpleNamespace(should_training_stop=False)
        for cb in self.callbacks:
            cb.on_train_begin(None, self.state, control)
        for step in range(1, self.state.max_steps + 1):
            if self.fail is not None and step == 2:
                raise self.fail
            self.state.global_step = step
            for cb in self.callbacks:
                cb.on_log(None, self.state, control, logs={"loss": 4.0 - step})
                cb.on_step_end(None, self.state, control)
            if control.should_training_stop:
                return


class Extra:
    """An extra callback (the time budget's, in the pipeline): it sees every step too."""

    def __init__(self) -> None:
        self.steps: list[int] = []

    def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        pass

    def on_log(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        pass

    def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self.steps.append(state.global_step)


@pytest.fixture
def released(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The backends the runner released (it must, whatever happens)."""
    done: list[str] = []
    real = stage.release

    def recording(loaded: LoadedModel | None) -> None:
        assert loaded is not None
        done.append(loaded.backend)
        real(loaded)

    monkeypatch.setattr(stage, "release", recording)
    return done


def test_a_stage_reports_progress_saves_and_releases(
    tiny_models: dict[str, Path], fast_train: Any, tmp_path: Path, released: list[str]
) -> None:
    reports: list[Progress] = []
    extra = Extra()
    out = tmp_path / "sft"
    result = run_stage(
        "sft",
        lambda loaded, work, callbacks: FakeTrainer(loaded, work, callbacks),
        base_dir=tiny_models["llama"],
        out_dir=out,
        train=fast_train,
        progress=reports.append,
        callbacks=[extra],
    )
    assert isinstance(result, StageResult)
    assert (result.adapter_dir, result.steps, result.losses, result.backend) == (
        out,
        3,
        [3.0, 2.0, 1.0],
        "peft",
    )
    assert reports == [
        Progress("sft", 0, 3),
        Progress("sft", 1, 3, 3.0),
        Progress("sft", 2, 3, 2.0),
        Progress("sft", 3, 3, 1.0),
    ]
    assert extra.steps == [1, 2, 3]  # the extra callbacks come after the progress one
    assert (out / "adapter_config.json").is_file() and (out / "tokenizer.json").is_file()
    assert not (out / WORK_DIR).exists() and released == ["peft"]


def test_a_stop_request_ends_the_stage_at_the_next_step(
    tiny_models: dict[str, Path], fast_train: Any, tmp_path: Path, released: list[str]
) -> None:
    seen: list[Progress] = []
    result = run_stage(
        "dpo",
        lambda loaded, work, callbacks: FakeTrainer(loaded, work, callbacks, steps=10),
        base_dir=tiny_models["llama"],
        out_dir=tmp_path / "dpo",
        train=fast_train,
        progress=seen.append,
        should_stop=lambda: len(seen) >= 3,  # stop after the second step's report
    )
    assert result.steps == 2 and result.losses == [3.0, 2.0]
    assert (tmp_path / "dpo" / "adapter_config.json").is_file() and released == ["peft"]


@pytest.mark.parametrize(
    ("fail", "error", "message"),
    [
        (TrainingError("DPO example 3: bad"), TrainingError, "DPO example 3: bad"),
        (
            RuntimeError("CUDA out of memory. Tried to allocate"),
            TrainingOOMError,
            "DPO training ran out of memory",
        ),
    ],
)
def test_a_failing_stage_saves_nothing_and_still_cleans_up(
    tiny_models: dict[str, Path],
    fast_train: Any,
    tmp_path: Path,
    released: list[str],
    fail: Exception,
    error: type[Exception],
    message: str,
) -> None:
    out = tmp_path / "dpo"
    with pytest.raises(error, match=message):
        run_stage(
            "dpo",
            lambda loaded, work, callbacks: FakeTrainer(loaded, work, callbacks, fail=fail),
            base_dir=tiny_models["llama"],
            out_dir=out,
            train=fast_train,
        )
    assert not (out / "adapter_config.json").exists() and not (out / WORK_DIR).exists()
    assert released == ["peft"]


def test_a_failing_build_still_releases_the_model(
    tiny_models: dict[str, Path], fast_train: Any, tmp_path: Path, released: list[str]
) -> None:
    def build(loaded: LoadedModel, work: Path, callbacks: list[Any]) -> Any:
        work.mkdir(parents=True)
        raise TrainingError("SFT setup failed: no chat template")

    with pytest.raises(TrainingError, match="no chat template"):
        run_stage("sft", build, base_dir=tiny_models["llama"], out_dir=tmp_path / "sft", train=fast_train)
    assert released == ["peft"] and not (tmp_path / "sft" / WORK_DIR).exists()


def test_sft_and_dpo_both_run_through_the_stage_runner(
    monkeypatch: pytest.MonkeyPatch,
    sft_rows: list[dict[str, Any]],
    preference_rows: list[dict[str, Any]],
    fast_train: Any,
    tmp_path: Path,
) -> None:
    calls: list[dict[str, Any]] = []

    def recording(stage_name: str, build: Any, **kwargs: Any) -> Any:
        calls.append({"stage": stage_name, **kwargs})
        return "result"

    monkeypatch.setattr(trainer.sft, "run_stage", recording)
    monkeypatch.setattr(trainer.dpo, "run_stage", recording)
    assert (
        trainer.sft.run_sft(sft_rows, base_dir="b", out_dir="o", train=fast_train, adapter_dir="prev")
        == "result"
    )
    assert trainer.dpo.run_dpo(
        preference_rows, base_dir="b", sft_adapter_dir="s", out_dir="d", train=fast_train
    ) == ("result")
    sft, dpo = calls
    assert (sft["stage"], sft["adapter_dir"], sft.get("save_adapters")) == ("sft", "prev", None)
    assert (dpo["stage"], dpo["adapter_dir"], dpo["save_adapters"]) == ("dpo", "s", ["default"])
    # the data is checked before anything is loaded
    with pytest.raises(TrainingError, match="empty"):
        trainer.sft.run_sft([], base_dir="b", out_dir="o", train=fast_train)
    assert len(calls) == 2
