"""Write llama-family GGUF files from numpy arrays: base models and LoRA adapters.

Why this exists: the project must prove its whole model path (load, chat template, stream,
LoRA) without downloading anything, and the trainer must turn a tiny Hugging Face model into
a base GGUF plus a LoRA GGUF whose logits it can compare. llama.cpp's own converters need
torch and a checkpoint directory; this module needs only numpy and the ``gguf`` package.

Input contract (shared with ``trainer/``):

* ``tensors`` use **Hugging Face names** and HF layouts (``nn.Linear.weight`` is
  ``(out_features, in_features)``), e.g. ``model.embed_tokens.weight``,
  ``model.layers.0.self_attn.q_proj.weight`` (+ ``.bias`` for qwen2),
  ``model.layers.0.mlp.gate_proj.weight``, ``model.norm.weight``, ``lm_head.weight``
  (optional: without it llama.cpp ties the output to the embeddings).
* ``hparams`` use HF ``config.json`` keys: ``vocab_size``, ``hidden_size``,
  ``intermediate_size``, ``num_hidden_layers``, ``num_attention_heads``,
  ``num_key_value_heads``, ``max_position_embeddings``, ``rms_norm_eps``, ``rope_theta``
  (optional ``head_dim``).
* For ``arch="llama"`` q/k projections are permuted exactly as llama.cpp's
  ``convert_hf_to_gguf.py`` (``LlamaModel.permute``) does, because llama.cpp applies the
  "normal" (interleaved) RoPE while HF applies the rotate-half form. Qwen2 uses NEOX RoPE in
  llama.cpp, which matches HF, so nothing is permuted there.
* LoRA pairs for :func:`write_lora_gguf` are keyed by HF module name
  (``model.layers.0.self_attn.q_proj``) and hold PEFT's ``(lora_A, lora_B)`` with shapes
  ``(r, in_features)`` and ``(out_features, r)``; llama.cpp computes
  ``W + scale * alpha / r * B @ A``. :func:`lora_pairs_from_peft` groups a PEFT state dict.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Arch = Literal["llama", "qwen2"]
FloatArray = npt.NDArray[np.floating[Any]]

# gguf.TokenType values, repeated here so callers need not import gguf.
TOKEN_NORMAL = 1
TOKEN_UNKNOWN = 2
TOKEN_CONTROL = 3
TOKEN_USER_DEFINED = 4
TOKEN_UNUSED = 5
TOKEN_BYTE = 6

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
"""Qwen-style ChatML, as Qwen2.5 instruct GGUFs embed it."""

CHATML_THINK_PREFILL_TEMPLATE = CHATML_TEMPLATE.replace(
    "'<|im_start|>assistant\\n'", "'<|im_start|>assistant\\n<think>\\n'"
)
"""ChatML whose generation prompt pre-fills ``<think>`` (the DeepSeek-R1-distill habit), so
model output starts inside the reasoning and only ``</think>`` appears."""

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
_LAYER_MAP = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.v_proj.bias": "attn_v.bias",
    "self_attn.o_proj.weight": "attn_output.weight",
    "self_attn.o_proj.bias": "attn_output.bias",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}
_GLOBAL_MAP = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
_LORA_TARGETS = (
    "self_attn.q_proj",
    "self_attn.k_proj",
    "self_attn.v_proj",
    "self_attn.o_proj",
    "mlp.gate_proj",
    "mlp.up_proj",
    "mlp.down_proj",
)


class GGUFWriteError(ValueError):
    """The tensors, hyper-parameters or tokenizer given cannot make a valid GGUF."""


@dataclass(frozen=True)
class GGUFTokenizer:
    """The vocabulary part of a GGUF (``tokenizer.ggml.*``).

    ``model="llama"`` is SentencePiece-style: tokens use ``▁`` for spaces, byte fallback tokens
    ``<0x00>``…``<0xFF>`` have type BYTE, and ``scores`` rank merges (higher first).
    ``model="gpt2"`` is byte-level BPE: tokens are in GPT-2's byte-to-unicode alphabet
    (``Ġ`` is a space) and ``merges`` (``"Ġ t"``) are in rank order; ``pre`` names the
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
        ):
            if tid is not None and not 0 <= tid < n:
                raise GGUFWriteError(f"{label} id {tid} is outside the {n}-token vocab")

    def token_id(self, text: str) -> int:
        """Id of a token by its exact text (tests and templates use this)."""
        try:
            return list(self.tokens).index(text)
        except ValueError:
            raise KeyError(text) from None


# --------------------------------------------------------------------------- writing


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


def gguf_tensor_name(hf_name: str) -> str:
    """Map one HF tensor name to its GGUF name (``blk.N.attn_q.weight``)."""
    if hf_name in _GLOBAL_MAP:
        return _GLOBAL_MAP[hf_name]
    match = _LAYER_RE.match(hf_name)
    if match and match.group(2) in _LAYER_MAP:
        return f"blk.{match.group(1)}.{_LAYER_MAP[match.group(2)]}"
    raise GGUFWriteError(f"unsupported tensor {hf_name!r} for a llama-family GGUF")


def _check_hparams(hparams: Mapping[str, Any]) -> None:
    missing = [k for k in REQUIRED_HPARAMS if k not in hparams]
    if missing:
        raise GGUFWriteError(f"hparams lack {', '.join(missing)}")


def _head_dim(hparams: Mapping[str, Any]) -> int:
    head_dim = hparams.get("head_dim")
    if head_dim is None:
        return int(hparams["hidden_size"]) // int(hparams["num_attention_heads"])
    return int(head_dim)


def _prepare(array: Any, *, dtype: Literal["f32", "f16"], is_matrix: bool) -> FloatArray:
    data = np.ascontiguousarray(np.asarray(array, dtype=np.float32))
    if dtype == "f16" and is_matrix:
        return data.astype(np.float16)
    return data


def _atomic_write(path: Path, fill: Any) -> Path:
    """Run ``fill(tmp_path)`` then fsync and ``os.replace`` so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        fill(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
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
    if tok.bos_id is not None:
        writer.add_bos_token_id(tok.bos_id)
    if tok.eos_id is not None:
        writer.add_eos_token_id(tok.eos_id)
    if tok.unk_id is not None:
        writer.add_unk_token_id(tok.unk_id)
    if tok.pad_id is not None:
        writer.add_pad_token_id(tok.pad_id)
    writer.add_add_bos_token(tok.add_bos)
    writer.add_add_eos_token(tok.add_eos)
    if tok.add_space_prefix is not None:
        writer.add_add_space_prefix(tok.add_space_prefix)


def write_llama_gguf(
    path: str | os.PathLike[str],
    *,
    arch: Arch,
    hparams: Mapping[str, Any],
    tensors: Mapping[str, Any],
    tokenizer: GGUFTokenizer,
    chat_template: str | None,
    name: str = "journal-me-tiny",
    dtype: Literal["f32", "f16"] = "f32",
) -> Path:
    """Write a base-model GGUF that llama.cpp loads as ``arch``.

    ``tensors`` are HF-named arrays (numpy, or anything ``np.asarray`` accepts: convert torch
    tensors with ``.float().numpy()``). ``dtype="f16"`` stores matrices as float16 (norms and
    biases stay float32, as llama.cpp's converter does); keep ``f32`` when comparing logits.
    The file appears atomically. Rotary ``inv_freq`` buffers are skipped.
    """
    import gguf  # lazy: only model-writing code needs it

    if arch not in ("llama", "qwen2"):
        raise GGUFWriteError(f"unsupported arch {arch!r} (llama or qwen2)")
    _check_hparams(hparams)
    n_vocab = int(hparams["vocab_size"])
    if len(tokenizer.tokens) != n_vocab:
        raise GGUFWriteError(f"tokenizer has {len(tokenizer.tokens)} tokens but vocab_size is {n_vocab}")
    n_head = int(hparams["num_attention_heads"])
    n_head_kv = int(hparams["num_key_value_heads"])
    n_layer = int(hparams["num_hidden_layers"])

    converted: list[tuple[str, FloatArray]] = []
    for hf_name, array in tensors.items():
        if hf_name.endswith("rotary_emb.inv_freq"):
            continue
        gguf_name = gguf_tensor_name(hf_name)
        data = np.asarray(array, dtype=np.float32)
        if arch == "llama":
            if hf_name.endswith(("q_proj.weight", "q_proj.bias")):
                data = _permute(data, n_head, n_head)
            elif hf_name.endswith(("k_proj.weight", "k_proj.bias")):
                data = _permute(data, n_head, n_head_kv)
        converted.append((gguf_name, _prepare(data, dtype=dtype, is_matrix=data.ndim == 2)))
    names = {n for n, _ in converted}
    for required in ("token_embd.weight", "output_norm.weight"):
        if required not in names:
            raise GGUFWriteError(f"missing {required} (HF model.embed_tokens / model.norm)")
    for layer in range(n_layer):
        for part in ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"):
            if f"blk.{layer}.{part}.weight" not in names:
                raise GGUFWriteError(f"missing weights for blk.{layer}.{part}")

    def fill(tmp: Path) -> None:
        writer = gguf.GGUFWriter(None, arch)
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
        if arch == "llama":
            writer.add_rope_dimension_count(_head_dim(hparams))
        if "head_dim" in hparams:
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
    arch: Arch,
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
    import gguf

    if arch not in ("llama", "qwen2"):
        raise GGUFWriteError(f"unsupported arch {arch!r} (llama or qwen2)")
    if not lora:
        raise GGUFWriteError("an adapter needs at least one LoRA pair")
    n_head = n_head_kv = 0
    if arch == "llama":
        if hparams is None or not {"num_attention_heads", "num_key_value_heads"} <= set(hparams):
            raise GGUFWriteError("llama adapters need hparams with the head counts")
        n_head = int(hparams["num_attention_heads"])
        n_head_kv = int(hparams["num_key_value_heads"])

    converted: list[tuple[str, FloatArray]] = []
    for key, (a_raw, b_raw) in lora.items():
        module = _module_name(key)
        match = _LAYER_RE.match(module)
        if not match or match.group(2) not in _LORA_TARGETS:
            raise GGUFWriteError(f"unsupported LoRA target {key!r}: only attention and MLP projections")
        a = np.asarray(a_raw, dtype=np.float32)
        b = np.asarray(b_raw, dtype=np.float32)
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
            raise GGUFWriteError(f"{key}: A {a.shape} and B {b.shape} are not (r, in), (out, r)")
        if arch == "llama":
            if module.endswith("q_proj"):
                b = _permute(b, n_head, n_head)
            elif module.endswith("k_proj"):
                b = _permute(b, n_head, n_head_kv)
        base = gguf_tensor_name(f"{module}.weight")
        converted.append((f"{base}.lora_a", np.ascontiguousarray(a)))
        converted.append((f"{base}.lora_b", np.ascontiguousarray(b)))

    def fill(tmp: Path) -> None:
        writer = gguf.GGUFWriter(None, arch)
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


# --------------------------------------------------------------------------- tiny model

TINY_HIDDEN = 64
TINY_LAYERS = 2
TINY_HEADS = 4
TINY_KV_HEADS = 2
TINY_FF = 128
TINY_CTX = 2048

CHAT_MARKERS = ("<|im_start|>", "<|im_end|>")
THINK_MARKERS = ("<think>", "</think>")

_WORDS: tuple[str, ...] = (
    "I",
    "a",
    "an",
    "the",
    "to",
    "and",
    "of",
    "in",
    "on",
    "at",
    "it",
    "is",
    "was",
    "am",
    "are",
    "be",
    "felt",
    "feel",
    "today",
    "yesterday",
    "tomorrow",
    "morning",
    "evening",
    "night",
    "walk",
    "walked",
    "wrote",
    "write",
    "journal",
    "think",
    "thought",
    "remember",
    "remembered",
    "friend",
    "friends",
    "mother",
    "father",
    "sister",
    "brother",
    "work",
    "home",
    "coffee",
    "tea",
    "rain",
    "sun",
    "garden",
    "book",
    "read",
    "run",
    "ran",
    "slept",
    "sleep",
    "happy",
    "tired",
    "calm",
    "worried",
    "grateful",
    "hope",
    "plan",
    "week",
    "day",
    "year",
    "because",
    "but",
    "so",
    "then",
    "with",
    "my",
    "me",
    "you",
    "we",
    "they",
    "what",
    "why",
    "how",
    "yes",
    "no",
    "maybe",
)
_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?;:'\"-()[]#*/_\n"


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable-unicode table used by byte-level BPE vocabs."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars = list(printable)
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars, strict=True)}


def _prefixes(word: str) -> Iterable[str]:
    for end in range(2, len(word) + 1):
        yield word[:end]


def tiny_spm_tokenizer() -> GGUFTokenizer:
    """A SentencePiece-style vocab: <unk> <s> </s>, 256 byte tokens, ChatML and think
    markers, single characters and ``▁word`` pieces (every prefix, so merges reach them)."""
    tokens: list[str] = ["<unk>", "<s>", "</s>"]
    types = [TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_CONTROL]
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [TOKEN_BYTE] * 256
    tokens += list(CHAT_MARKERS)
    types += [TOKEN_CONTROL] * len(CHAT_MARKERS)
    tokens += list(THINK_MARKERS)
    types += [TOKEN_USER_DEFINED] * len(THINK_MARKERS)
    n_special = len(tokens)
    pieces: list[str] = ["▁", *(c for c in _CHARS if c != "\n")]
    seen = set(pieces)
    for word in _WORDS:
        for prefix in _prefixes("▁" + word):
            if prefix not in seen:
                seen.add(prefix)
                pieces.append(prefix)
    tokens += pieces
    types += [TOKEN_NORMAL] * len(pieces)
    # Longer pieces score higher so the SPM merge loop prefers whole words.
    scores = [0.0] * n_special + [float(len(p)) - i * 1e-4 for i, p in enumerate(pieces)]
    return GGUFTokenizer(
        model="llama",
        tokens=tokens,
        token_types=types,
        scores=scores,
        bos_id=1,
        eos_id=tokens.index("<|im_end|>"),
        unk_id=0,
        pad_id=0,
        add_bos=True,
        add_space_prefix=False,
    )


def tiny_bpe_tokenizer() -> GGUFTokenizer:
    """A byte-level BPE vocab in the Qwen2 style: 256 byte symbols, ``Ġword`` merges,
    ``<|endoftext|>`` plus the ChatML and think markers."""
    byte_chars = list(_bytes_to_unicode().values())
    tokens: list[str] = list(byte_chars)
    seen = set(tokens)
    merges: list[str] = []
    space = _bytes_to_unicode()[ord(" ")]
    for word in _WORDS:
        spelled = space + word
        for end in range(2, len(spelled) + 1):
            merged = spelled[:end]
            if merged not in seen:
                seen.add(merged)
                tokens.append(merged)
                merges.append(f"{spelled[: end - 1]} {spelled[end - 1]}")
    types = [TOKEN_NORMAL] * len(tokens)
    specials = ["<|endoftext|>", *CHAT_MARKERS]
    tokens += specials
    types += [TOKEN_CONTROL] * len(specials)
    tokens += list(THINK_MARKERS)
    types += [TOKEN_USER_DEFINED] * len(THINK_MARKERS)
    eot = tokens.index("<|endoftext|>")
    return GGUFTokenizer(
        model="gpt2",
        tokens=tokens,
        token_types=types,
        merges=merges,
        pre="qwen2",
        bos_id=eot,
        eos_id=tokens.index("<|im_end|>"),
        pad_id=eot,
        add_bos=False,
    )


def tiny_hparams(vocab_size: int) -> dict[str, Any]:
    """HF-style config of the tiny model (hidden 64, 2 layers, GQA 4/2 heads)."""
    return {
        "vocab_size": vocab_size,
        "hidden_size": TINY_HIDDEN,
        "intermediate_size": TINY_FF,
        "num_hidden_layers": TINY_LAYERS,
        "num_attention_heads": TINY_HEADS,
        "num_key_value_heads": TINY_KV_HEADS,
        "max_position_embeddings": TINY_CTX,
        "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0,
    }


def tiny_tensors(
    hparams: Mapping[str, Any],
    tokenizer: GGUFTokenizer,
    *,
    seed: int = 0,
    arch: Arch = "llama",
) -> dict[str, FloatArray]:
    """Random HF-named weights that still generate readable word salad.

    Residual dimension 0 is a constant "bias lane": every embedding holds ``+4`` there and no
    layer writes to it, so after the final RMSNorm it is a large positive constant. The
    lm_head column 0 then pushes control tokens (``<|im_end|>``, ``<s>``), the think markers
    and byte tokens far down and whole words up. Result: valid UTF-8 word salad that runs until
    ``max_tokens`` instead of stopping at a random end-of-turn, which keeps the streaming and
    cancel tests deterministic.
    """
    rng = np.random.default_rng(seed)
    n_vocab = int(hparams["vocab_size"])
    hidden = int(hparams["hidden_size"])
    ff = int(hparams["intermediate_size"])
    head_dim = _head_dim(hparams)
    q_out = int(hparams["num_attention_heads"]) * head_dim
    kv_out = int(hparams["num_key_value_heads"]) * head_dim

    def mat(rows: int, cols: int, scale: float) -> FloatArray:
        return rng.normal(0.0, scale, size=(rows, cols)).astype(np.float32)

    embed = mat(n_vocab, hidden, 1.0)
    embed[:, 0] = 4.0
    lm_head = mat(n_vocab, hidden, 0.6)
    lm_head[:, 0] = 0.0
    byte_of = {char: byte for byte, char in _bytes_to_unicode().items()}
    whole_words = {prefix + w for w in _WORDS for prefix in ("▁", "Ġ")}
    for tid, ttype in enumerate(tokenizer.token_types):
        text = tokenizer.tokens[tid]
        if ttype in (TOKEN_CONTROL, TOKEN_UNKNOWN, TOKEN_UNUSED, TOKEN_USER_DEFINED):
            lm_head[tid, 0] = -8.0  # never end the turn, never emit <think> by chance
        elif ttype == TOKEN_BYTE:
            # A lone byte token is broken UTF-8, which llama-cpp-python's streaming holds
            # back and re-decodes at every later step (cubic time): never sample one.
            lm_head[tid, 0] = -8.0
        elif tokenizer.model == "gpt2" and text in byte_of:
            plain = chr(byte_of[text])  # byte-level symbol -> the byte it stands for
            lm_head[tid, 0] = -3.0 if plain.isascii() and (plain.isalpha() or plain in ",.") else -8.0
        elif text in whole_words:
            lm_head[tid, 0] = 1.0  # prefer whole words over word prefixes
        else:
            lm_head[tid, 0] = -1.0

    tensors: dict[str, FloatArray] = {
        "model.embed_tokens.weight": embed,
        "model.norm.weight": np.ones(hidden, dtype=np.float32),
        "lm_head.weight": lm_head,
    }
    for layer in range(int(hparams["num_hidden_layers"])):
        prefix = f"model.layers.{layer}."
        o_proj = mat(hidden, q_out, 0.15)
        down = mat(hidden, ff, 0.15)
        o_proj[0, :] = 0.0  # keep the bias lane constant
        down[0, :] = 0.0
        tensors.update(
            {
                prefix + "input_layernorm.weight": np.ones(hidden, dtype=np.float32),
                prefix + "post_attention_layernorm.weight": np.ones(hidden, dtype=np.float32),
                prefix + "self_attn.q_proj.weight": mat(q_out, hidden, 0.2),
                prefix + "self_attn.k_proj.weight": mat(kv_out, hidden, 0.2),
                prefix + "self_attn.v_proj.weight": mat(kv_out, hidden, 0.2),
                prefix + "self_attn.o_proj.weight": o_proj,
                prefix + "mlp.gate_proj.weight": mat(ff, hidden, 0.2),
                prefix + "mlp.up_proj.weight": mat(ff, hidden, 0.2),
                prefix + "mlp.down_proj.weight": down,
            }
        )
        if arch == "qwen2":
            for proj, width in (("q_proj", q_out), ("k_proj", kv_out), ("v_proj", kv_out)):
                bias = rng.normal(0.0, 0.05, size=width).astype(np.float32)
                tensors[prefix + f"self_attn.{proj}.bias"] = bias
    return tensors


def build_tiny_gguf(
    path: str | os.PathLike[str],
    *,
    seed: int = 0,
    arch: Arch = "llama",
    chat_template: str | None = CHATML_TEMPLATE,
) -> Path:
    """Write a random tiny chat model (hidden 64, 2 layers, ~500 tokens, < 1 MB) that
    llama-cpp-python loads and streams from. Same seed, same bytes.

    ``arch="llama"`` gets the SentencePiece vocab with byte tokens; ``arch="qwen2"`` the
    byte-level BPE vocab and q/k/v biases. ``chat_template=None`` writes no template (to test
    the engine's refusal to fall back to llama-2 formatting).
    """
    tokenizer = tiny_spm_tokenizer() if arch == "llama" else tiny_bpe_tokenizer()
    hparams = tiny_hparams(len(tokenizer.tokens))
    tensors = tiny_tensors(hparams, tokenizer, seed=seed, arch=arch)
    return write_llama_gguf(
        path,
        arch=arch,
        hparams=hparams,
        tensors=tensors,
        tokenizer=tokenizer,
        chat_template=chat_template,
        name=f"journal-me-tiny-{arch}",
    )


def tiny_lora(
    hparams: Mapping[str, Any],
    *,
    seed: int = 1,
    rank: int = 4,
    targets: Sequence[str] = ("self_attn.q_proj", "self_attn.v_proj", "mlp.down_proj"),
    scale: float = 0.5,
) -> dict[str, tuple[FloatArray, FloatArray]]:
    """Random LoRA pairs for the tiny model (non-zero B, unlike a fresh PEFT adapter, so the
    output visibly changes)."""
    rng = np.random.default_rng(seed)
    hidden = int(hparams["hidden_size"])
    ff = int(hparams["intermediate_size"])
    head_dim = _head_dim(hparams)
    widths = {
        "self_attn.q_proj": (hidden, int(hparams["num_attention_heads"]) * head_dim),
        "self_attn.k_proj": (hidden, int(hparams["num_key_value_heads"]) * head_dim),
        "self_attn.v_proj": (hidden, int(hparams["num_key_value_heads"]) * head_dim),
        "self_attn.o_proj": (int(hparams["num_attention_heads"]) * head_dim, hidden),
        "mlp.gate_proj": (hidden, ff),
        "mlp.up_proj": (hidden, ff),
        "mlp.down_proj": (ff, hidden),
    }
    pairs: dict[str, tuple[FloatArray, FloatArray]] = {}
    for layer in range(int(hparams["num_hidden_layers"])):
        for target in targets:
            fan_in, fan_out = widths[target]
            a = rng.normal(0.0, scale, size=(rank, fan_in)).astype(np.float32)
            b = rng.normal(0.0, scale, size=(fan_out, rank)).astype(np.float32)
            if target in ("self_attn.o_proj", "mlp.down_proj"):
                b[0, :] = 0.0  # leave the bias lane alone
            pairs[f"model.layers.{layer}.{target}"] = (a, b)
    return pairs


def build_tiny_adapter(
    path: str | os.PathLike[str],
    *,
    arch: Arch = "llama",
    seed: int = 1,
    rank: int = 4,
    alpha: float = 8.0,
) -> Path:
    """A random LoRA adapter GGUF that fits :func:`build_tiny_gguf` of the same ``arch``."""
    tokenizer = tiny_spm_tokenizer() if arch == "llama" else tiny_bpe_tokenizer()
    hparams = tiny_hparams(len(tokenizer.tokens))
    return write_lora_gguf(
        path,
        arch=arch,
        lora=tiny_lora(hparams, seed=seed, rank=rank),
        alpha=alpha,
        hparams=hparams,
    )
