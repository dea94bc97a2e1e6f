"""DPO continues the SFT adapter, against a frozen copy of it, on conversational pairs."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from trainer.backends import TrainingError
from trainer.dpo import check_preferences, run_dpo
from trainer.progress import Progress


def test_dpo_runs_from_the_sft_adapter(
    tiny_models: dict[str, Path],
    sft_adapter: tuple[Any, list[Progress]],
    preference_rows: list[dict[str, Any]],
    fast_train: Any,
    tmp_path: Path,
) -> None:
    from datasets import Dataset
    from safetensors import safe_open

    sft, _ = sft_adapter
    reports: list[Progress] = []
    result = run_dpo(
        Dataset.from_list(preference_rows),
        base_dir=tiny_models["llama"],
        sft_adapter_dir=sft.adapter_dir,
        out_dir=tmp_path / "dpo",
        train=fast_train,
        progress=reports.append,
        max_steps=4,
    )
    assert result.steps == 4 and len(result.losses) == 4
    # Policy == reference (the SFT adapter) at step one, so the sigmoid loss is exactly ln 2;
    # against the bare base model it would not be.
    assert result.losses[0] == pytest.approx(math.log(2), abs=1e-4)
    assert result.losses[-1] < result.losses[0]
    assert [r.stage for r in reports] == ["dpo"] * 5
    with safe_open(str(result.adapter_dir / "adapter_model.safetensors"), "pt") as f:
        keys = list(f.keys())
    assert keys and not any(".ref." in k for k in keys)  # only the trained adapter
    assert not (result.adapter_dir / "ref").exists()


def _pair(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "prompt": [{"role": "user", "content": "q"}],
        "chosen": [{"role": "assistant", "content": "good"}],
        "rejected": [{"role": "assistant", "content": "bad"}],
    }
    row.update(overrides)
    return row


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([], "empty"),
        ([_pair(prompt="q")], "'prompt' must be"),
        ([_pair(chosen=[{"role": "user", "content": "x"}])], "assistant turns only"),
        ([_pair(rejected=[{"role": "assistant", "content": "good"}])], "identical"),
    ],
)
def test_bad_preferences_are_named(rows: list[dict[str, Any]], match: str) -> None:
    with pytest.raises(TrainingError, match=match):
        check_preferences(rows)
