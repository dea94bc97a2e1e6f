"""Export a PEFT LoRA adapter as a GGUF LoRA adapter for llama.cpp — never a merged model.

The nightly run publishes only the small adapter; the base GGUF is converted once. The file
matches what ``convert_lora_to_gguf.py`` (llama.cpp, vendored in the llama-cpp-python sdist)
writes, through the project's one writer, ``journal_me.llm.gguf_write.write_lora_gguf``:

- KV ``general.architecture`` (= the base's, or llama.cpp refuses: "model arch and LoRA arch
  mismatch"), ``general.type = adapter``, ``adapter.type = lora``, ``adapter.lora.alpha``;
- tensors ``blk.N.<name>.weight.lora_a`` shaped ``(r, in)`` and ``.lora_b`` ``(out, r)``
  (ggml ``ne = [in, r]`` / ``[r, out]``, the shapes llama.cpp validates);
- for llama, ``lora_b`` of q/k gets the base weights' row permutation (llama.cpp uses
  interleaved RoPE, HF rotate-half; ``B @ A`` has ``B``'s output rows). Qwen2: none.

llama.cpp scales each delta by ``lora_scale · alpha / rank`` and knows nothing else, so
adapters it would silently mis-apply are refused here: rsLoRA (``alpha/√r``), DoRA
(magnitude vectors), per-module ``alpha_pattern``, trained biases, full modules
(``modules_to_save``) and anything on embeddings or lm_head. A per-module ``rank_pattern``
is fine: llama.cpp reads each tensor's rank.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from journal_me.llm.gguf_write import lora_pairs_from_peft, write_lora_gguf
from trainer.gguf_base import (
    GGUFConversionError,
    convert_base_to_gguf,
    inference_chat_template,
    read_base_config,
    to_numpy_f32,
)

__all__ = [
    "AdapterExportError",
    "ExportedAdapter",
    "GGUFConversionError",
    "convert_base_to_gguf",
    "export_adapter_gguf",
    "inference_chat_template",
    "validate_adapter_config",
]

_EMBEDDING_MARKERS = ("embed_tokens", "lm_head", "lora_embedding", "wte", "tok_embeddings")


class AdapterExportError(GGUFConversionError):
    """The adapter uses a LoRA variant llama.cpp cannot apply faithfully."""


@dataclass(frozen=True)
class ExportedAdapter:
    path: Path
    arch: str
    alpha: float
    modules: int  # number of adapted linear layers (lora_a/lora_b pairs)


def validate_adapter_config(cfg: dict[str, Any], where: str = "adapter") -> None:
    """Raise ``AdapterExportError`` unless llama.cpp would apply this LoRA exactly as PEFT."""
    problems: list[str] = []
    if cfg.get("peft_type", "LORA") != "LORA":
        problems.append(f"peft_type is {cfg.get('peft_type')!r}, only LORA is supported")
    if cfg.get("use_rslora"):
        problems.append("rsLoRA (use_rslora) scales by alpha/sqrt(r); llama.cpp uses alpha/r")
    if cfg.get("use_dora"):
        problems.append("DoRA (use_dora) has magnitude vectors llama.cpp cannot apply")
    if cfg.get("alpha_pattern"):
        problems.append("a per-module alpha_pattern is not representable (one alpha per file)")
    if cfg.get("bias", "none") != "none" or cfg.get("lora_bias"):
        problems.append("trained biases (bias != 'none' or lora_bias) are not exported")
    if cfg.get("modules_to_save") or cfg.get("trainable_token_indices"):
        problems.append("modules_to_save / trainable tokens are full weights, not a LoRA")
    targets = cfg.get("target_modules") or []
    if isinstance(targets, str):
        targets = [targets]
    if any(marker in t for t in targets for marker in _EMBEDDING_MARKERS):
        problems.append("adapters on embeddings or lm_head are rejected by llama.cpp")
    if problems:
        raise AdapterExportError(f"{where}: cannot export to GGUF: " + "; ".join(problems))


def _load_adapter_tensors(adapter_dir: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    file = adapter_dir / "adapter_model.safetensors"
    if not file.is_file():
        raise AdapterExportError(f"{adapter_dir}: no adapter_model.safetensors")
    tensors = load_file(str(file), device="cpu")
    for key in tensors:
        if any(marker in key for marker in _EMBEDDING_MARKERS):
            raise AdapterExportError(f"{file}: {key!r} adapts embeddings or lm_head, which llama.cpp rejects")
    return {key: to_numpy_f32(t) for key, t in tensors.items()}


def export_adapter_gguf(
    adapter_dir: Path | str, base_dir: Path | str, out_path: Path | str
) -> ExportedAdapter:
    """Write the PEFT adapter in ``adapter_dir``, trained on the HF model in ``base_dir``
    (only its ``config.json`` is read), as a GGUF LoRA at ``out_path``, atomically."""
    src = Path(adapter_dir)
    try:
        cfg = json.loads((src / "adapter_config.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AdapterExportError(f"{src}: no adapter_config.json — not a PEFT adapter") from exc
    validate_adapter_config(cfg, str(src))
    info = read_base_config(base_dir)
    pairs = lora_pairs_from_peft(_load_adapter_tensors(src))
    if not pairs:
        raise AdapterExportError(f"{src}: the adapter holds no LoRA tensors")
    alpha = float(cfg["lora_alpha"])
    path = write_lora_gguf(
        out_path,
        arch=info.arch,
        lora=pairs,
        alpha=alpha,
        hparams=info.hparams,
        name=src.name,
    )
    return ExportedAdapter(path=path, arch=info.arch, alpha=alpha, modules=len(pairs))
