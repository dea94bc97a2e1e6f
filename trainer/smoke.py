"""The trainer's part of ``journal-me doctor --smoke``: the whole chain, for real, in seconds.

A user who wonders "will training work on this machine?" should not have to wait for a
night. This builds the project's tiny model in a temp dir, runs a few real SFT and DPO
steps (the same backends, TRL trainers and export as the nightly job), converts the base,
exports the adapter, loads base + adapter in llama.cpp and streams a short answer — each
step timed, stopping at the first failure with its reason.
"""

from __future__ import annotations

import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SYSTEM = "You are me, answering from my journal."
_QA = (
    ("Where did I walk with Anna?", "The June entry mentions the river.", "By the river."),
    ("How was work last week?", "Three reviews and a long call.", "Busy, but fine."),
    ("Who got a job in Berlin?", "My sister Lena wrote about it.", "Lena did."),
    ("What do I grow in the garden?", "Entries mention red tomatoes.", "Tomatoes."),
)


@dataclass(frozen=True)
class SmokeStep:
    name: str
    ok: bool
    seconds: float
    detail: str


def _rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from trainer.sft import format_reasoning

    sft: list[dict[str, Any]] = []
    dpo: list[dict[str, Any]] = []
    for question, thought, answer in _QA:
        prompt = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
        chosen = {"role": "assistant", "content": format_reasoning(thought, answer)}
        rejected = {"role": "assistant", "content": format_reasoning("I guess.", "In Paris.")}
        sft.append({"messages": [*prompt, chosen]})
        dpo.append({"prompt": prompt, "chosen": [chosen], "rejected": [rejected]})
    return sft, dpo


#: llama.cpp (base GGUF + LoRA GGUF) may differ from HF (base + LoRA) by this much (f32).
PARITY_TOLERANCE = 1e-4
PARITY_TEXT = "Ran 5K by the river with Sam. <think>Why?</think> Héllo, 2025-03-14! #running\n" * 3


def family_delta_logit(family: str, root: Path, *, seed: int = 1) -> float:
    """Build ``family``'s twin under ``root``, write its base GGUF and a random (non-zero) LoRA
    on every projection as a GGUF adapter, and return max |Δlogit| between llama.cpp and
    transformers on the same tokens."""
    import numpy as np
    import torch
    from llama_cpp import Llama
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from trainer.backends import TARGET_MODULES
    from trainer.export import convert_base_to_gguf, export_adapter_gguf
    from trainer.twins import build_twin

    hf_dir = build_twin(family, root / family, max_positions=512)
    base = convert_base_to_gguf(hf_dir, root / f"{family}.gguf")
    ids = AutoTokenizer.from_pretrained(hf_dir)(PARITY_TEXT)["input_ids"]
    model: Any = AutoModelForCausalLM.from_pretrained(hf_dir)
    torch.manual_seed(seed)
    lora = LoraConfig(
        r=4, lora_alpha=8, target_modules=list(TARGET_MODULES), init_lora_weights=False, task_type="CAUSAL_LM"
    )
    peft_model = get_peft_model(model, lora).eval()
    with torch.no_grad():
        expected = peft_model(torch.tensor([ids])).logits[0].float().numpy()
    peft_model.save_pretrained(str(root / f"{family}-lora"))
    adapter = export_adapter_gguf(root / f"{family}-lora", hf_dir, root / f"{family}-lora.gguf")
    llm = Llama(
        model_path=str(base),
        lora_path=str(adapter.path),
        n_ctx=256,
        n_threads=1,
        logits_all=True,
        type_k=0,  # GGML_TYPE_F32: exact KV cache, as in the parity tests
        type_v=0,
        verbose=False,
    )
    try:
        llm.eval(ids)
        got = np.array(llm.scores[: len(ids)], dtype=np.float32)
    finally:
        llm.close()
    return float(np.abs(got - expected).max())


def run_family_checks(
    report: Callable[[SmokeStep], None] | None = None, work_dir: Path | None = None
) -> list[SmokeStep]:
    """One step per family twin: ``family qwen3 … Δlogit 1.2e-06`` (each runs even when
    another failed)."""
    from trainer.twins import FAMILIES

    steps: list[SmokeStep] = []
    with tempfile.TemporaryDirectory(prefix="journal-me-twins-", dir=work_dir) as tmp:
        for family, spec in FAMILIES.items():
            started = time.monotonic()
            try:
                delta = family_delta_logit(family, Path(tmp))
            except Exception as exc:
                last = traceback.format_exception_only(type(exc), exc)[-1].strip()
                step = SmokeStep(f"family {family}", False, time.monotonic() - started, last)
            else:
                ok = delta <= PARITY_TOLERANCE
                verdict = "" if ok else f" exceeds {PARITY_TOLERANCE:g}"
                detail = f"Δlogit {delta:.1e}{verdict} (twin of {spec.real}: base + LoRA, llama.cpp vs HF)"
                step = SmokeStep(f"family {family}", ok, time.monotonic() - started, detail)
            steps.append(step)
            if report:
                report(step)
    return steps


def run_smoke(
    work_dir: Path | None = None,
    report: Callable[[SmokeStep], None] | None = None,
    *,
    sft_steps: int = 3,
    dpo_steps: int = 2,
    families: bool = True,
) -> list[SmokeStep]:
    """Run the chain, then (``families``) one parity check per model family; every step is
    reported as it finishes. Returns all steps (any failed one has ``ok=False``)."""
    from journal_me.offline import enforce_offline
    from trainer.progress import quiet_libraries

    enforce_offline()  # before TRL/transformers load: no hub lookups, no telemetry thread
    quiet_libraries()
    steps: list[SmokeStep] = []
    failed = False

    @contextmanager
    def step(name: str) -> Iterator[dict[str, str]]:
        nonlocal failed
        started = time.monotonic()
        detail = {"text": ""}
        try:
            yield detail
        except Exception as exc:
            failed = True
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            result = SmokeStep(name, False, time.monotonic() - started, last)
        else:
            result = SmokeStep(name, True, time.monotonic() - started, detail["text"])
        steps.append(result)
        if report:
            report(result)

    with tempfile.TemporaryDirectory(prefix="journal-me-smoke-", dir=work_dir) as tmp:
        root = Path(tmp)
        sft_rows, dpo_rows = _rows()
        state: dict[str, Any] = {}
        with step("build tiny model") as d:
            from journal_me.config import TrainSettings
            from trainer.tiny import build_tiny_model

            state["hf"] = build_tiny_model(root / "hf", "llama")
            state["train"] = TrainSettings(
                learning_rate=5e-3, dpo_learning_rate=5e-4, epochs=1, max_length=256
            )
            d["text"] = "llama, hidden 64, 2 layers"
        if not failed:
            with step("SFT") as d:
                from datasets import Dataset

                from trainer.sft import run_sft

                sft = run_sft(
                    Dataset.from_list(sft_rows),
                    base_dir=state["hf"],
                    out_dir=root / "sft",
                    train=state["train"],
                    max_steps=sft_steps,
                )
                loss = f", loss {sft.losses[0]:.2f} → {sft.losses[-1]:.2f}" if sft.losses else ""
                d["text"] = f"{sft.steps} steps on {sft.backend}{loss}"
                state["sft"] = sft.adapter_dir
        if not failed:
            with step("DPO") as d:
                from datasets import Dataset

                from trainer.dpo import run_dpo

                dpo = run_dpo(
                    Dataset.from_list(dpo_rows),
                    base_dir=state["hf"],
                    sft_adapter_dir=state["sft"],
                    out_dir=root / "dpo",
                    train=state["train"],
                    max_steps=dpo_steps,
                )
                loss = f", loss {dpo.losses[0]:.3f} → {dpo.losses[-1]:.3f}" if dpo.losses else ""
                d["text"] = f"{dpo.steps} steps on {dpo.backend}{loss}"
                state["dpo"] = dpo.adapter_dir
        if not failed:
            with step("export GGUF") as d:
                from trainer.export import convert_base_to_gguf, export_adapter_gguf

                state["base"] = convert_base_to_gguf(state["hf"], root / "base.gguf")
                exported = export_adapter_gguf(state["dpo"], state["hf"], root / "adapter.gguf")
                state["adapter"] = exported.path
                d["text"] = f"base + adapter ({exported.modules} LoRA modules)"
        if not failed:
            with step("llama.cpp answer") as d:
                from journal_me.llm.engine import Engine

                with Engine(  # one thread: see journal_me.smoke
                    state["base"], lora_path=state["adapter"], n_ctx=512, n_threads=1, prompt_cache_bytes=0
                ) as engine:
                    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": _QA[0][0]}]
                    text = "".join(engine.stream_chat(messages, max_tokens=12, temperature=0.0, seed=0))
                d["text"] = f"streamed {len(text)} characters with the adapter loaded"
    if families:
        steps += run_family_checks(report, work_dir)
    return steps
