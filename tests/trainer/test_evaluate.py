"""The eval gate's scoring and decision rules, and its teacher-forced NLL in llama.cpp (the whole
gate runs in test_pipeline)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from trainer.evaluate import EvalItem, GateConfig, ModelScore, answer_scores, decide
from trainer.facts import dates, key_facts, numbers, token_f1

ITEM = EvalItem(
    question="What happened on 8 September 2025?",
    prompt=({"role": "system", "content": "s"}, {"role": "user", "content": "q"}),
    reference="First run of Couch to 5K at 6:45am in Highfield Country Park with Sam [1]",
    completion="<think>\nx\n</think>\n\nFirst run…",
    facts=("6:45", "Sam"),
    source="journal/2025/2025-09-08.md",
)


def _score(label: str, score: float, nll: float) -> ModelScore:
    return ModelScore(label=label, fact_recall=score, token_f1=score, nll=nll, items=10, seconds=1.0)


def test_answer_scores_check_facts_not_citations() -> None:
    recall, f1 = answer_scores("I ran at 6:45 with Sam [2].", ITEM)
    assert recall == 1.0 and 0 < f1 < 1
    recall, _ = answer_scores("I ran at 7:45 with Dev [6].", ITEM)
    assert recall == 0.0
    assert token_f1("the cat sat", "a cat sat") == 1.0


def test_fact_helpers() -> None:
    assert numbers("£10,500 and 6:45, [2] 34:12") >= {"10500", "6:45", "34:12"}
    assert dates("on 8 September and Sep 9, 2025-10-31; you may 5") == {(9, 8), (9, 9), (10, 31)}
    assert key_facts("Sam paid £89 [1]", "Sam bought shoes for £89.", ["Sam", "Dev"]) == ["89", "Sam"]


def test_decide_publishes_only_when_not_worse() -> None:
    config = GateConfig()
    base = _score("base + retrieval", 0.30, 2.00)
    assert decide(_score("candidate", 0.30, 1.50), base, None, config).publish
    # no better than the base at the served format: refused (broken or untrained)
    refused = decide(_score("candidate", 0.30, 1.995), base, None, config)
    assert not refused.publish and "not more likely than with the base" in refused.reason
    # generation got worse than the active adapter
    active = _score("active adapter", 0.50, 1.20)
    worse = decide(_score("candidate", 0.40, 1.20), base, active, config)
    assert not worse.publish and "answers got worse" in worse.reason
    # lost most of the active adapter's likelihood gain
    lost = decide(_score("candidate", 0.50, 1.60), base, active, config)
    assert not lost.publish and "less likely than with the active adapter" in lost.reason
    ok = decide(_score("candidate", 0.49, 1.25), base, active, config)
    assert ok.publish and ok.metrics()["score"] == 0.49
    assert ok.to_json()["active"]["label"] == "active adapter"


def test_score_model_teacher_forces_with_its_own_engine(
    tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One llama.cpp context per model scored (no second ``logits_all`` one), and the NLL is
    the engine's own teacher-forced log-likelihood of the reference completions."""
    import llama_cpp

    from journal_me.config import LLMSettings
    from journal_me.llm.engine import Engine
    from trainer.evaluate import score_model
    from trainer.export import convert_base_to_gguf

    gguf = convert_base_to_gguf(tiny_models["llama"], tmp_path / "tiny.gguf")
    items = [
        dataclasses.replace(
            ITEM,
            prompt=({"role": "system", "content": "You are me."}, {"role": "user", "content": q}),
            completion=f"<think>\nThe entry says so.\n</think>\n\n{a}",
        )
        for q, a in (("Where did I walk?", "By the river [1]."), ("Who came?", "Sam did, at 6:45 [1]."))
    ]
    opened: list[dict[str, Any]] = []
    real_llama = llama_cpp.Llama

    def counting_llama(*args: Any, **kwargs: Any) -> Any:
        opened.append(kwargs)
        return real_llama(*args, **kwargs)

    monkeypatch.setattr(llama_cpp, "Llama", counting_llama)
    llm = LLMSettings(n_ctx=512, n_threads=1)
    result = score_model("base", gguf, None, items, llm=llm, config=GateConfig(max_tokens=8, n_threads=1))
    assert len(opened) == 1 and not opened[0].get("logits_all")
    monkeypatch.setattr(llama_cpp, "Llama", real_llama)

    with Engine(gguf, n_ctx=512, n_threads=1) as engine:
        expected = [-engine.score(item.prompt, item.completion, per_token=True) for item in items]
    assert result.nll == pytest.approx(sum(expected) / len(expected), rel=1e-3)
    assert result.nll > 0 and result.items == 2
