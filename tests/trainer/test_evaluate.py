"""The eval gate's scoring and decision rules (the llama.cpp part is in test_pipeline)."""

from __future__ import annotations

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
