"""Real SFT steps on CPU: the loss falls, only assistant tokens are trained, progress flows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trainer.backends import LoraParams, TrainingError, load_for_training
from trainer.progress import Progress
from trainer.sft import build_sft_trainer, check_conversations, format_reasoning
from trainer.tiny import IM_END


def test_sft_lowers_loss_and_saves_an_adapter(sft_adapter: tuple[Any, list[Progress]]) -> None:
    result, reports = sft_adapter
    assert result.backend == "peft" and result.steps == 10
    assert len(result.losses) == 10
    assert sum(result.losses[-3:]) / 3 < result.losses[0] - 0.3, result.losses
    for name in ("adapter_config.json", "adapter_model.safetensors", "tokenizer.json"):
        assert (result.adapter_dir / name).is_file()
    assert not (result.adapter_dir / "_trainer").exists()
    # progress: a start report, then one per step with the loss
    assert reports[0] == Progress("sft", 0, 10, None)
    assert [r.step for r in reports[1:]] == list(range(1, 11))
    assert all(r.total == 10 and r.loss is not None for r in reports[1:])
    assert reports[-1].fraction == 1.0


def test_loss_is_masked_to_assistant_turns(
    tiny_models: dict[str, Path], sft_rows: list[dict[str, Any]], fast_train: Any, tmp_path: Path
) -> None:
    from datasets import Dataset

    loaded = load_for_training(tiny_models["llama"], LoraParams(r=4, alpha=8), max_length=128, backend="peft")
    trainer = build_sft_trainer(loaded, Dataset.from_list(sft_rows), fast_train, tmp_path)
    tokenizer = loaded.tokenizer
    for row, example in zip(sft_rows, trainer.train_dataset, strict=True):
        batch = trainer.data_collator([example])
        labels = batch["labels"][0].tolist()
        trained = [t for t in labels if t != -100]
        assistant = row["messages"][-1]["content"]
        assert tokenizer.decode(trained) == assistant + IM_END
        # the system and user turns are present in the input but never in the loss
        text = tokenizer.decode(batch["input_ids"][0].tolist())
        assert row["messages"][1]["content"] in text
        assert row["messages"][1]["content"] not in tokenizer.decode(trained)


def test_format_reasoning_puts_thought_before_answer() -> None:
    assert format_reasoning(" because ", " yes ") == "<think>\nbecause\n</think>\n\nyes"


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([], "empty"),
        ([{"text": "hi"}], "'messages'"),
        ([{"messages": [{"role": "user", "content": "hi"}]}], "no assistant turn"),
        ([{"messages": [{"role": "assistant", "content": None}]}], "text content"),
    ],
)
def test_bad_conversations_are_named(rows: list[dict[str, Any]], match: str) -> None:
    with pytest.raises(TrainingError, match=match):
        check_conversations(rows)


def test_should_stop_cancels_at_a_step_boundary(
    tiny_models: dict[str, Path], sft_rows: list[dict[str, Any]], fast_train: Any, tmp_path: Path
) -> None:
    from datasets import Dataset

    from trainer.sft import run_sft

    asked: list[int] = []

    def stop_after_two_steps() -> bool:  # asked once at the end of every optimizer step
        asked.append(1)
        return len(asked) >= 2

    result = run_sft(
        Dataset.from_list(sft_rows),
        base_dir=tiny_models["qwen2"],
        out_dir=tmp_path / "adapter",
        train=fast_train,
        should_stop=stop_after_two_steps,
        max_steps=10,
    )
    assert result.steps == 2 and len(result.losses) == 2
    assert (result.adapter_dir / "adapter_model.safetensors").is_file()
