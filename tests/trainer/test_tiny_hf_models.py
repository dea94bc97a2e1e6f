"""The tiny HF models: buildable offline, deterministic, with the chat format training needs."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from trainer.tiny import IM_END, IM_START, THINK_CLOSE, THINK_OPEN, build_tiny_model


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("arch", ["llama", "qwen2"])
def test_tiny_model_loads_with_auto_classes(tiny_models: dict[str, Path], arch: str) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_models[arch])
    tokenizer = AutoTokenizer.from_pretrained(tiny_models[arch])
    cfg = model.config
    assert type(model).__name__ == {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM"}[arch]
    assert (cfg.hidden_size, cfg.num_hidden_layers) == (64, 2)
    assert (cfg.num_attention_heads, cfg.num_key_value_heads) == (4, 2)
    assert cfg.vocab_size == len(tokenizer)
    assert tokenizer.eos_token == IM_END and tokenizer.pad_token is not None


def test_special_tokens_are_single_tokens(tiny_models: dict[str, Path]) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_models["llama"])
    for marker in (IM_START, IM_END, THINK_OPEN, THINK_CLOSE):
        ids = tokenizer(marker, add_special_tokens=False)["input_ids"]
        assert len(ids) == 1, marker
    # <think> must survive decoding (the app splits it); ChatML markers are special.
    ids = tokenizer(f"{THINK_OPEN}why{THINK_CLOSE}ok{IM_END}")["input_ids"]
    text = tokenizer.decode(ids, skip_special_tokens=True)
    assert text == f"{THINK_OPEN}why{THINK_CLOSE}ok"


def test_chat_template_masks_assistant_reply_and_stop_token(tiny_models: dict[str, Path]) -> None:
    from transformers import AutoTokenizer

    tokenizer: Any = AutoTokenizer.from_pretrained(tiny_models["qwen2"])
    reply = f"{THINK_OPEN}x{THINK_CLOSE}Hello"
    messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": reply}]
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    assert text == f"{IM_START}user\nHi{IM_END}\n{IM_START}assistant\n{reply}{IM_END}\n"
    out = tokenizer.apply_chat_template(messages, return_dict=True, return_assistant_tokens_mask=True)
    masked = [t for t, m in zip(out["input_ids"], out["assistant_masks"], strict=True) if m]
    assert tokenizer.decode(masked) == reply + IM_END
    prompt = tokenizer.apply_chat_template(messages[:1], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith(f"{IM_START}assistant\n")


def test_build_is_deterministic_and_fast(tmp_path: Path) -> None:
    import time

    started = time.monotonic()
    a = build_tiny_model(tmp_path / "a", "qwen2", seed=3)
    b = build_tiny_model(tmp_path / "b", "qwen2", seed=3)
    c = build_tiny_model(tmp_path / "c", "qwen2", seed=4)
    assert time.monotonic() - started < 20
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        assert _digest(a / name) == _digest(b / name), name
    assert _digest(a / "model.safetensors") != _digest(c / "model.safetensors")


def test_unknown_arch_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown tiny architecture"):
        build_tiny_model(tmp_path, "gpt2")  # type: ignore[arg-type]
