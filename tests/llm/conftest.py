"""Fixtures for the model layer: an isolated data dir, tiny GGUFs built once per session, a
shared engine, and a numpy reference forward pass (HF semantics) to check llama.cpp against."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from journal_me.config import Settings, load_settings
from trainer.tiny_gguf import build_tiny_adapter, build_tiny_gguf

F64 = npt.NDArray[np.float64]


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point config, data dir and vault at tmp: the user's files are never touched."""
    monkeypatch.setenv("JOURNAL_ME_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JOURNAL_ME_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("JOURNAL_ME_VAULT", str(tmp_path / "vault"))
    (tmp_path / "vault").mkdir()
    return tmp_path


@pytest.fixture
def settings(isolated: Path) -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def tiny_gguf(model_dir: Path) -> Path:
    return build_tiny_gguf(model_dir / "tiny-llama.gguf")


@pytest.fixture(scope="session")
def tiny_qwen2_gguf(model_dir: Path) -> Path:
    return build_tiny_gguf(model_dir / "tiny-qwen2.gguf", arch="qwen2")


@pytest.fixture(scope="session")
def tiny_adapter(model_dir: Path) -> Path:
    return build_tiny_adapter(model_dir / "tiny-llama-lora.gguf")


@pytest.fixture(scope="session")
def engine(tiny_gguf: Path) -> Iterator[Any]:
    from journal_me.llm.engine import Engine

    with Engine(tiny_gguf, n_ctx=512, n_threads=1) as shared:
        yield shared


def _rms(x: F64, weight: F64, eps: float) -> F64:
    out: F64 = x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * weight
    return out


def _rope(x: F64, theta: float) -> F64:
    """HF's rotate-half RoPE over (tokens, heads, head_dim)."""
    dim = x.shape[-1]
    inv = 1.0 / theta ** (np.arange(0, dim, 2) / dim)
    angles = np.arange(x.shape[0])[:, None] * inv[None, :]
    cos = np.concatenate([np.cos(angles)] * 2, -1)[:, None, :]
    sin = np.concatenate([np.sin(angles)] * 2, -1)[:, None, :]
    rotated = np.concatenate([-x[..., dim // 2 :], x[..., : dim // 2]], -1)
    out: F64 = x * cos + rotated * sin
    return out


def reference_logits(
    tensors: Mapping[str, Any],
    hparams: Mapping[str, Any],
    ids: list[int],
    *,
    lora: Mapping[str, tuple[Any, Any]] | None = None,
    alpha: float = 1.0,
    scale: float = 1.0,
) -> F64:
    """Logits of a llama/qwen2 decoder exactly as HF computes them (float64, no cache)."""
    t = {k: np.asarray(v, dtype=np.float64) for k, v in tensors.items()}
    for module, (a, b) in (lora or {}).items():
        a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
        t[module + ".weight"] = t[module + ".weight"] + scale * alpha / a64.shape[0] * (b64 @ a64)
    heads, kv_heads = int(hparams["num_attention_heads"]), int(hparams["num_key_value_heads"])
    head_dim = int(hparams["hidden_size"]) // heads
    eps, theta = float(hparams["rms_norm_eps"]), float(hparams["rope_theta"])
    x = t["model.embed_tokens.weight"][ids]
    n = len(ids)

    for layer in range(int(hparams["num_hidden_layers"])):
        p = f"model.layers.{layer}."

        def linear(name: str, h: F64, p: str = p) -> F64:
            y: F64 = h @ t[p + name + ".weight"].T
            if p + name + ".bias" in t:
                y = y + t[p + name + ".bias"]
            return y

        h = _rms(x, t[p + "input_layernorm.weight"], eps)
        q = _rope(linear("self_attn.q_proj", h).reshape(n, heads, head_dim), theta)
        k = _rope(linear("self_attn.k_proj", h).reshape(n, kv_heads, head_dim), theta)
        v = linear("self_attn.v_proj", h).reshape(n, kv_heads, head_dim)
        k = np.repeat(k, heads // kv_heads, axis=1)
        v = np.repeat(v, heads // kv_heads, axis=1)
        scores = np.einsum("thd,shd->hts", q, k) / np.sqrt(head_dim)
        scores[:, np.triu(np.ones((n, n), dtype=bool), 1)] = -np.inf
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        weights /= weights.sum(-1, keepdims=True)
        attended = np.einsum("hts,shd->thd", weights, v).reshape(n, heads * head_dim)
        x = x + linear("self_attn.o_proj", attended)
        h = _rms(x, t[p + "post_attention_layernorm.weight"], eps)
        gate, up = linear("mlp.gate_proj", h), linear("mlp.up_proj", h)
        x = x + linear("mlp.down_proj", gate / (1.0 + np.exp(-gate)) * up)
    x = _rms(x, t["model.norm.weight"], eps)
    head = t.get("lm_head.weight", t["model.embed_tokens.weight"])
    out: F64 = x @ head.T
    return out


@pytest.fixture
def hf_reference() -> Callable[..., F64]:
    return reference_logits
