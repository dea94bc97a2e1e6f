"""Convert a Hugging Face base model (and its tokenizer) into a base GGUF llama.cpp loads.

The trainer needs the base as a GGUF whose logits equal the HF model's, so that a LoRA trained
with PEFT and exported as a GGUF adapter behaves in the app as it did in training. Real base
models arrive as a GGUF plus HF weights; this converts the HF weights of every supported
family (see :data:`journal_me.llm.gguf_write.HF_ARCHITECTURES`: Llama incl. Llama 3 RoPE
scaling, Qwen2, Qwen3) with a byte-level BPE tokenizer whose pre-tokenizer llama.cpp knows
(Qwen2's or Llama 3's split). The GGUF itself is written by ``journal_me.llm.gguf_write``
(tensor names from ``gguf``, the llama q/k permutation, atomic write) — one writer for the
whole project; this module reads the HF directory into that writer's contract.

:func:`export_support` answers, from ``config.json`` alone and in microseconds, whether a
model can be exported at all — the training preflight asks it before any work.

The chat template is embedded without ``{% generation %}`` markers: llama-cpp-python renders
it with plain Jinja2, which does not know that transformers-only tag.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from journal_me.llm.gguf_write import (
    HF_ARCHITECTURES,
    ROPE_TYPES,
    TOKEN_CONTROL,
    TOKEN_NORMAL,
    TOKEN_UNUSED,
    TOKEN_USER_DEFINED,
    GGUFTokenizer,
    GGUFWriteError,
    write_base_gguf,
)

_GENERATION_TAG = re.compile(r"\{%-?\s*(?:end)?generation\s*-?%\}")

#: HF architecture class → llama.cpp architecture name.
SUPPORTED_ARCHS: dict[str, str] = dict(HF_ARCHITECTURES)

#: The pre-tokenizer split expressions llama.cpp implements, by its ``tokenizer.ggml.pre``
#: name. A byte-level BPE tokenizer is exported only when its split is one of these: any
#: other would tokenize differently in llama.cpp than in training.
QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
PRE_TOKENIZERS: dict[str, str] = {QWEN2_SPLIT: "qwen2", LLAMA3_SPLIT: "llama-bpe"}


class GGUFConversionError(GGUFWriteError):
    """The model or adapter cannot be written as a GGUF llama.cpp would apply correctly."""


@dataclass(frozen=True)
class BaseModelInfo:
    """A HF base model as the GGUF writers see it: llama.cpp arch + flat HF hparams."""

    arch: str
    hparams: Mapping[str, Any]  # HF config keys, rope_theta and rope_scaling at the top level


def inference_chat_template(template: str) -> str:
    """Drop transformers' ``{% generation %}`` markers so plain Jinja2 can render it."""
    return _GENERATION_TAG.sub("", template)


def _rope(config: Mapping[str, Any]) -> tuple[float, dict[str, Any] | None]:
    """(rope_theta, rope_scaling or None) from a transformers 4 or 5 ``config.json``."""
    params = dict(config.get("rope_parameters") or {})  # transformers 5
    scaling = dict(config.get("rope_scaling") or {})  # transformers 4 (and real checkpoints)
    theta = float(params.get("rope_theta", config.get("rope_theta", scaling.get("rope_theta", 10000.0))))
    merged = {**params, **scaling}
    merged.pop("rope_theta", None)
    kind = merged.get("rope_type") or merged.get("type") or "default"
    return theta, (None if kind == "default" else {**merged, "rope_type": kind})


def export_support(config: Mapping[str, Any]) -> str | None:
    """``None`` when a model with this ``config.json`` can be exported to GGUF (base and
    LoRA); otherwise the reason, for a user, naming the fix. Reads nothing else: fast
    enough for a preflight before any training work."""
    archs = config.get("architectures") or []
    if not any(a in SUPPORTED_ARCHS for a in archs):
        found = ", ".join(archs) or "none given"
        return (
            f"architecture {found} cannot be exported for llama.cpp by the trainer (supported: "
            f"{', '.join(SUPPORTED_ARCHS)}); pick a catalogue model (`journal-me model list`)"
        )
    _, scaling = _rope(config)
    if scaling is not None and scaling["rope_type"] not in ROPE_TYPES:
        return (
            f"RoPE scaling {scaling['rope_type']!r} is not supported by the GGUF export "
            f"(supported: {', '.join(ROPE_TYPES)}); pick a catalogue model (`journal-me model list`)"
        )
    for key in ("num_attention_heads", "hidden_size", "num_hidden_layers", "vocab_size"):
        if not isinstance(config.get(key), int):
            return f"config.json lacks {key}: not a complete Hugging Face model; download it again"
    return None


def read_base_config(base_dir: Path | str) -> BaseModelInfo:
    """Read ``config.json`` of a HF model directory; raise unless llama.cpp support is known."""
    path = Path(base_dir) / "config.json"
    try:
        config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise GGUFConversionError(f"{path}: no config.json — not a Hugging Face model") from exc
    problem = export_support(config)
    if problem:
        raise GGUFConversionError(f"{path}: {problem}")
    arch = next(SUPPORTED_ARCHS[a] for a in config["architectures"] if a in SUPPORTED_ARCHS)
    hparams = dict(config)
    hparams["rope_theta"], hparams["rope_scaling"] = _rope(config)
    hparams.setdefault("num_key_value_heads", config["num_attention_heads"])
    return BaseModelInfo(arch=arch, hparams=hparams)


def _split_pattern(tok: Mapping[str, Any]) -> str | None:
    """The regex of the tokenizer's ``Split`` pre-tokenizer (Qwen2 / Llama 3 style), if any."""
    pre = tok.get("pre_tokenizer") or {}
    for part in pre.get("pretokenizers", [pre]):
        if isinstance(part, dict) and part.get("type") == "Split":
            pattern = part.get("pattern") or {}
            regex = pattern.get("Regex")
            return regex if isinstance(regex, str) else None
    return None


def read_hf_tokenizer(hf_dir: Path | str, vocab_size: int) -> GGUFTokenizer:
    """The ``tokenizer.json`` of a byte-level BPE tokenizer (Qwen2/Qwen3 or Llama 3 style) as
    a GGUF vocab; special ids and add-BOS come from ``gguf.SpecialVocab``, as llama.cpp's
    converter reads them.

    Added special tokens become CONTROL (never printed), other added tokens such as
    ``<think>`` USER_DEFINED (printed, so the app can split the reasoning). Ids above the
    tokenizer's (real Qwen checkpoints pad the embedding matrix) become UNUSED ``[PADn]``."""
    import gguf

    src = Path(hf_dir)
    tok_file = src / "tokenizer.json"
    if not tok_file.is_file():
        raise GGUFConversionError(f"{src}: no tokenizer.json (a fast tokenizer is required)")
    tok = json.loads(tok_file.read_text(encoding="utf-8"))
    model = tok.get("model") or {}
    if model.get("type") != "BPE" or "ByteLevel" not in json.dumps(tok.get("decoder")):
        raise GGUFConversionError(
            f"{tok_file}: only byte-level BPE tokenizers are supported; convert other base "
            "models with llama.cpp's convert_hf_to_gguf.py"
        )
    pre = PRE_TOKENIZERS.get(_split_pattern(tok) or "")
    if pre is None:
        raise GGUFConversionError(
            f"{tok_file}: its pre-tokenizer split is neither Qwen2's nor Llama 3's, so llama.cpp "
            "would tokenize differently than training did"
        )
    by_id: dict[int, str] = {int(i): t for t, i in model["vocab"].items()}
    types = dict.fromkeys(by_id, TOKEN_NORMAL)
    for added in tok.get("added_tokens", []):
        by_id[int(added["id"])] = added["content"]
        types[int(added["id"])] = TOKEN_CONTROL if added["special"] else TOKEN_USER_DEFINED
    if max(by_id) >= vocab_size:
        raise GGUFConversionError(f"{src}: token ids exceed vocab_size {vocab_size}")
    vocab_log = logging.getLogger("gguf.vocab")
    level = vocab_log.level
    vocab_log.setLevel(logging.ERROR)  # Llama 3's <pair> template draws a harmless warning
    try:
        special = gguf.SpecialVocab(src, load_merges=True, n_vocab=vocab_size)
    finally:
        vocab_log.setLevel(level)
    ids = special.special_token_ids
    eot = next((i for i, t in by_id.items() if t in ("<|eot_id|>", "<|im_end|>")), None)
    return GGUFTokenizer(
        model="gpt2",
        tokens=[by_id.get(i, f"[PAD{i}]") for i in range(vocab_size)],
        token_types=[types.get(i, TOKEN_UNUSED) for i in range(vocab_size)],
        merges=list(special.merges),
        pre=pre,
        bos_id=ids.get("bos"),
        eos_id=ids.get("eos"),
        pad_id=ids.get("pad"),
        eot_id=eot,
        add_bos=bool(special.add_special_token.get("bos", False)),
        add_eos=bool(special.add_special_token.get("eos", False)),
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
    return write_base_gguf(
        out_path,
        arch=info.arch,
        hparams=info.hparams,
        tensors=tensors,
        tokenizer=read_hf_tokenizer(src, int(info.hparams["vocab_size"])),
        chat_template=inference_chat_template(t) if (t := _chat_template(src)) else None,
        name=src.name,
        dtype=dtype,
    )
