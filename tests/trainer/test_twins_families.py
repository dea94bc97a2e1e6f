"""Every catalogue family trains and speaks end to end, proven on its architecture twin.

For each family in ``trainer.twins.FAMILIES`` (the real transformers config class, shrunk,
random weights, the family's tokenizer type and chat format): the real nightly pipeline runs
on the sample vault — synthesis → filter → SFT (TRL + PEFT, CPU) → DPO → GGUF LoRA export →
gate — then llama.cpp loads the twin's base GGUF plus the exported adapter and must produce the
logits of HF base + the PEFT adapter (max |Δlogit| ≤ 1e-4 on the same tokens), and a chat turn
streams through the reasoning splitter. Twins are built once per session.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from trainer.twins import FAMILIES

llama_cpp = pytest.importorskip("llama_cpp")

TOLERANCE = 1e-4
TEXT = (
    "Ran 5K by the river with Sam this morning. #running\n"
    "<think>Why did I skip Tuesday?</think> Héllo, 2025-03-14: 12345 steps!\n"
) * 4


@pytest.fixture(scope="session")
def twin_models(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[Path, Path]]:
    """``twin(family) -> (hf_dir, base_gguf)``, each built once per session on first use."""
    from trainer.export import convert_base_to_gguf
    from trainer.twins import build_twin

    root = tmp_path_factory.mktemp("twins")
    built: dict[str, tuple[Path, Path]] = {}

    def twin(family: str) -> tuple[Path, Path]:
        if family not in built:
            hf = build_twin(family, root / family)
            built[family] = (hf, convert_base_to_gguf(hf, root / f"{family}.gguf"))
        return built[family]

    return twin


@pytest.fixture(autouse=True)
def _cpu_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same path on every machine: no GPU, on mains power."""
    from trainer import guards

    monkeypatch.setattr(guards, "gpu_status", lambda: guards.GpuStatus(False, detail="no NVIDIA GPU found"))
    monkeypatch.setattr(guards, "on_battery", lambda: False)


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_trains_exports_and_speaks(
    family: str,
    twin_models: Callable[[str], tuple[Path, Path]],
    make_vault: Callable[[Path], Path],
    train_config: Callable[..., Path],
    cpp_logits: Callable[..., Any],
    hf_logits: Callable[[Any, list[int]], Any],
    tmp_path: Path,
    record_property: Any,
) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from journal_me.config import load_settings
    from journal_me.llm.engine import Engine
    from journal_me.models import ModelRegistry
    from trainer.evaluate import GateConfig
    from trainer.nightly import TrainOptions, run_training

    hf_dir, base_gguf = twin_models(family)
    spec = FAMILIES[family]
    config = json.loads((hf_dir / "config.json").read_text())
    assert config["architectures"] == [spec.hf_architecture]

    # the real pipeline, on the sample vault, with the twin as the active base
    make_vault(tmp_path / "vault")
    train_config(tmp_path / "config.toml", n_threads=2, max_length=1024, max_tokens=24)
    env = {"JOURNAL_ME_DATA_DIR": str(tmp_path / "data"), "JOURNAL_ME_CONFIG": str(tmp_path / "config.toml")}
    settings = load_settings(vault=tmp_path / "vault", env=env)
    registry = ModelRegistry(settings)
    registry.register_base(base_gguf, name=f"twin-{family}", hf_dir=hf_dir)
    registry.use(f"twin-{family}")
    options = TrainOptions(
        allow_cpu=True, max_steps=2, memories=1, gate=GateConfig(max_items=2, max_tokens=12, n_threads=2)
    )
    outcome = run_training(settings, options)
    assert outcome.status in ("published", "refused"), outcome
    assert outcome.run_dir is not None
    report = outcome.report
    assert report["synthesis"]["examples"] > 0 and report["filter"]["train"] > 0
    assert len(report["losses"]["sft"]) == 2 and report["losses"]["dpo"]
    adapter_gguf = outcome.run_dir / "adapter.gguf"
    adapter_dir = outcome.run_dir / "dpo"
    assert adapter_gguf.is_file() and (adapter_dir / "adapter_config.json").is_file()

    # llama.cpp (twin base GGUF + exported adapter) == HF (twin + PEFT adapter)
    tokenizer = AutoTokenizer.from_pretrained(hf_dir)
    ids = tokenizer(TEXT)["input_ids"]
    model: Any = AutoModelForCausalLM.from_pretrained(hf_dir)
    model.eval()
    hf_base = hf_logits(model, ids)
    hf_lora = hf_logits(PeftModel.from_pretrained(model, str(adapter_dir)).eval(), ids)
    cpp_base = cpp_logits(base_gguf, ids)
    cpp_lora = cpp_logits(base_gguf, ids, adapter_gguf)
    base_diff = float(np.abs(cpp_base - hf_base).max())
    lora_diff = float(np.abs(cpp_lora - hf_lora).max())
    effect = float(np.abs(hf_lora - hf_base).max())
    record_property(f"{family}_delta_logit", lora_diff)
    print(f"{family}: base Δ {base_diff:.1e}, base+LoRA Δ {lora_diff:.1e}, adapter effect {effect:.3f}")
    assert base_diff <= TOLERANCE
    assert lora_diff <= TOLERANCE
    assert effect > 100 * lora_diff  # the trained adapter really changes the model

    # a chat turn streams through the app's engine, split into reasoning and answer
    messages = [{"role": "user", "content": "Who did I run with?"}]
    with Engine(base_gguf, lora_path=adapter_gguf, n_ctx=512, n_threads=2) as engine:
        assert engine.architecture == spec.gguf_arch
        prompt = engine.render_prompt(messages)
        free = list(engine.stream_events(messages, max_tokens=12, temperature=0.0, seed=0))
        # a random twin never opens <think> by itself: script the first tokens (the family's
        # own tokenization of a reasoned reply) and check what the user would see
        script = engine.tokenize(REPLY)
        _force_first_tokens(engine, script)
        scripted = list(engine.stream_events(messages, max_tokens=len(script), temperature=0.0, seed=0))
    if spec.bos:
        assert prompt.startswith(spec.bos) and prompt.count(spec.bos) == 1  # BOS once, from the template
    # the trained twin may end its turn at once (it learned the end token); it must not fail
    assert all(e.kind in ("reasoning", "answer") for e in free)
    reasoning = "".join(e.text for e in scripted if e.kind == "reasoning")
    answer = "".join(e.text for e in scripted if e.kind == "answer")
    assert (reasoning.strip(), answer.strip()) == ("Sam came along; we ran by the river.", "With Sam.")
    if "<think>" in spec.text_tokens:  # Qwen3: one token each, printed (not a hidden control)
        assert sum(t in _think_ids(base_gguf) for t in script) == 2


REPLY = "<think>\nSam came along; we ran by the river.\n</think>\n\nWith Sam."


def _think_ids(base_gguf: Path) -> set[int]:
    import gguf

    reader = gguf.GGUFReader(str(base_gguf))
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    return {i for i, t in enumerate(tokens) if t in ("<think>", "</think>")}


def _force_first_tokens(engine: Any, script: list[int]) -> None:
    """Make the engine's next completion emit ``script`` first (a logits processor)."""
    live = engine._live
    original = live.create_completion

    def create_completion(tokens: list[int], **options: Any) -> Any:
        start = len(tokens)

        def force(input_ids: Any, scores: Any) -> Any:
            step = len(input_ids) - start
            if 0 <= step < len(script):
                scores[:] = -np.inf
                scores[script[step]] = 0.0
            return scores

        return original(tokens, logits_processor=llama_cpp.LogitsProcessorList([force]), **options)

    live.create_completion = create_completion
