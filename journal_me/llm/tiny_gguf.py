"""Deprecated import path (one release): the GGUF writer and the tiny fixtures were split.

* the production writer is :mod:`journal_me.llm.gguf_write`;
* the tiny random GGUF models and adapters are :mod:`trainer.tiny_gguf`.

Import from those; this module only re-exports them for existing callers.
"""

from __future__ import annotations

from journal_me.llm.gguf_write import (
    TOKEN_BYTE,
    TOKEN_CONTROL,
    TOKEN_NORMAL,
    TOKEN_UNKNOWN,
    TOKEN_UNUSED,
    TOKEN_USER_DEFINED,
    GGUFTokenizer,
    GGUFWriteError,
    gguf_tensor_name,
    lora_pairs_from_peft,
    write_base_gguf,
    write_lora_gguf,
)
from trainer.tiny_gguf import (
    CHAT_MARKERS,
    CHATML_TEMPLATE,
    CHATML_THINK_PREFILL_TEMPLATE,
    THINK_MARKERS,
    Arch,
    build_tiny_adapter,
    build_tiny_gguf,
    tiny_bpe_tokenizer,
    tiny_hparams,
    tiny_lora,
    tiny_spm_tokenizer,
    tiny_tensors,
)

write_llama_gguf = write_base_gguf  # the old name

__all__ = [
    "CHATML_TEMPLATE",
    "CHATML_THINK_PREFILL_TEMPLATE",
    "CHAT_MARKERS",
    "THINK_MARKERS",
    "TOKEN_BYTE",
    "TOKEN_CONTROL",
    "TOKEN_NORMAL",
    "TOKEN_UNKNOWN",
    "TOKEN_UNUSED",
    "TOKEN_USER_DEFINED",
    "Arch",
    "GGUFTokenizer",
    "GGUFWriteError",
    "build_tiny_adapter",
    "build_tiny_gguf",
    "gguf_tensor_name",
    "lora_pairs_from_peft",
    "tiny_bpe_tokenizer",
    "tiny_hparams",
    "tiny_lora",
    "tiny_spm_tokenizer",
    "tiny_tensors",
    "write_base_gguf",
    "write_llama_gguf",
    "write_lora_gguf",
]
