"""The eval gate: a new adapter is published only if it is not worse than what runs now.

On the held-out memory QA (entries no adapter was ever trained on), each model — the
candidate adapter, the active adapter, and the base with retrieval alone — answers every
question in llama.cpp exactly as it will be served (base GGUF + adapter GGUF, the chat
prompt with its memories). Two measurements:

- **facts**: the reference answer's checkable facts (numbers and names that are also in
  the source entry) must appear in the generated answer (``fact_recall``), plus bag-of-words
  token F1 against the reference answer. ``score = 0.6·fact_recall + 0.4·F1``.
- **likelihood**: the mean negative log-likelihood per token of the reference answers
  (teacher-forced by the same engine, :meth:`~journal_me.llm.engine.Engine.token_logprobs`,
  right after answering: the prompt is still in its KV cache). Generation from a small
  model can be uninformative; a broken adapter (bad export, exploded weights) shows up
  here at once as a huge NLL.

The candidate passes when its score is within ``tolerance`` of the reference (the active
adapter if there is one, else the base), its NLL is below the base's (it learned the served
format: a broken or untrained adapter does not), and it keeps most of the active adapter's
NLL gain (:func:`decide`). The report (all scores, a few sample answers,
durations) is kept in the adapter's manifest.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from journal_me.api import Progress  # done, total, which model
from journal_me.config import LLMSettings
from trainer.dataset import Example
from trainer.facts import fact_present, strip_citations, token_f1
from trainer.progress import StopFn, check_stop


class EvalError(RuntimeError):
    """A model could not be evaluated (it would not load or generate)."""


@dataclass(frozen=True)
class EvalItem:
    question: str
    prompt: tuple[Mapping[str, str], ...]
    reference: str  # the answer text (no reasoning)
    completion: str  # what the model is trained to produce: reasoning + answer
    facts: tuple[str, ...]
    source: str

    @classmethod
    def from_example(cls, example: Example) -> EvalItem:
        return cls(
            question=example.question,
            prompt=example.prompt,
            reference=example.answer,
            completion=example.completion,
            facts=example.facts,
            source=example.sources[0],
        )


@dataclass(frozen=True)
class GateConfig:
    max_items: int = 24
    max_tokens: int = 256  # reasoning + answer budget per question
    tolerance: float = 0.02  # score may be this much lower and still count as "not worse"
    min_nll_gain: float = 0.01  # the candidate's NLL must be ≥1% below the base's
    keep_gain: float = 0.75  # ... and keep ≥75% of the active adapter's gain over the base
    nll_slack: float = 0.02  # absolute NLL noise allowed against the active adapter
    n_threads: int | None = None


#: A run capped with ``--max-steps`` (a quick trial, a test, ``doctor``) gets a gate to match:
#: two questions per step, between these bounds, and short answers. The defaults above take
#: minutes even on a tiny model (every question is answered by two or three models).
QUICK_GATE_ITEMS = (4, 8)
QUICK_GATE_TOKENS = 64


def quick_gate(config: GateConfig, max_steps: int | None) -> GateConfig:
    """The gate for a run capped at ``max_steps`` optimizer steps (``None``: uncapped, the
    configured gate unchanged). Never larger than ``config``."""
    if max_steps is None:
        return config
    low, high = QUICK_GATE_ITEMS
    items = min(config.max_items, max(low, min(high, 2 * max_steps)))
    return dataclasses.replace(config, max_items=items, max_tokens=min(config.max_tokens, QUICK_GATE_TOKENS))


@dataclass
class ModelScore:
    label: str
    fact_recall: float | None
    token_f1: float
    nll: float
    items: int
    seconds: float
    samples: list[dict[str, str]] = field(default_factory=list)

    @property
    def score(self) -> float:
        if self.fact_recall is None:
            return self.token_f1
        return 0.6 * self.fact_recall + 0.4 * self.token_f1

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "score": round(self.score, 4),
            "fact_recall": None if self.fact_recall is None else round(self.fact_recall, 4),
            "token_f1": round(self.token_f1, 4),
            "nll": round(self.nll, 4) if math.isfinite(self.nll) else None,
            "items": self.items,
            "seconds": round(self.seconds, 2),
            "samples": self.samples,
        }


@dataclass
class GateDecision:
    publish: bool
    reason: str
    candidate: ModelScore
    base: ModelScore
    active: ModelScore | None = None

    @property
    def reference(self) -> ModelScore:
        return self.active or self.base

    def to_json(self) -> dict[str, Any]:
        return {
            "publish": self.publish,
            "reason": self.reason,
            "candidate": self.candidate.to_json(),
            "active": self.active.to_json() if self.active else None,
            "base": self.base.to_json(),
        }

    def metrics(self) -> dict[str, float]:
        """The short numbers shown next to a version (``journal-me model list``, the TUI)."""
        c = self.candidate
        out = {"score": round(c.score, 4), "f1": round(c.token_f1, 4), "nll": round(c.nll, 4)}
        if c.fact_recall is not None:
            out["facts"] = round(c.fact_recall, 4)
        out["base_score"] = round(self.base.score, 4)
        return out


# --------------------------------------------------------------------------- scoring


def answer_scores(answer: str, item: EvalItem) -> tuple[float | None, float]:
    """(fact recall or None when the item has no checkable facts, token F1)."""
    text = strip_citations(answer)
    recall = None
    if item.facts:
        recall = sum(1 for f in item.facts if fact_present(f, text)) / len(item.facts)
    return recall, token_f1(text, strip_citations(item.reference))


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def score_model(
    label: str,
    base_gguf: Path,
    lora: Path | None,
    items: Sequence[EvalItem],
    *,
    llm: LLMSettings,
    config: GateConfig,
    progress: Progress | None = None,
    should_stop: StopFn | None = None,
) -> ModelScore:
    """Answer every item with ``base_gguf`` (+ ``lora``), then teacher-force the references.
    ``progress(done, total, label)`` follows each answered item; ``should_stop`` is checked
    before each one (:class:`~trainer.progress.StopRequested`)."""
    from journal_me.llm.engine import Engine, EngineError

    check_stop(should_stop)
    started = time.monotonic()
    recalls: list[float] = []
    f1s: list[float] = []
    samples: list[dict[str, str]] = []
    nlls: list[float] = []  # per item: mean negative log-likelihood of the reference tokens
    try:
        engine = Engine.with_llm_settings(
            base_gguf,
            llm,
            lora_path=lora,
            n_ctx=llm.n_ctx,
            n_threads=config.n_threads or llm.n_threads,
            prompt_cache_bytes=0,
        )
    except EngineError as exc:
        raise EvalError(f"{label}: {exc}") from exc
    with engine:
        for i, item in enumerate(items):
            check_stop(should_stop)
            if progress:
                progress(i, len(items), label)
            reasoning: list[str] = []
            answer: list[str] = []
            try:
                for event in engine.stream_events(
                    item.prompt, max_tokens=config.max_tokens, temperature=0.0, seed=0
                ):
                    (reasoning if event.kind == "reasoning" else answer).append(event.text)
            except EngineError as exc:
                raise EvalError(f"{label}: {exc}") from exc
            text = "".join(answer).strip() or "".join(reasoning).strip()
            recall, f1 = answer_scores(text, item)
            if recall is not None:
                recalls.append(recall)
            f1s.append(f1)
            if len(samples) < 3:
                samples.append({"question": item.question, "answer": text[:400]})
            # the reference, teacher-forced in the same context: the prompt is still cached
            try:
                prompt_ids, answer_ids = engine.split_tokens(item.prompt, item.completion)
                if len(prompt_ids) + len(answer_ids) > engine.n_ctx:
                    continue  # answered above; too long to teacher-force in this context
                logprobs = engine.token_logprobs(prompt_ids, answer_ids)
            except EngineError as exc:
                raise EvalError(f"{label}: {exc}") from exc
            if logprobs:
                nlls.append(-sum(logprobs) / len(logprobs))
    check_stop(should_stop)
    nll = _mean(nlls) if nlls else float("nan")
    if progress:
        progress(len(items), len(items), label)
    return ModelScore(
        label=label,
        fact_recall=_mean(recalls) if recalls else None,
        token_f1=_mean(f1s),
        nll=nll,
        items=len(items),
        seconds=time.monotonic() - started,
        samples=samples,
    )


# --------------------------------------------------------------------------- decision


def decide(
    candidate: ModelScore, base: ModelScore, active: ModelScore | None, config: GateConfig
) -> GateDecision:
    """Publish only if the candidate is not worse than the active adapter (else the base).

    Likelihood rules: the candidate must make the held-out reference answers more likely
    than the base does (``min_nll_gain``, relative) — an adapter that learned nothing of
    the served format is broken or useless — and must keep most (``keep_gain``) of the
    active adapter's gain over the base.
    """
    reference = active or base
    problems: list[str] = []
    if not math.isfinite(candidate.nll):
        problems.append("the candidate's answers could not be scored (NLL is not finite)")
    if candidate.score < reference.score - config.tolerance:
        problems.append(
            f"answers got worse: score {candidate.score:.3f} vs {reference.score:.3f} ({reference.label})"
        )
    if math.isfinite(base.nll) and candidate.nll > base.nll * (1 - config.min_nll_gain):
        problems.append(
            f"held-out answers are not more likely than with the base alone: NLL {candidate.nll:.3f} "
            f"vs {base.nll:.3f}"
        )
    if active is not None and math.isfinite(active.nll) and math.isfinite(base.nll):
        allowed = active.nll + max(config.nll_slack, (1 - config.keep_gain) * max(0.0, base.nll - active.nll))
        if candidate.nll > allowed:
            problems.append(
                f"held-out answers became less likely than with the active adapter: NLL "
                f"{candidate.nll:.3f} vs {active.nll:.3f} (allowed up to {allowed:.3f})"
            )
    if problems:
        return GateDecision(False, "; ".join(problems), candidate, base, active)
    reason = (
        f"not worse than {reference.label}: score {candidate.score:.3f} vs {reference.score:.3f}, "
        f"NLL {candidate.nll:.3f} vs {reference.nll:.3f}"
    )
    return GateDecision(True, reason, candidate, base, active)


def run_gate(
    items: Sequence[EvalItem],
    *,
    base_gguf: Path,
    candidate: Path,
    active: Path | None,
    llm: LLMSettings,
    config: GateConfig | None = None,
    progress: Progress | None = None,
    should_stop: StopFn | None = None,
) -> GateDecision:
    """Score base, active (if any) and candidate on ``items`` and decide.

    ``progress(done, total, label)`` counts answered questions over all the models scored
    (``total`` = questions × models); ``should_stop`` is checked between questions and
    raises :class:`~trainer.progress.StopRequested`."""
    config = config or GateConfig()
    items = list(items)[: config.max_items]
    if not items:
        raise EvalError(
            "no held-out questions to evaluate on — the journal needs at least five public diary entries"
        )
    models: list[tuple[str, Path | None]] = [("base + retrieval", None)]
    if active is not None:
        models.append(("active adapter", active))
    models.append(("candidate", candidate))
    total = len(items) * len(models)
    scores: dict[str, ModelScore] = {}
    for k, (label, lora) in enumerate(models):
        offset = k * len(items)

        def step(done: int, _n: int, what: str, offset: int = offset) -> None:
            if progress:
                progress(offset + done, total, what)

        scores[label] = score_model(
            label,
            base_gguf,
            lora,
            items,
            llm=llm,
            config=config,
            progress=step,
            should_stop=should_stop,
        )
    return decide(scores["candidate"], scores["base + retrieval"], scores.get("active adapter"), config)
