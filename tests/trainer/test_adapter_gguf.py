"""GGUF adapter export: the metadata llama.cpp checks, and refusal of LoRA variants."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from trainer.export import (
    AdapterExportError,
    export_adapter_gguf,
    inference_chat_template,
    validate_adapter_config,
)
from trainer.tiny import CHATML_TRAINING_TEMPLATE


def _field(reader: Any, key: str) -> Any:
    return reader.fields[key].contents()


def test_exported_adapter_has_llama_cpp_layout(
    tiny_models: dict[str, Path], sft_adapter: tuple[Any, Any], tmp_path: Path
) -> None:
    import gguf

    sft, _ = sft_adapter
    out = export_adapter_gguf(sft.adapter_dir, tiny_models["llama"], tmp_path / "a.gguf")
    assert (out.arch, out.alpha, out.modules) == ("llama", 16.0, 2 * 7)
    reader = gguf.GGUFReader(str(out.path))
    assert _field(reader, "general.architecture") == "llama"
    assert _field(reader, "general.type") == "adapter"
    assert _field(reader, "adapter.type") == "lora"
    assert _field(reader, "adapter.lora.alpha") == pytest.approx(16.0)
    shapes = {t.name: [int(x) for x in t.shape] for t in reader.tensors}
    # ggml ne order: lora_a is [in, r], lora_b is [r, out]
    assert shapes["blk.0.attn_q.weight.lora_a"] == [64, 8]
    assert shapes["blk.0.attn_q.weight.lora_b"] == [8, 64]
    assert shapes["blk.1.attn_k.weight.lora_b"] == [8, 32]
    assert shapes["blk.1.ffn_down.weight.lora_a"] == [128, 8]
    assert len(shapes) == 2 * 2 * 7
    assert not any("token_embd" in n or n.startswith("output") for n in shapes)


@pytest.mark.parametrize(
    ("patch", "match"),
    [
        ({"use_rslora": True}, "rsLoRA"),
        ({"use_dora": True}, "DoRA"),
        ({"target_modules": ["q_proj", "embed_tokens"]}, "embeddings"),
        ({"modules_to_save": ["lm_head"]}, "modules_to_save"),
        ({"alpha_pattern": {"q_proj": 32}}, "alpha_pattern"),
        ({"bias": "lora_only"}, "biases"),
    ],
)
def test_unfaithful_lora_variants_are_refused(patch: dict[str, Any], match: str) -> None:
    cfg = {"peft_type": "LORA", "r": 8, "lora_alpha": 16, "target_modules": ["q_proj"]}
    with pytest.raises(AdapterExportError, match=match):
        validate_adapter_config({**cfg, **patch})


def test_export_refuses_a_dora_adapter_on_disk(
    tiny_models: dict[str, Path], sft_adapter: tuple[Any, Any], tmp_path: Path
) -> None:
    sft, _ = sft_adapter
    copy = shutil.copytree(sft.adapter_dir, tmp_path / "dora")
    cfg_file = copy / "adapter_config.json"
    cfg_file.write_text(json.dumps({**json.loads(cfg_file.read_text()), "use_dora": True}))
    with pytest.raises(AdapterExportError, match="DoRA"):
        export_adapter_gguf(copy, tiny_models["llama"], tmp_path / "x.gguf")
    assert not (tmp_path / "x.gguf").exists()


def test_export_refuses_embedding_tensors(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    adapter = tmp_path / "emb"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(
        json.dumps({"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"]})
    )
    save_file(
        {
            "base_model.model.model.embed_tokens.lora_embedding_A": torch.zeros(2, 514),
            "base_model.model.model.embed_tokens.lora_embedding_B": torch.zeros(64, 2),
        },
        str(adapter / "adapter_model.safetensors"),
    )
    with pytest.raises(AdapterExportError, match="embeddings"):
        export_adapter_gguf(adapter, tiny_models["llama"], tmp_path / "x.gguf")


def test_inference_template_drops_generation_markers() -> None:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    plain = inference_chat_template(CHATML_TRAINING_TEMPLATE)
    assert "{%- generation" not in plain and "endgeneration" not in plain
    messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]
    rendered = (
        ImmutableSandboxedEnvironment()
        .from_string(plain)
        .render(messages=messages, add_generation_prompt=False)
    )
    assert rendered == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nYo<|im_end|>\n"
