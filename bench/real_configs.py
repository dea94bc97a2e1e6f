"""Real-size random twins of the offered base models, from their ``transformers`` config classes.

No weights can be downloaded here, but a model's speed and memory depend only on its shape:
these are the published ``config.json`` values of each model (copied by hand from the
model cards' files on the Hugging Face Hub, November 2026), built with the family's own
config class and random weights. Shared by ``bench/cpu_train.py`` and ``bench/gpu_check.py``.
"""

from __future__ import annotations

from typing import Any

#: name -> (config class name, published config.json values that set the shape)
REAL_CONFIGS: dict[str, tuple[str, dict[str, Any]]] = {
    # Qwen/Qwen2.5-0.5B-Instruct/config.json
    "qwen2.5-0.5b": (
        "Qwen2Config",
        {
            "hidden_size": 896,
            "intermediate_size": 4864,
            "num_hidden_layers": 24,
            "num_attention_heads": 14,
            "num_key_value_heads": 2,
            "max_position_embeddings": 32768,
            "rope_theta": 1000000.0,
            "rms_norm_eps": 1e-6,
            "vocab_size": 151936,
            "tie_word_embeddings": True,
            "hidden_act": "silu",
            "use_sliding_window": False,
            "bos_token_id": 151643,
            "eos_token_id": 151645,
        },
    ),
    # Qwen/Qwen2.5-1.5B-Instruct/config.json
    "qwen2.5-1.5b": (
        "Qwen2Config",
        {
            "hidden_size": 1536,
            "intermediate_size": 8960,
            "num_hidden_layers": 28,
            "num_attention_heads": 12,
            "num_key_value_heads": 2,
            "max_position_embeddings": 32768,
            "rope_theta": 1000000.0,
            "rms_norm_eps": 1e-6,
            "vocab_size": 151936,
            "tie_word_embeddings": True,
            "hidden_act": "silu",
            "use_sliding_window": False,
            "bos_token_id": 151643,
            "eos_token_id": 151645,
        },
    ),
    # Qwen/Qwen3-1.7B/config.json
    "qwen3-1.7b": (
        "Qwen3Config",
        {
            "hidden_size": 2048,
            "intermediate_size": 6144,
            "num_hidden_layers": 28,
            "num_attention_heads": 16,
            "num_key_value_heads": 8,
            "head_dim": 128,
            "max_position_embeddings": 40960,
            "rope_theta": 1000000,
            "rms_norm_eps": 1e-6,
            "vocab_size": 151936,
            "tie_word_embeddings": True,
            "hidden_act": "silu",
            "attention_bias": False,
            "bos_token_id": 151643,
            "eos_token_id": 151645,
        },
    ),
}

#: The families' tiny stand-ins for ``--dry-run`` and tests (same config class, shrunk).
TINY_OVERRIDES: dict[str, Any] = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 512,
    "max_position_embeddings": 2048,
    "bos_token_id": 0,
    "eos_token_id": 1,
}


def make_config(name: str, *, tiny: bool = False) -> Any:
    """The ``transformers`` config of ``name`` (real size, or shrunk with ``tiny``)."""
    import transformers

    cls_name, values = REAL_CONFIGS[name]
    values = dict(values)
    if tiny:
        values.update(TINY_OVERRIDES)
        if "head_dim" in values:
            values["head_dim"] = 16
    return getattr(transformers, cls_name)(**values)


def random_model(name: str, *, dtype: Any = None, tiny: bool = False, seed: int = 0) -> Any:
    """A randomly initialised causal LM with the shape of ``name``."""
    import torch
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    config = make_config(name, tiny=tiny)
    return AutoModelForCausalLM.from_config(config, dtype=dtype or torch.float32)


def parameter_count(model: Any) -> int:
    return sum(p.numel() for p in model.parameters())
