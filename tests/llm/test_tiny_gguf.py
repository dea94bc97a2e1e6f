"""The numpy GGUF writer: tiny models llama.cpp loads, logits equal to the HF maths."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from journal_me.llm.gguf_info import GGUFFormatError, is_gguf, read_gguf_info
from journal_me.llm.gguf_write import (
    GGUFTokenizer,
    GGUFWriteError,
    gguf_tensor_name,
    lora_pairs_from_peft,
    write_base_gguf,
    write_lora_gguf,
)
from trainer.tiny_gguf import (
    CHATML_TEMPLATE,
    build_tiny_gguf,
    tiny_bpe_tokenizer,
    tiny_hparams,
    tiny_lora,
    tiny_spm_tokenizer,
    tiny_tensors,
)

ALL_TARGETS = (
    "self_attn.q_proj",
    "self_attn.k_proj",
    "self_attn.v_proj",
    "self_attn.o_proj",
    "mlp.gate_proj",
    "mlp.up_proj",
    "mlp.down_proj",
)


def _llama_logits(model: Path, ids: list[int], lora: Path | None = None, scale: float = 1.0) -> Any:
    import llama_cpp

    llm = llama_cpp.Llama(
        str(model),
        n_ctx=64,
        n_threads=1,
        logits_all=True,
        verbose=False,
        lora_path=str(lora) if lora else None,
        lora_scale=scale,
        type_k=llama_cpp.GGML_TYPE_F32,  # the default f16 KV cache costs ~1e-2 on logits
        type_v=llama_cpp.GGML_TYPE_F32,
    )
    try:
        llm.eval(ids)
        return np.array(llm.scores[: len(ids)], dtype=np.float64)
    finally:
        llm.close()


def test_tiny_model_is_small_fast_and_deterministic(tmp_path: Path) -> None:
    start = time.perf_counter()
    first = build_tiny_gguf(tmp_path / "a.gguf", seed=3)
    elapsed = time.perf_counter() - start
    second = build_tiny_gguf(tmp_path / "b.gguf", seed=3)
    other = build_tiny_gguf(tmp_path / "c.gguf", seed=4)
    assert elapsed < 1.0
    assert first.stat().st_size < 1_000_000
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()
    assert not list(tmp_path.glob("*.tmp"))  # atomic write left nothing behind


@pytest.mark.parametrize("arch", ["llama", "qwen2"])
def test_tiny_model_metadata(tmp_path: Path, arch: Any) -> None:
    info = read_gguf_info(build_tiny_gguf(tmp_path / "m.gguf", arch=arch))
    assert info.architecture == arch
    assert info.kind == "model"
    assert info.chat_template == CHATML_TEMPLATE
    assert info.metadata["tokenizer.ggml.model"] == ("llama" if arch == "llama" else "gpt2")
    assert info.vocab_size is not None and 300 < info.vocab_size < 1000
    assert info.metadata[f"{arch}.embedding_length"] == 64
    assert info.metadata[f"{arch}.block_count"] == 2


def test_spm_vocab_has_bytes_and_markers() -> None:
    tok = tiny_spm_tokenizer()
    assert tok.tokens[3:259] == [f"<0x{b:02X}>" for b in range(256)]
    for marker in ("<|im_start|>", "<|im_end|>", "<think>", "</think>"):
        assert marker in tok.tokens
    assert tok.eos_id == tok.token_id("<|im_end|>")


@pytest.mark.parametrize("arch", ["llama", "qwen2"])
def test_logits_match_hf_reference(tmp_path: Path, arch: Any, hf_reference: Callable[..., Any]) -> None:
    """Proves the q/k permutation (llama) and the bias / NEOX handling (qwen2)."""
    tok = tiny_spm_tokenizer() if arch == "llama" else tiny_bpe_tokenizer()
    hparams = tiny_hparams(len(tok.tokens))
    tensors = tiny_tensors(hparams, tok, seed=7, arch=arch)
    path = write_base_gguf(
        tmp_path / "m.gguf",
        arch=arch,
        hparams=hparams,
        tensors=tensors,
        tokenizer=tok,
        chat_template=CHATML_TEMPLATE,
    )
    ids = [5, 300, 301, 40, 77, 12, 250, 3, 99, 100, 42, 17]
    got = _llama_logits(path, ids)
    want = hf_reference(tensors, hparams, ids)
    np.testing.assert_allclose(got, want, atol=5e-4 * np.abs(want).max())


@pytest.mark.parametrize("arch", ["llama", "qwen2"])
@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_lora_logits_match_hf_reference(
    tmp_path: Path, arch: Any, scale: float, hf_reference: Callable[..., Any]
) -> None:
    """llama.cpp's base + adapter equals W + scale·alpha/r·B@A computed the HF way."""
    tok = tiny_spm_tokenizer() if arch == "llama" else tiny_bpe_tokenizer()
    hparams = tiny_hparams(len(tok.tokens))
    tensors = tiny_tensors(hparams, tok, seed=1, arch=arch)
    base = write_base_gguf(
        tmp_path / "base.gguf",
        arch=arch,
        hparams=hparams,
        tensors=tensors,
        tokenizer=tok,
        chat_template=None,
    )
    lora = tiny_lora(hparams, seed=2, rank=4, targets=ALL_TARGETS)
    adapter = write_lora_gguf(tmp_path / "lora.gguf", arch=arch, lora=lora, alpha=8.0, hparams=hparams)
    ids = [9, 310, 320, 45, 66, 7, 200, 31]
    got = _llama_logits(base, ids, adapter, scale)
    want = hf_reference(tensors, hparams, ids, lora=lora, alpha=8.0, scale=scale)
    base_only = hf_reference(tensors, hparams, ids)
    assert np.abs(want - base_only).max() > 0.5  # the adapter really matters here
    np.testing.assert_allclose(got, want, atol=5e-4 * np.abs(want).max())


def test_adapter_metadata(tmp_path: Path) -> None:
    hparams = tiny_hparams(len(tiny_spm_tokenizer().tokens))
    path = write_lora_gguf(
        tmp_path / "a.gguf", arch="llama", lora=tiny_lora(hparams), alpha=16.0, hparams=hparams
    )
    info = read_gguf_info(path)
    assert info.kind == "adapter"
    assert info.metadata["adapter.type"] == "lora"
    assert info.metadata["adapter.lora.alpha"] == 16.0
    assert info.tensor_count == 2 * 3 * 2  # (A, B) x 3 targets x 2 layers


def test_tensor_names() -> None:
    assert gguf_tensor_name("model.embed_tokens.weight") == "token_embd.weight"
    assert gguf_tensor_name("lm_head.weight") == "output.weight"
    assert gguf_tensor_name("model.layers.11.self_attn.o_proj.weight") == "blk.11.attn_output.weight"
    assert gguf_tensor_name("model.layers.0.self_attn.q_proj.bias") == "blk.0.attn_q.bias"
    assert gguf_tensor_name("model.layers.1.post_attention_layernorm.weight") == ("blk.1.ffn_norm.weight")
    with pytest.raises(GGUFWriteError, match="unsupported tensor"):
        gguf_tensor_name("model.layers.0.mlp.experts.0.weight")
    # names come from gguf's own map, per architecture: qwen3 has q/k norms, llama has none
    assert gguf_tensor_name("model.layers.3.self_attn.k_norm.weight", "qwen3") == "blk.3.attn_k_norm.weight"
    with pytest.raises(GGUFWriteError, match="unsupported tensor"):
        gguf_tensor_name("model.layers.3.self_attn.k_norm.weight", "llama")
    with pytest.raises(GGUFWriteError, match="unsupported arch"):
        gguf_tensor_name("model.norm.weight", "gpt2")


def _valid_inputs() -> tuple[GGUFTokenizer, dict[str, Any], dict[str, Any]]:
    tok = tiny_spm_tokenizer()
    hparams = tiny_hparams(len(tok.tokens))
    return tok, hparams, dict(tiny_tensors(hparams, tok))


def test_writer_rejects_bad_input(tmp_path: Path) -> None:
    tok, hparams, tensors = _valid_inputs()
    out = tmp_path / "x.gguf"
    with pytest.raises(GGUFWriteError, match="vocab_size"):
        write_base_gguf(
            out,
            arch="llama",
            hparams={**hparams, "vocab_size": 10},
            tensors=tensors,
            tokenizer=tok,
            chat_template=None,
        )
    with pytest.raises(GGUFWriteError, match="lack rope_theta"):
        write_base_gguf(
            out,
            arch="llama",
            hparams={k: v for k, v in hparams.items() if k != "rope_theta"},
            tensors=tensors,
            tokenizer=tok,
            chat_template=None,
        )
    missing = {k: v for k, v in tensors.items() if "layers.1.mlp.up_proj" not in k}
    with pytest.raises(GGUFWriteError, match=r"blk\.1\.ffn_up"):
        write_base_gguf(
            out, arch="llama", hparams=hparams, tensors=missing, tokenizer=tok, chat_template=None
        )
    with pytest.raises(GGUFWriteError, match="unsupported tensor"):
        write_base_gguf(
            out,
            arch="llama",
            hparams=hparams,
            tensors={**tensors, "model.vision.weight": np.zeros(2)},
            tokenizer=tok,
            chat_template=None,
        )
    with pytest.raises(GGUFWriteError, match="RoPE scaling 'yarn'"):
        write_base_gguf(
            out,
            arch="llama",
            hparams={**hparams, "rope_scaling": {"rope_type": "yarn", "factor": 4.0}},
            tensors=tensors,
            tokenizer=tok,
            chat_template=None,
        )
    with pytest.raises(GGUFWriteError, match=r"blk\.0\.attn_q_norm"):  # qwen3 needs its q/k norms
        write_base_gguf(
            out, arch="qwen3", hparams=hparams, tensors=tensors, tokenizer=tok, chat_template=None
        )
    with pytest.raises(GGUFWriteError, match="needs scores"):
        GGUFTokenizer(model="llama", tokens=["a"], token_types=[1])
    assert not out.exists()
    assert not list(tmp_path.iterdir())


def test_lora_writer_rejects_bad_input(tmp_path: Path) -> None:
    _, hparams, _ = _valid_inputs()
    a, b = np.zeros((4, 64), np.float32), np.zeros((64, 4), np.float32)
    with pytest.raises(GGUFWriteError, match="unsupported LoRA target"):
        write_lora_gguf(
            tmp_path / "x.gguf", arch="llama", lora={"model.embed_tokens": (a, b)}, alpha=8, hparams=hparams
        )
    with pytest.raises(GGUFWriteError, match="not"):
        write_lora_gguf(
            tmp_path / "x.gguf",
            arch="llama",
            lora={"model.layers.0.self_attn.q_proj": (a, b.T)},
            alpha=8,
            hparams=hparams,
        )
    with pytest.raises(GGUFWriteError, match="head counts"):
        write_lora_gguf(
            tmp_path / "x.gguf", arch="llama", lora={"model.layers.0.self_attn.q_proj": (a, b)}, alpha=8
        )


def test_lora_pairs_from_peft_state_dict() -> None:
    a, b = np.ones((2, 3)), np.ones((5, 2))
    pairs = lora_pairs_from_peft(
        {
            "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": a,
            "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight": b,
        }
    )
    assert list(pairs) == ["model.layers.0.self_attn.q_proj"]
    assert pairs["model.layers.0.self_attn.q_proj"][0].shape == (2, 3)
    with pytest.raises(GGUFWriteError, match="lacks"):
        lora_pairs_from_peft({"base_model.model.model.layers.0.mlp.up_proj.lora_A.weight": a})
    with pytest.raises(GGUFWriteError, match="not a LoRA"):
        lora_pairs_from_peft({"base_model.model.lm_head.weight": a})


def test_gguf_info_rejects_non_gguf(tmp_path: Path) -> None:
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model")
    assert not is_gguf(junk)
    with pytest.raises(GGUFFormatError):
        read_gguf_info(junk)
    truncated = tmp_path / "cut.gguf"
    whole = build_tiny_gguf(tmp_path / "whole.gguf").read_bytes()
    truncated.write_bytes(whole[:200])
    with pytest.raises(GGUFFormatError, match="end of file"):
        read_gguf_info(truncated)
