"""Write llama.cpp GGUF files from Hugging Face-named numpy arrays: base models and LoRA adapters.

The project's one GGUF writer. The trainer turns a HF base model into a base GGUF and a PEFT
adapter into a GGUF LoRA, and both must compute exactly what transformers computes. llama.cpp's
own converters need its source tree and torch; this needs only numpy and the ``gguf`` package,
and takes its tables from ``gguf`` itself (``gguf.TensorNameMap`` for tensor names,
``gguf.MODEL_ARCH``/``gguf.MODEL_TENSORS`` for what an architecture may hold,
``gguf.TokenType``), so supporting a llama.cpp architecture is one :data:`ARCHS` entry.

Input contract (shared with ``trainer/``):

* ``tensors`` use **Hugging Face names** and layouts (``nn.Linear.weight`` is
  ``(out_features, in_features)``): ``model.embed_tokens.weight``,
  ``model.layers.0.self_attn.q_proj.weight`` (+ ``.bias`` for qwen2,
  ``self_attn.q_norm.weight`` for qwen3), ``model.norm.weight``, ``lm_head.weight``
  (optional: without it llama.cpp ties the output to the embeddings).
* ``hparams`` use HF ``config.json`` keys (:data:`REQUIRED_HPARAMS`, optional ``head_dim``)
  plus ``rope_scaling``: ``None`` or a dict with ``rope_type`` (``"llama3"`` is written as
  llama.cpp's ``rope_freqs`` tensor, exactly as ``convert_hf_to_gguf.py`` does).
* For ``arch="llama"`` q/k projections are permuted like llama.cpp's ``LlamaModel.permute``:
  llama.cpp applies interleaved RoPE to llama, HF the rotate-half form. Qwen2/Qwen3 use NEOX
  RoPE in llama.cpp, which matches HF: nothing is permuted.
* LoRA pairs for :func:`write_lora_gguf` are keyed by HF module name
  (``model.layers.0.self_attn.q_proj``) and hold PEFT's ``(lora_A, lora_B)`` with shapes
  ``(r, in_features)`` and ``(out_features, r)``; llama.cpp computes
  ``W + scale * alpha / r * B @ A``. :func:`lora_pairs_from_peft` groups a PEFT state dict.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import gguf
import numpy as np
import numpy.typing as npt

from journal_me.fsutil import atomic_path

FloatArray = npt.NDArray[np.floating[Any]]

# gguf.TokenType values as plain ints (tokenizer tables are lists of ints).
TOKEN_NORMAL = int(gguf.TokenType.NORMAL)
TOKEN_UNKNOWN = int(gguf.TokenType.UNKNOWN)
TOKEN_CONTROL = int(gguf.TokenType.CONTROL)
TOKEN_USER_DEFINED = int(gguf.TokenType.USER_DEFINED)
TOKEN_UNUSED = int(gguf.TokenType.UNUSED)
TOKEN_BYTE = int(gguf.TokenType.BYTE)

_T = gguf.MODEL_TENSOR
_LAYER_CORE: tuple[gguf.MODEL_TENSOR, ...] = (
    _T.ATTN_Q,
    _T.ATTN_K,
    _T.ATTN_V,
    _T.ATTN_OUT,
    _T.FFN_GATE,
    _T.FFN_UP,
    _T.FFN_DOWN,
)
#: The linear layers a LoRA may adapt (llama.cpp applies adapters to these).
_LORA_TENSORS = frozenset(_LAYER_CORE)


@dataclass(frozen=True)
class ArchSpec:
    """What the writer must know about one llama.cpp architecture — configuration, not code."""

    arch: gguf.MODEL_ARCH
    permute_qk: bool = False  # llama: HF rotate-half RoPE -> llama.cpp interleaved pairs
    rope_dims: bool = False  # write ``rope.dimension_count`` (llama's converter does)
    layer_tensors: tuple[gguf.MODEL_TENSOR, ...] = _LAYER_CORE  # required in every block

    @property
    def name(self) -> str:
        return gguf.MODEL_ARCH_NAMES[self.arch]


#: llama.cpp architectures the writer supports, by GGUF name.
ARCHS: dict[str, ArchSpec] = {
    "llama": ArchSpec(gguf.MODEL_ARCH.LLAMA, permute_qk=True, rope_dims=True),
    "qwen2": ArchSpec(gguf.MODEL_ARCH.QWEN2),
    "qwen3": ArchSpec(gguf.MODEL_ARCH.QWEN3, layer_tensors=(*_LAYER_CORE, _T.ATTN_Q_NORM, _T.ATTN_K_NORM)),
}
#: HF ``architectures`` class -> GGUF architecture (what ``convert_hf_to_gguf.py`` registers).
HF_ARCHITECTURES: dict[str, str] = {
    "LlamaForCausalLM": "llama",
    "Qwen2ForCausalLM": "qwen2",
    "Qwen3ForCausalLM": "qwen3",
}
#: RoPE variants written faithfully: plain, and Llama 3.1+'s frequency-dependent scaling.
ROPE_TYPES = ("default", "llama3")

REQUIRED_HPARAMS = (
    "vocab_size",
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "max_position_embeddings",
    "rms_norm_eps",
    "rope_theta",
)

_LAYER_RE = re.compile(r"^model\.layers\.(\d+)\.(.+)$")


class GGUFWriteError(ValueError):
    """The tensors, hyper-parameters or tokenizer given cannot make a valid GGUF."""


@dataclass(frozen=True)
class GGUFTokenizer:
    """The vocabulary part of a GGUF (``tokenizer.ggml.*``).

    ``model="llama"`` is SentencePiece-style: tokens use ``▁`` for spaces, byte fallback tokens
    ``<0x00>``…``<0xFF>`` have type BYTE, and ``scores`` rank merges (higher first).
    ``model="gpt2"`` is byte-level BPE: tokens are in GPT-2's byte-to-unicode alphabet
    (``Ġ`` is a space) and ``merges`` (``"Ġ t"``) are in rank order; ``pre`` names llama.cpp's
    pre-tokenizer (``"qwen2"``, ``"llama-bpe"``, ``"default"``).
    Chat markers that must never be produced as plain text (``<|im_end|>``) are CONTROL;
    markers a model writes as text (``<think>``) are USER_DEFINED so detokenizing shows them.
    """

    model: Literal["llama", "gpt2"]
    tokens: Sequence[str]
    token_types: Sequence[int]
    scores: Sequence[float] | None = None
    merges: Sequence[str] = ()
    pre: str = "default"
    bos_id: int | None = None
    eos_id: int | None = None
    unk_id: int | None = None
    pad_id: int | None = None
    eot_id: int | None = None
    add_bos: bool = False
    add_eos: bool = False
    add_space_prefix: bool | None = None

    def __post_init__(self) -> None:
        n = len(self.tokens)
        if len(self.token_types) != n:
            raise GGUFWriteError(f"{len(self.token_types)} token types for {n} tokens")
        if self.scores is not None and len(self.scores) != n:
            raise GGUFWriteError(f"{len(self.scores)} scores for {n} tokens")
        if self.model == "llama" and self.scores is None:
            raise GGUFWriteError("a SentencePiece ('llama') vocab needs scores")
        if self.model == "gpt2" and not self.merges:
            raise GGUFWriteError("a BPE ('gpt2') vocab needs merges")
        for label, tid in (
            ("bos", self.bos_id),
            ("eos", self.eos_id),
            ("unk", self.unk_id),
            ("pad", self.pad_id),
            ("eot", self.eot_id),
        ):
            if tid is not None and not 0 <= tid < n:
                raise GGUFWriteError(f"{label} id {tid} is outside the {n}-token vocab")

    def token_id(self, text: str) -> int:
        """Id of a token by its exact text (tests and templates use this)."""
        try:
            return list(self.tokens).index(text)
        except ValueError:
            raise KeyError(text) from None


# --------------------------------------------------------------------------- helpers


def arch_spec(arch: str) -> ArchSpec:
    try:
        return ARCHS[arch]
    except KeyError:
        raise GGUFWriteError(f"unsupported arch {arch!r} ({', '.join(ARCHS)})") from None


def _permute(weights: FloatArray, n_head: int, n_head_kv: int | None) -> FloatArray:
    """llama.cpp's ``LlamaModel.permute``: rotate-half RoPE rows -> interleaved pairs."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    rows = weights.shape[0]
    if rows % (n_head * 2):
        raise GGUFWriteError(f"cannot permute {weights.shape} for {n_head} heads")
    return (
        weights.reshape(n_head, 2, rows // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def _tensor_type(hf_name: str, arch: str, n_layer: int | None = None) -> tuple[gguf.MODEL_TENSOR, str]:
    spec = arch_spec(arch)
    match = _LAYER_RE.match(hf_name)
    blocks = n_layer if n_layer is not None else (int(match.group(1)) + 1 if match else 1)
    found = gguf.get_tensor_name_map(spec.arch, blocks).get_type_and_name(
        hf_name, try_suffixes=(".weight", ".bias")
    )
    if found is None or found[0] not in gguf.MODEL_TENSORS[spec.arch]:
        raise GGUFWriteError(f"unsupported tensor {hf_name!r} for a {arch} GGUF")
    return found


def gguf_tensor_name(hf_name: str, arch: str = "llama") -> str:
    """Map one HF tensor name to its GGUF name (``blk.N.attn_q.weight``), by ``gguf``'s map."""
    return _tensor_type(hf_name, arch)[1]


def _check_hparams(hparams: Mapping[str, Any]) -> None:
    missing = [k for k in REQUIRED_HPARAMS if k not in hparams]
    if missing:
        raise GGUFWriteError(f"hparams lack {', '.join(missing)}")


def head_dim(hparams: Mapping[str, Any]) -> int:
    value = hparams.get("head_dim")
    if value is None:
        return int(hparams["hidden_size"]) // int(hparams["num_attention_heads"])
    return int(value)


def rope_type(hparams: Mapping[str, Any]) -> str:
    scaling = hparams.get("rope_scaling") or {}
    return str(scaling.get("rope_type") or scaling.get("type") or "default")


def llama3_rope_factors(hparams: Mapping[str, Any]) -> FloatArray:
    """The per-frequency divisors of Llama 3.1+ RoPE scaling, as llama.cpp's ``rope_freqs``
    tensor (``convert_hf_to_gguf.py``, ``LlamaModel.generate_extra_tensors``; transformers'
    ``_compute_llama3_parameters`` divides ``inv_freq`` by the same numbers)."""
    scaling = hparams.get("rope_scaling") or {}
    dim = head_dim(hparams)
    base = float(hparams["rope_theta"])
    factor = float(scaling.get("factor", 8.0))
    low = float(scaling.get("low_freq_factor", 1.0))
    high = float(scaling.get("high_freq_factor", 4.0))
    old_ctx = float(scaling.get("original_max_position_embeddings", 8192))
    low_wavelen, high_wavelen = old_ctx / low, old_ctx / high
    freqs = 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.float32) / dim))
    factors: list[float] = []
    for freq in freqs:
        wavelen = 2 * math.pi / float(freq)
        if wavelen < high_wavelen:
            factors.append(1.0)
        elif wavelen > low_wavelen:
            factors.append(factor)
        else:
            smooth = (old_ctx / wavelen - low) / (high - low)
            factors.append(1 / ((1 - smooth) / factor + smooth))
    return np.asarray(factors, dtype=np.float32)


def _prepare(array: Any, *, dtype: Literal["f32", "f16"], is_matrix: bool) -> FloatArray:
    data = np.ascontiguousarray(np.asarray(array, dtype=np.float32))
    if dtype == "f16" and is_matrix:
        return data.astype(np.float16)
    return data


def _atomic_write(path: Path, fill: Any) -> Path:
    """Run ``fill(tmp_path)`` then fsync and ``os.replace`` so readers never see half a file."""
    with atomic_path(path) as tmp:
        fill(tmp)
    return path


def _add_tokenizer(writer: Any, tok: GGUFTokenizer) -> None:
    writer.add_tokenizer_model(tok.model)
    writer.add_tokenizer_pre(tok.pre if tok.model == "gpt2" else "default")
    writer.add_token_list(list(tok.tokens))
    if tok.scores is not None:
        writer.add_token_scores([float(s) for s in tok.scores])
    writer.add_token_types([int(t) for t in tok.token_types])
    if tok.model == "gpt2":
        writer.add_token_merges(list(tok.merges))
    for tid, add in (
        (tok.bos_id, writer.add_bos_token_id),
        (tok.eos_id, writer.add_eos_token_id),
        (tok.unk_id, writer.add_unk_token_id),
        (tok.pad_id, writer.add_pad_token_id),
        (tok.eot_id, writer.add_eot_token_id),
    ):
        if tid is not None:
            add(tid)
    writer.add_add_bos_token(tok.add_bos)
    writer.add_add_eos_token(tok.add_eos)
    if tok.add_space_prefix is not None:
        writer.add_add_space_prefix(tok.add_space_prefix)


# --------------------------------------------------------------------------- base model


def write_base_gguf(
    path: str | os.PathLike[str],
    *,
    arch: str,
    hparams: Mapping[str, Any],
    tensors: Mapping[str, Any],
    tokenizer: GGUFTokenizer,
    chat_template: str | None,
    name: str = "journal-me-model",
    dtype: Literal["f32", "f16"] = "f32",
) -> Path:
    """Write a base-model GGUF that llama.cpp loads as ``arch`` (a key of :data:`ARCHS`).

    ``tensors`` are HF-named arrays (numpy, or anything ``np.asarray`` accepts: convert torch
    tensors with ``.float().numpy()``). ``dtype="f16"`` stores matrices as float16 (norms and
    biases stay float32, as llama.cpp's converter does); keep ``f32`` when comparing logits.
    The file appears atomically. Rotary ``inv_freq`` buffers are skipped; Llama 3 RoPE
    scaling becomes the ``rope_freqs`` tensor.
    """
    spec = arch_spec(arch)
    _check_hparams(hparams)
    n_vocab = int(hparams["vocab_size"])
    if len(tokenizer.tokens) != n_vocab:
        raise GGUFWriteError(f"tokenizer has {len(tokenizer.tokens)} tokens but vocab_size is {n_vocab}")
    n_head = int(hparams["num_attention_heads"])
    n_head_kv = int(hparams["num_key_value_heads"])
    n_layer = int(hparams["num_hidden_layers"])
    rope = rope_type(hparams)
    if rope not in ROPE_TYPES:
        raise GGUFWriteError(f"RoPE scaling {rope!r} is not supported (supported: {', '.join(ROPE_TYPES)})")

    converted: list[tuple[str, FloatArray]] = []
    present: set[tuple[gguf.MODEL_TENSOR, int | None]] = set()
    for hf_name, array in tensors.items():
        if hf_name.endswith("rotary_emb.inv_freq"):
            continue
        kind, gguf_name = _tensor_type(hf_name, arch, n_layer)
        data = np.asarray(array, dtype=np.float32)
        if spec.permute_qk:
            if kind == _T.ATTN_Q:
                data = _permute(data, n_head, n_head)
            elif kind == _T.ATTN_K:
                data = _permute(data, n_head, n_head_kv)
        match = _LAYER_RE.match(hf_name)
        present.add((kind, int(match.group(1)) if match else None))
        converted.append((gguf_name, _prepare(data, dtype=dtype, is_matrix=data.ndim == 2)))
    for required in (_T.TOKEN_EMBD, _T.OUTPUT_NORM):
        if (required, None) not in present:
            raise GGUFWriteError(
                f"missing {gguf.TENSOR_NAMES[required]}.weight (HF model.embed_tokens / model.norm)"
            )
    for layer in range(n_layer):
        for kind in spec.layer_tensors:
            if (kind, layer) not in present:
                raise GGUFWriteError(f"missing weights for {gguf.TENSOR_NAMES[kind].format(bid=layer)}")
    if rope == "llama3":
        converted.append((gguf.TENSOR_NAMES[_T.ROPE_FREQS] + ".weight", llama3_rope_factors(hparams)))

    def fill(tmp: Path) -> None:
        writer = gguf.GGUFWriter(None, spec.name)
        writer.add_type(gguf.GGUFType.MODEL)
        writer.add_name(name)
        writer.add_vocab_size(n_vocab)
        writer.add_context_length(int(hparams["max_position_embeddings"]))
        writer.add_embedding_length(int(hparams["hidden_size"]))
        writer.add_block_count(n_layer)
        writer.add_feed_forward_length(int(hparams["intermediate_size"]))
        writer.add_head_count(n_head)
        writer.add_head_count_kv(n_head_kv)
        writer.add_rope_freq_base(float(hparams["rope_theta"]))
        writer.add_layer_norm_rms_eps(float(hparams["rms_norm_eps"]))
        if spec.rope_dims:
            writer.add_rope_dimension_count(head_dim(hparams))
        if "head_dim" in hparams and hparams["head_dim"] is not None:
            writer.add_key_length(int(hparams["head_dim"]))
            writer.add_value_length(int(hparams["head_dim"]))
        file_type = gguf.LlamaFileType.MOSTLY_F16 if dtype == "f16" else gguf.LlamaFileType.ALL_F32
        writer.add_file_type(int(file_type))
        _add_tokenizer(writer, tokenizer)
        if chat_template:
            writer.add_chat_template(chat_template)
        for gguf_name, data in converted:
            writer.add_tensor(gguf_name, data)
        writer.write_header_to_file(path=tmp)
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()

    return _atomic_write(Path(path), fill)


# --------------------------------------------------------------------------- LoRA adapter


def _module_name(key: str) -> str:
    """Normalise a LoRA key: strip PEFT's ``base_model.model.`` prefix and ``.weight``."""
    key = key.removeprefix("base_model.model.")
    key = key.removesuffix(".weight")
    return key


def lora_pairs_from_peft(
    state_dict: Mapping[str, Any],
) -> dict[str, tuple[FloatArray, FloatArray]]:
    """Group a PEFT adapter state dict (``…q_proj.lora_A.weight`` / ``lora_B``) into
    ``{module: (A, B)}`` for :func:`write_lora_gguf`. Values may be numpy arrays or CPU
    tensors (anything ``np.asarray`` accepts)."""
    halves: dict[str, dict[str, FloatArray]] = {}
    for key, value in state_dict.items():
        for marker, side in ((".lora_A.", "A"), (".lora_B.", "B")):
            if marker in key:
                module = _module_name(key.split(marker)[0])
                halves.setdefault(module, {})[side] = np.asarray(value, dtype=np.float32)
                break
        else:
            raise GGUFWriteError(f"not a LoRA A/B tensor: {key!r}")
    pairs: dict[str, tuple[FloatArray, FloatArray]] = {}
    for module, parts in sorted(halves.items()):
        if set(parts) != {"A", "B"}:
            raise GGUFWriteError(f"LoRA module {module!r} lacks its A or B matrix")
        pairs[module] = (parts["A"], parts["B"])
    return pairs


def write_lora_gguf(
    path: str | os.PathLike[str],
    *,
    arch: str,
    lora: Mapping[str, tuple[Any, Any]],
    alpha: float,
    hparams: Mapping[str, Any] | None = None,
    name: str = "journal-me-adapter",
) -> Path:
    """Write a LoRA adapter GGUF (``general.type=adapter``, ``adapter.type=lora``).

    ``lora`` maps HF module names (``model.layers.0.self_attn.q_proj``; a PEFT prefix or a
    ``.weight`` suffix is tolerated) to ``(A, B)`` with PEFT shapes ``(r, in)`` / ``(out, r)``.
    For ``arch="llama"`` the q/k ``B`` rows are permuted like the base weights (as
    ``convert_lora_to_gguf.py`` does), so ``hparams`` must give ``num_attention_heads`` and
    ``num_key_value_heads``. Embedding / lm_head adapters are refused: llama.cpp's support for
    them is partial and the trainer never targets them.
    """
    spec = arch_spec(arch)
    if not lora:
        raise GGUFWriteError("an adapter needs at least one LoRA pair")
    n_head = n_head_kv = 0
    if spec.permute_qk:
        if hparams is None or not {"num_attention_heads", "num_key_value_heads"} <= set(hparams):
            raise GGUFWriteError(f"{arch} adapters need hparams with the head counts")
        n_head = int(hparams["num_attention_heads"])
        n_head_kv = int(hparams["num_key_value_heads"])

    converted: list[tuple[str, FloatArray]] = []
    for key, (a_raw, b_raw) in lora.items():
        module = _module_name(key)
        try:
            kind, base = _tensor_type(f"{module}.weight", arch)
        except GGUFWriteError:
            kind, base = _T.TOKEN_EMBD, ""
        if kind not in _LORA_TENSORS or not _LAYER_RE.match(module):
            raise GGUFWriteError(f"unsupported LoRA target {key!r}: only attention and MLP projections")
        a = np.asarray(a_raw, dtype=np.float32)
        b = np.asarray(b_raw, dtype=np.float32)
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
            raise GGUFWriteError(f"{key}: A {a.shape} and B {b.shape} are not (r, in), (out, r)")
        if spec.permute_qk:
            if kind == _T.ATTN_Q:
                b = _permute(b, n_head, n_head)
            elif kind == _T.ATTN_K:
                b = _permute(b, n_head, n_head_kv)
        converted.append((f"{base}.lora_a", np.ascontiguousarray(a)))
        converted.append((f"{base}.lora_b", np.ascontiguousarray(b)))

    def fill(tmp: Path) -> None:
        writer = gguf.GGUFWriter(None, spec.name)
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_name(name)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
        writer.add_file_type(int(gguf.LlamaFileType.ALL_F32))
        for tensor_name, data in converted:
            writer.add_tensor(tensor_name, data)
        writer.write_header_to_file(path=tmp)
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()

    return _atomic_write(Path(path), fill)


__all__ = [
    "ARCHS",
    "HF_ARCHITECTURES",
    "REQUIRED_HPARAMS",
    "ROPE_TYPES",
    "TOKEN_BYTE",
    "TOKEN_CONTROL",
    "TOKEN_NORMAL",
    "TOKEN_UNKNOWN",
    "TOKEN_UNUSED",
    "TOKEN_USER_DEFINED",
    "ArchSpec",
    "GGUFTokenizer",
    "GGUFWriteError",
    "arch_spec",
    "gguf_tensor_name",
    "head_dim",
    "llama3_rope_factors",
    "lora_pairs_from_peft",
    "rope_type",
    "write_base_gguf",
    "write_lora_gguf",
]
