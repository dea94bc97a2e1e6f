"""Config values are range-checked once, at load, with messages naming the key (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest

from journal_me.config import ConfigError, load_settings


def _load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    cfg = tmp_path / "config.toml"
    cfg.write_text(text, encoding="utf-8")
    return load_settings(vault=tmp_path, config_file=cfg, env={})


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[llm]\nn_ctx = -5\n", "llm.n_ctx"),
        ("[llm]\nmax_tokens = 0\n", "llm.max_tokens"),
        ("[llm]\nn_threads = -4\n", "llm.n_threads"),
        ("[llm]\ntop_p = 7\n", "llm.top_p"),
        ("[llm]\ntemperature = -1.0\n", "llm.temperature"),
        ("[llm]\ntemperature = nan\n", "llm.temperature"),
        ("[train]\nbatch_size = 0\n", "train.batch_size"),
        ("[train]\nlora_r = -1\n", "train.lora_r"),
        ("[train]\nlearning_rate = 0\n", "train.learning_rate"),
        ("debounce_ms = 100000000\n", "debounce_ms"),
        ("[train]\nmax_minutes = -5\n", "train.max_minutes"),
        ('[train]\nmax_minutes = "all night"\n', "train.max_minutes"),
    ],
)
def test_out_of_range_values_are_refused_by_name(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, text)
    message = str(err.value)
    assert key in message
    assert "config.toml" in message  # which file holds it


def test_values_in_range_load(tmp_path: Path) -> None:
    s = _load(
        tmp_path,
        "[llm]\nn_ctx = 8192\nmax_tokens = 1\nn_threads = 2\ntop_p = 1\nn_gpu_layers = -1\n"
        "[train]\nbatch_size = 1\nlora_r = 16\n",
    )
    assert s.llm.n_ctx == 8192 and s.llm.top_p == 1.0 and s.llm.n_gpu_layers == -1
    assert s.train.lora_r == 16


def test_private_tags_add_to_the_builtin_private_tag(tmp_path: Path) -> None:
    s = _load(tmp_path, 'private_tags = ["therapy", "#Health"]\n')
    assert s.private_tags == ("private", "therapy", "health")


def test_daily_and_conversation_settings(tmp_path: Path) -> None:
    s = _load(tmp_path, 'daily_folder = "Daily"\ndaily_format = "YYYY-MM-DD"\nsave_conversations = false\n')
    assert (s.daily_folder, s.daily_format, s.save_conversations) == ("Daily", "YYYY-MM-DD", False)
    with pytest.raises(ConfigError, match="save_conversations"):
        _load(tmp_path, 'save_conversations = "no"\n')


def test_train_max_minutes(tmp_path: Path) -> None:
    assert _load(tmp_path, "").train.max_minutes is None  # the nightly CPU default applies
    assert _load(tmp_path, "[train]\nmax_minutes = 90\n").train.max_minutes == 90.0
    assert _load(tmp_path, "[train]\nmax_minutes = 0\n").train.max_minutes == 0.0  # no limit
