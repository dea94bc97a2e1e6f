"""Twins: one per catalogue family, built from the real config classes; the export support check.

Cheap checks (seconds). The end-to-end proof per family is tests/trainer/test_twins_families.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from journal_me.models import CATALOG
from trainer.gguf_base import export_support
from trainer.twins import FAMILIES, build_twin


@pytest.fixture(scope="module")
def twin_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("twin-dirs")
    return {family: build_twin(family, root / family) for family in FAMILIES}


def test_every_catalogue_entry_has_a_twin_or_is_marked_chat_only() -> None:
    """The catalogue lists only what passes: a trainable entry's family must have a twin (and
    every twin runs end to end in test_twins_families); a family without one must be
    ``chat_only`` with a note saying why."""
    for entry in CATALOG.values():
        if entry.chat_only:
            assert entry.note, f"{entry.key} is chat only: its note must say why"
            continue
        assert entry.family in FAMILIES, f"{entry.key}: no twin for family {entry.family!r}"
    assert {e.family for e in CATALOG.values() if not e.chat_only} == set(FAMILIES)


def test_twins_mirror_the_real_models(twin_dirs: dict[str, Path]) -> None:
    from transformers import AutoConfig, AutoTokenizer

    for family, hf_dir in twin_dirs.items():
        spec = FAMILIES[family]
        raw = json.loads((hf_dir / "config.json").read_text())
        assert export_support(raw) is None, family
        config: Any = AutoConfig.from_pretrained(hf_dir)
        assert type(config).__name__ == spec.hf_architecture.replace("ForCausalLM", "Config")
        assert config.tie_word_embeddings is True  # all six catalogue checkpoints tie them
        assert (config.hidden_size, config.num_hidden_layers) == (64, 2)
        tok: Any = AutoTokenizer.from_pretrained(hf_dir)
        assert tok.eos_token == spec.eos and tok.pad_token == spec.pad
        for marker in (*spec.specials, *spec.text_tokens):
            assert len(tok(marker, add_special_tokens=False)["input_ids"]) == 1, (family, marker)
        ids = tok("Ran by the river.")["input_ids"]
        assert (ids[0] == tok.bos_token_id) is spec.add_bos
        messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "<think>x</think>Yo"}]
        out = tok.apply_chat_template(messages, return_dict=True, return_assistant_tokens_mask=True)
        trained = [t for t, m in zip(out["input_ids"], out["assistant_masks"], strict=True) if m]
        assert tok.decode(trained) == "<think>x</think>Yo" + spec.eos  # the reply and its stop token
    qwen3 = AutoConfig.from_pretrained(twin_dirs["qwen3"])
    assert qwen3.head_dim == 32 != qwen3.hidden_size // qwen3.num_attention_heads
    qwen3_tok: Any = AutoTokenizer.from_pretrained(twin_dirs["qwen3"])
    prompt = qwen3_tok.apply_chat_template(
        [{"role": "user", "content": "Hi"}], tokenize=False, add_generation_prompt=True, enable_thinking=False
    )
    assert prompt.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")


def test_build_is_deterministic(tmp_path: Path, twin_dirs: dict[str, Path]) -> None:
    again = build_twin("qwen3", tmp_path / "again")
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        assert (again / name).read_bytes() == (twin_dirs["qwen3"] / name).read_bytes(), name
    with pytest.raises(ValueError, match="no twin for family"):
        build_twin("mistral", tmp_path / "m")


def test_llama3_rope_scaling_is_written_as_llama_cpp_rope_freqs(
    twin_dirs: dict[str, Path], tmp_path: Path
) -> None:
    """The rope_freqs tensor divides each frequency exactly as transformers' llama3 RoPE does."""
    import gguf
    import torch
    from transformers import AutoConfig
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    from trainer.export import convert_base_to_gguf

    hf_dir = twin_dirs["llama3"]
    reader = gguf.GGUFReader(str(convert_base_to_gguf(hf_dir, tmp_path / "llama3.gguf")))
    freqs = {t.name: np.array(t.data) for t in reader.tensors}["rope_freqs.weight"]
    config: Any = AutoConfig.from_pretrained(hf_dir)
    scaled, _ = ROPE_INIT_FUNCTIONS["llama3"](config, torch.device("cpu"))
    dim = config.hidden_size // config.num_attention_heads
    plain = 1.0 / (config.rope_parameters["rope_theta"] ** (torch.arange(0, dim, 2).float() / dim))
    np.testing.assert_allclose(freqs, (plain / scaled).numpy(), rtol=1e-5)
    assert freqs.min() == 1.0 and freqs.max() == 32.0 and len(set(freqs.round(4))) > 2  # all 3 regimes
    assert reader.fields["tokenizer.ggml.pre"].contents() == "llama-bpe"
    assert reader.fields["tokenizer.ggml.add_bos_token"].contents() is True
    assert "output.weight" not in {t.name for t in reader.tensors}  # tied: llama.cpp reuses token_embd


def test_export_support_names_the_reason_and_the_fix() -> None:
    base = {"num_attention_heads": 4, "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 100}
    for arch in ("Qwen2ForCausalLM", "Qwen3ForCausalLM", "LlamaForCausalLM"):
        assert export_support({**base, "architectures": [arch]}) is None
    llama31 = {"rope_scaling": {"rope_type": "llama3", "factor": 8.0}, "rope_theta": 500000.0}
    assert export_support({**base, "architectures": ["LlamaForCausalLM"], **llama31}) is None
    reason = export_support({**base, "architectures": ["Gemma3ForCausalLM"]})
    assert reason is not None and "Gemma3ForCausalLM" in reason and "journal-me model list" in reason
    yarn = export_support(
        {**base, "architectures": ["Qwen2ForCausalLM"], "rope_scaling": {"type": "yarn", "factor": 4.0}}
    )
    assert yarn is not None and "'yarn'" in yarn
    v5 = {"rope_parameters": {"rope_type": "dynamic", "rope_theta": 1e4}}
    assert "dynamic" in str(export_support({**base, "architectures": ["LlamaForCausalLM"], **v5}))
    assert "config.json lacks" in str(export_support({"architectures": ["Qwen3ForCausalLM"]}))
