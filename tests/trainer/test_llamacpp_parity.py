"""The proof: llama.cpp (base GGUF + adapter GGUF) computes what HF (base + LoRA) computes.

For each tiny architecture, the same fixed token sequence goes through transformers and
through llama-cpp-python with ``logits_all=True``; every position's logits must agree. The
LoRA has random, non-zero A *and* B on all seven projections (q/k included, which is where
a wrong llama permutation would show), and its effect must dwarf the numerical error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from trainer.backends import TARGET_MODULES
from trainer.export import convert_base_to_gguf, export_adapter_gguf

llama_cpp = pytest.importorskip("llama_cpp")

TEXT = "Today I walked to the river with Anna.\n<think>why?</think> Héllo, 2024! #garden"
TOLERANCE = 1e-4  # f32 weights, f32 KV cache: observed differences are ~1e-6


@pytest.mark.parametrize("arch", ["llama", "qwen2"])
def test_gguf_base_plus_adapter_matches_hf_base_plus_lora(
    arch: str,
    tiny_models: dict[str, Path],
    cpp_logits: Callable[..., Any],
    hf_logits: Callable[[Any, list[int]], Any],
    tmp_path: Path,
    record_property: Any,
) -> None:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    hf_dir = tiny_models[arch]
    tokenizer = AutoTokenizer.from_pretrained(hf_dir)
    ids = tokenizer(TEXT)["input_ids"]
    base_gguf = convert_base_to_gguf(hf_dir, tmp_path / "base.gguf")

    # The GGUF vocab tokenizes like the HF tokenizer (so the app's prompts line up too).
    vocab = llama_cpp.Llama(model_path=str(base_gguf), vocab_only=True, verbose=False)
    try:
        assert vocab.tokenize(TEXT.encode(), add_bos=False, special=True) == ids
    finally:
        vocab.close()

    model: Any = AutoModelForCausalLM.from_pretrained(hf_dir)
    model.eval()
    hf_base = hf_logits(model, ids)
    torch.manual_seed(1)
    config = LoraConfig(
        r=4,
        lora_alpha=8,
        target_modules=list(TARGET_MODULES),
        init_lora_weights=False,  # random B: a fresh PEFT adapter would be a no-op
        task_type="CAUSAL_LM",
    )
    peft_model = get_peft_model(model, config).eval()
    hf_lora = hf_logits(peft_model, ids)
    peft_model.save_pretrained(str(tmp_path / "adapter"))
    adapter = export_adapter_gguf(tmp_path / "adapter", hf_dir, tmp_path / "adapter.gguf")

    cpp_base = cpp_logits(base_gguf, ids)
    cpp_lora = cpp_logits(base_gguf, ids, adapter.path)

    base_diff = float(np.abs(cpp_base - hf_base).max())
    lora_diff = float(np.abs(cpp_lora - hf_lora).max())
    effect = float(np.abs(hf_lora - hf_base).max())
    record_property(f"{arch}_base_max_abs_diff", base_diff)
    record_property(f"{arch}_lora_max_abs_diff", lora_diff)
    record_property(f"{arch}_lora_effect", effect)
    print(f"{arch}: base diff {base_diff:.2e}, base+LoRA diff {lora_diff:.2e}, effect {effect:.2f}")

    assert base_diff < TOLERANCE
    assert lora_diff < TOLERANCE
    assert effect > 0.5  # the adapter really changes the model...
    assert float(np.abs(cpp_lora - cpp_base).max()) > 1000 * max(lora_diff, 1e-7)  # ...in both


def test_trained_sft_adapter_matches_too(
    tiny_models: dict[str, Path],
    sft_adapter: tuple[Any, Any],
    cpp_logits: Callable[..., Any],
    hf_logits: Callable[[Any, list[int]], Any],
    tmp_path: Path,
) -> None:
    """A TRL-trained adapter (saved by the real SFT run) exports just as faithfully."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    sft, _ = sft_adapter
    hf_dir = tiny_models["llama"]
    ids = AutoTokenizer.from_pretrained(hf_dir)(TEXT)["input_ids"]
    model: Any = AutoModelForCausalLM.from_pretrained(hf_dir)
    model.eval()
    hf_base = hf_logits(model, ids)
    hf_lora = hf_logits(PeftModel.from_pretrained(model, str(sft.adapter_dir)).eval(), ids)
    base_gguf = convert_base_to_gguf(hf_dir, tmp_path / "base.gguf")
    adapter = export_adapter_gguf(sft.adapter_dir, hf_dir, tmp_path / "sft.gguf")
    cpp_lora = cpp_logits(base_gguf, ids, adapter.path)
    assert float(np.abs(cpp_lora - hf_lora).max()) < TOLERANCE
    assert float(np.abs(hf_lora - hf_base).max()) > 0.05
