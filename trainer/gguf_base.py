"""Convert a small Hugging Face model (the tiny test models) into a base GGUF.

Real base models arrive as a GGUF plus the matching HF weights; only the project's own tiny
models need converting, so this covers exactly what they use: llama or qwen2 blocks and a
Qwen2-style byte-level BPE tokenizer (``tokenizer.ggml.model = gpt2``, pre-tokenizer
``qwen2``). The GGUF itself is written by ``journal_me.llm.tiny_gguf`` (tensor names, the
llama q/k permutation, atomic write) — one writer for the whole project; this module only
reads the HF directory into that writer's contract.

The chat template is embedded without ``{% generation %}`` markers: llama-cpp-python renders
it with plain Jinja2, which does not know that transformers-only tag.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from journal_me.llm.tiny_gguf import (
    TOKEN_CONTROL,
    TOKEN_NORMAL,
    TOKEN_UNUSED,
    TOKEN_USER_DEFINED,
    Arch,
    GGUFTokenizer,
    GGUFWriteError,
    write_llama_gguf,
)

_GENERATION_TAG = re.compile(r"\{%-?\s*(?:end)?generation\s*-?%\}")

#: HF architecture class → llama.cpp architecture name.
SUPPORTED_ARCHS: dict[str, Arch] = {"LlamaForCausalLM": "llama", "Qwen2ForCausalLM": "qwen2"}


class GGUFConversionError(GGUFWriteError):
    """The model or adapter cannot be written as a GGUF llama.cpp would apply correctly."""


@dataclass(frozen=True)
class BaseModelInfo:
    """A HF base model as the GGUF writers see it: llama.cpp arch + flat HF hparams."""

    arch: Arch
    hparams: Mapping[str, Any]  # HF config keys, with rope_theta lifted to the top level


def inference_chat_template(template: str) -> str:
    """Drop transformers' ``{% generation %}`` markers so plain Jinja2 can render it."""
    return _GENERATION_TAG.sub("", template)


def read_base_config(base_dir: Path | str) -> BaseModelInfo:
    """Read ``config.json`` of a HF model directory; raise unless llama.cpp support is known."""
    path = Path(base_dir) / "config.json"
    try:
        config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise GGUFConversionError(f"{path}: no config.json — not a Hugging Face model") from exc
    archs = config.get("architectures") or []
    arch = next((SUPPORTED_ARCHS[a] for a in archs if a in SUPPORTED_ARCHS), None)
    if arch is None:
        raise GGUFConversionError(
            f"{path}: architecture {archs or '?'} is not supported (supported: {', '.join(SUPPORTED_ARCHS)})"
        )
    rope = config.get("rope_parameters") or {}  # transformers 5 moved rope_theta here
    if rope.get("rope_type", "default") != "default" or config.get("rope_scaling"):
        raise GGUFConversionError(f"{path}: RoPE scaling is not supported by this converter")
    hparams = dict(config)
    hparams["rope_theta"] = float(rope.get("rope_theta", config.get("rope_theta", 10000.0)))
    hparams.setdefault("num_key_value_heads", config["num_attention_heads"])
    return BaseModelInfo(arch=arch, hparams=hparams)


def _special_id(cfg: Mapping[str, Any], key: str, ids: Mapping[str, int]) -> int | None:
    value = cfg.get(key)
    if isinstance(value, dict):
        value = value.get("content")
    return ids.get(value) if isinstance(value, str) else None


def read_hf_tokenizer(hf_dir: Path | str, vocab_size: int) -> GGUFTokenizer:
    """The ``tokenizer.json`` of a byte-level BPE (Qwen2-style) tokenizer as a GGUF vocab.

    Added special tokens become CONTROL (never printed), other added tokens such as
    ``<think>`` USER_DEFINED (printed, so the app can split the reasoning)."""
    src = Path(hf_dir)
    tok_file = src / "tokenizer.json"
    if not tok_file.is_file():
        raise GGUFConversionError(f"{src}: no tokenizer.json (a fast tokenizer is required)")
    tok = json.loads(tok_file.read_text(encoding="utf-8"))
    cfg_file = src / "tokenizer_config.json"
    cfg = json.loads(cfg_file.read_text(encoding="utf-8")) if cfg_file.is_file() else {}
    model = tok.get("model") or {}
    if model.get("type") != "BPE" or "ByteLevel" not in json.dumps(tok.get("decoder")):
        raise GGUFConversionError(
            f"{tok_file}: only byte-level BPE tokenizers are supported; convert other base "
            "models with llama.cpp's convert_hf_to_gguf.py"
        )
    by_id: dict[int, str] = {int(i): t for t, i in model["vocab"].items()}
    types = dict.fromkeys(by_id, TOKEN_NORMAL)
    for added in tok.get("added_tokens", []):
        by_id[int(added["id"])] = added["content"]
        types[int(added["id"])] = TOKEN_CONTROL if added["special"] else TOKEN_USER_DEFINED
    if max(by_id) >= vocab_size:
        raise GGUFConversionError(f"{src}: token ids exceed vocab_size {vocab_size}")
    ids = {t: i for i, t in by_id.items()}
    return GGUFTokenizer(
        model="gpt2",
        tokens=[by_id.get(i, f"[PAD{i}]") for i in range(vocab_size)],
        token_types=[types.get(i, TOKEN_UNUSED) for i in range(vocab_size)],
        merges=[m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])],
        pre="qwen2",
        bos_id=_special_id(cfg, "bos_token", ids),
        eos_id=_special_id(cfg, "eos_token", ids),
        pad_id=_special_id(cfg, "pad_token", ids),
        add_bos=bool(cfg.get("add_bos_token", False)),
    )


def _chat_template(hf_dir: Path) -> str | None:
    jinja = hf_dir / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text(encoding="utf-8")
    cfg_file = hf_dir / "tokenizer_config.json"
    cfg = json.loads(cfg_file.read_text(encoding="utf-8")) if cfg_file.is_file() else {}
    template = cfg.get("chat_template")
    return template if isinstance(template, str) else None


def to_numpy_f32(tensor: Any) -> npt.NDArray[np.float32]:
    """A torch tensor of any float dtype (bf16 included) as a float32 numpy array."""
    return np.ascontiguousarray(tensor.detach().to("cpu").float().numpy(), dtype=np.float32)


def convert_base_to_gguf(
    hf_dir: Path | str, out_path: Path | str, *, dtype: Literal["f32", "f16"] = "f32"
) -> Path:
    """Write the HF model in ``hf_dir`` as a base GGUF at ``out_path`` (atomically).

    ``f32`` keeps every weight exact (what the logit-equivalence tests need); ``f16`` halves
    the file. Tied embeddings are written without ``output.weight`` (llama.cpp then reuses
    ``token_embd``)."""
    from safetensors import safe_open

    src = Path(hf_dir)
    info = read_base_config(src)
    files = sorted(src.glob("*.safetensors"))
    if not files:
        raise GGUFConversionError(f"{src}: no *.safetensors weights")
    tied = bool(info.hparams.get("tie_word_embeddings", False))
    tensors: dict[str, npt.NDArray[np.float32]] = {}
    for file in files:
        with safe_open(str(file), framework="pt") as f:
            for name in f.keys():  # noqa: SIM118 - safe_open is not a Mapping
                if not (tied and name == "lm_head.weight"):
                    tensors[name] = to_numpy_f32(f.get_tensor(name))
    return write_llama_gguf(
        out_path,
        arch=info.arch,
        hparams=info.hparams,
        tensors=tensors,
        tokenizer=read_hf_tokenizer(src, int(info.hparams["vocab_size"])),
        chat_template=inference_chat_template(t) if (t := _chat_template(src)) else None,
        name=src.name,
        dtype=dtype,
    )
