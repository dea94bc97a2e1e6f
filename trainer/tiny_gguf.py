"""Tiny random GGUF chat models and LoRA adapters, written with numpy (no torch, no download).

Fixtures for the model path: the chat smoke test (``journal-me doctor --smoke``), the engine,
chat, TUI and registry tests and the chat benchmark load these. They are written through the
production writer, :mod:`journal_me.llm.gguf_write`; the trainer's per-family twins (HF
models that train) live in :mod:`trainer.twins`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from journal_me.llm.gguf_write import (
    TOKEN_BYTE,
    TOKEN_CONTROL,
    TOKEN_NORMAL,
    TOKEN_UNKNOWN,
    TOKEN_UNUSED,
    TOKEN_USER_DEFINED,
    FloatArray,
    GGUFTokenizer,
    write_base_gguf,
    write_lora_gguf,
)
from journal_me.llm.gguf_write import (
    head_dim as _head_dim,
)

Arch = Literal["llama", "qwen2"]

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
    from gguf.vocab import bytes_to_unicode

    return dict(bytes_to_unicode())


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
    hd = _head_dim(hparams)
    q_out = int(hparams["num_attention_heads"]) * hd
    kv_out = int(hparams["num_key_value_heads"]) * hd

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
    return write_base_gguf(
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
    hd = _head_dim(hparams)
    widths = {
        "self_attn.q_proj": (hidden, int(hparams["num_attention_heads"]) * hd),
        "self_attn.k_proj": (hidden, int(hparams["num_key_value_heads"]) * hd),
        "self_attn.v_proj": (hidden, int(hparams["num_key_value_heads"]) * hd),
        "self_attn.o_proj": (int(hparams["num_attention_heads"]) * hd, hidden),
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
