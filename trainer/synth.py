"""Synthesis: turn the (public part of the) vault into training conversations.

Kinds of data (Second-Me's recipe, adapted): memory QA about one entry's facts, questions a
third party would ask about the user, entity-centred questions across entries (multi-hop via
the graph), temporal questions, style data (write about a topic as the user) and bridge data
(reply / enhance / critic drafts). Every answer reasons first, ``<think>…</think>``, then
answers (``trainer.sft.format_reasoning``), and records the entries it came from.

Two synthesisers share one vault view (:class:`trainer.vault_view.VaultView`, which enforces
the privacy fence and builds prompts exactly as chat and bridge do):

- **templates** (``trainer.templates``): deterministic and extractive — the CPU/CI path, and
  the fallback for any entry the model fails on;
- **model**: when a local model (an ``Engine``) is available it writes memory and
  third-party questions with first-person answers from each entry. Its answers are kept
  only if the filter finds them supported by the entry; the replies are cached per entry
  (by content hash and model), so each night only new or edited entries cost model time.

**Honest fallbacks.** An entry the model fails on (the engine raised, or its reply held no
usable pairs) gets template data instead — counted by reason in :class:`SynthResult` (the
run record), said through ``note`` and the progress label as it happens, and once most
entries (more than ``SynthConfig.max_fallback_share``) fell back the run stops with a
clear error: a night of "model" data that is really templates is not what was asked for.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from journal_me.api import Journal, Progress
from journal_me.llm.reasoning import split_reasoning
from journal_me.memory.retrieval import Hit
from journal_me.roles import Role
from trainer import templates
from trainer.cache import ReplyCache
from trainer.dataset import Example, count_by_kind
from trainer.facts import content_words, key_facts, long_date, sentences
from trainer.progress import StopFn, check_stop
from trainer.templates import TemplateConfig, clip
from trainer.vault_view import PrivacyViolation, PublicEntry, VaultView

__all__ = [
    "FallbackTally",
    "PrivacyViolation",
    "SynthConfig",
    "SynthEngine",
    "SynthResult",
    "synthesize",
    "vault_texts",
]

SYNTH_VERSION = 1  # bump when the model prompt changes: invalidates the per-entry cache

Note = Callable[[str], None]  # a line worth showing (Reporter.note)

#: Why the model path fell back to templates for an entry (a DPO pair) — the run record's keys.
ENGINE_ERROR = "engine error"
UNUSABLE_REPLY = "unusable reply"


class SynthEngine(Protocol):
    """What synthesis needs from :class:`journal_me.llm.engine.Engine`."""

    def chat(self, messages: Sequence[Mapping[str, str]], **options: Any) -> str: ...


@dataclass(frozen=True)
class SynthConfig:
    templates: TemplateConfig = field(default_factory=TemplateConfig)
    model_pairs: int = 3  # question/answer pairs the model writes per entry
    model_max_tokens: int = 700
    model_entry_chars: int = 3000
    max_fallback_share: float = 0.5  # stop when more than this share of entries fell back


@dataclass
class SynthResult:
    examples: list[Example]
    entries: int  # public entries read
    private_skipped: int  # private entries never read into the data
    heldout_entries: int
    private_rels: list[str] = field(default_factory=list)  # for the filter's leak check
    model_entries: int = 0  # entries the model wrote questions for
    model_fallbacks: int = 0  # entries where the model failed (templates used instead)
    fallback_reasons: dict[str, int] = field(default_factory=dict)  # ENGINE_ERROR, UNUSABLE_REPLY
    seconds: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        return count_by_kind(self.examples)

    def summary(self) -> dict[str, Any]:
        return {
            "examples": len(self.examples),
            "by_kind": self.counts,
            "entries": self.entries,
            "private_skipped": self.private_skipped,
            "heldout_entries": self.heldout_entries,
            "model_entries": self.model_entries,
            "model_fallbacks": self.model_fallbacks,
            "model_fallback_reasons": dict(self.fallback_reasons),
            "seconds": round(self.seconds, 2),
        }


def synthesize(
    view: VaultView,
    *,
    roles: Sequence[Role] = (),
    engine: SynthEngine | None = None,
    model_id: str = "",
    cache_dir: Path | None = None,
    config: SynthConfig | None = None,
    progress: Progress | None = None,
    should_stop: StopFn | None = None,
    note: Note | None = None,
) -> SynthResult:
    """Build the full (unfiltered) dataset from the view's public entries.

    Entries the view's ``holdout`` marks are reserved for evaluation: they only yield memory
    QA (the eval questions) and never appear in any other example, not even as a distractor
    memory. ``should_stop`` is checked before each entry (:class:`StopRequested`). With an
    ``engine``, entries it fails on fall back to templates (counted, told to ``note``); when
    more than ``config.max_fallback_share`` of them fell back, synthesis stops with a
    ``PipelineError`` at step "synthesis".
    """
    config = config or SynthConfig()
    started = time.monotonic()
    diary_and_notes = sorted(view.entries.values(), key=lambda p: (p.entry.date, p.rel))
    total = len(diary_and_notes) + 5
    examples: list[Example] = []
    result = SynthResult(
        examples=examples,
        entries=len(view.entries),
        private_skipped=len(view.private_rels),
        heldout_entries=sum(1 for rel in view.entries if view.holdout(rel)),
        private_rels=sorted(view.private_rels),
    )
    cache = ReplyCache(cache_dir, f"synth{SYNTH_VERSION}|{model_id}") if engine is not None else None
    tally = FallbackTally(
        "synthesis",
        "entries",
        sum(1 for p in diary_and_notes if not p.is_note) if engine is not None else 0,
        config.max_fallback_share,
        note,
    )
    for i, pub in enumerate(diary_and_notes):
        check_stop(should_stop)
        if progress:
            progress(i, total, tally.label("entries"))
        written: list[Example] = []
        if engine is not None and not pub.is_note:
            written, failure = _model_examples(view, pub, engine, config, cache)
            if failure is None:
                result.model_entries += 1
            else:
                tally.failed(failure, pub.rel)  # raises once most entries fell back
        examples.extend(written or templates.memory_qa(view, pub, config.templates))
    result.model_fallbacks = tally.count
    result.fallback_reasons = dict(tally.reasons)
    tally.finish()
    makers: tuple[tuple[str, Callable[[], list[Example]]], ...] = (
        ("third party", lambda: templates.third_party(view)),
        ("entities", lambda: templates.entity_questions(view, config.templates)),
        ("months", lambda: templates.temporal(view, config.templates)),
        ("style", lambda: templates.style(view, config.templates)),
        ("bridge", lambda: templates.bridge(view, roles, config.templates)),
    )
    for j, (label, make) in enumerate(makers):
        check_stop(should_stop)
        if progress:
            progress(len(diary_and_notes) + j, total, label)
        examples.extend(make())
    if progress:
        progress(total, total, "done")
    _final_privacy_check(view, examples)
    result.seconds = time.monotonic() - started
    return result


class FallbackTally:
    """Counts the model path's failures (templates used instead) for one step, tells
    ``note`` about the first one and the total, and stops the run once more than ``share``
    of ``planned`` items fell back (from then on the majority is certain)."""

    def __init__(self, step: str, what: str, planned: int, share: float, note: Note | None) -> None:
        self.step, self.what, self.planned, self.share, self.note = step, what, planned, share, note
        self.count = 0
        self.reasons: dict[str, int] = {}

    def label(self, base: str) -> str:
        return f"{base} ({self.count} fell back to templates)" if self.count else base

    def failed(self, reason: str, item: str) -> None:
        self.count += 1
        key = reason.split(":", 1)[0]
        self.reasons[key] = self.reasons.get(key, 0) + 1
        if self.count == 1 and self.note:
            self.note(f"{self.step}: the model failed on {item} ({reason}); templates used instead")
        if self.planned and self.count > self.share * self.planned:
            from trainer.runtypes import PipelineError  # runtypes imports this module

            why = ", ".join(f"{k} {v}" for k, v in sorted(self.reasons.items()))
            raise PipelineError(
                self.step,
                f"the model failed on {self.count} of {self.planned} {self.what} ({why}; latest: "
                f"{reason}) — more than {self.share:.0%} would be template data, so the run stops",
                "train with `--synth templates` (what CPU runs use), or check the model with "
                "`journal-me doctor --smoke` and `journal-me ask`",
            )

    def finish(self) -> None:
        if self.count and self.note:
            self.note(
                f"{self.step}: the model failed on {self.count} of {self.planned} {self.what}; "
                "templates were used for those"
            )


def _final_privacy_check(view: VaultView, examples: Sequence[Example]) -> None:
    """No example may name a private (or unknown) entry as a source. Raised, not asserted:
    ``python -O`` must not switch the fence off."""
    for e in examples:
        bad = [rel for rel in e.sources if rel in view.private_rels or rel not in view.entries]
        if bad:
            raise PrivacyViolation(f"example {e.id} ({e.kind}) draws on private entries: {bad}")


# --------------------------------------------------------------------------- model path

_SYSTEM = (
    "You turn one journal entry into question-answer pairs for fine-tuning an assistant that "
    "speaks as the journal's author. Every question must be answerable from the entry alone. "
    'Every answer is short, in the first person ("I", "my"), and uses only facts written '
    "in the entry: names, dates and numbers exactly as written. Reply with JSON only."
)


def _model_prompt(view: VaultView, pub: PublicEntry, config: SynthConfig) -> list[dict[str, str]]:
    body = clip(pub.entry.body, config.model_entry_chars)
    title = f" (“{pub.title_phrase}”)" if pub.title_phrase else ""
    user = (
        f"Entry from {long_date(pub.entry.date)}{title}:\n\n{body}\n\n"
        f"Write {config.model_pairs} pairs as a JSON list of objects with the keys "
        '"question", "answer" and "about_me". Most questions are mine, about facts in this '
        "entry (who, what, where, when, how much). Make one a question someone else would ask "
        f'about {view.who}, in the third person, with "about_me": true; still answer it as me.'
    )
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


_JSON_LIST = re.compile(r"\[.*\]", re.S)


def parse_pairs(reply: str) -> list[tuple[str, str, bool]]:
    """``(question, answer, about_me)`` triples from a model reply; [] when unusable."""
    _thought, answer = split_reasoning(reply)
    match = _JSON_LIST.search(answer or reply)
    if not match:
        return []
    try:
        data = json.loads(match.group(0))
    except ValueError:
        return []
    pairs: list[tuple[str, str, bool]] = []
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict):
            continue
        q, a = item.get("question"), item.get("answer")
        if isinstance(q, str) and isinstance(a, str) and q.strip() and a.strip():
            pairs.append((" ".join(q.split()), " ".join(a.split()), bool(item.get("about_me"))))
    return pairs


def _best_sentence(pub: PublicEntry, answer: str) -> tuple[Hit, str]:
    """The passage and sentence of the entry that share most content words with ``answer``."""
    wanted = set(content_words(answer))
    best: tuple[float, Hit, str] = (-1.0, pub.passages[0], pub.lead(1))
    for hit in pub.passages:
        for s in sentences(hit.passage):
            overlap = len(wanted & set(content_words(s)))
            if overlap > best[0]:
                best = (overlap, hit, s)
    return best[1], best[2]


def _model_examples(
    view: VaultView, pub: PublicEntry, engine: SynthEngine, config: SynthConfig, cache: ReplyCache | None
) -> tuple[list[Example], str | None]:
    """The model's examples for one entry, and why it failed (None: it did not)."""
    cached = cache.get(pub.entry.digest) if cache else None
    pairs: list[tuple[str, str, bool]] = []
    if isinstance(cached, list):
        pairs = [(str(q), str(a), bool(m)) for q, a, m in cached]
    else:
        try:
            reply = engine.chat(
                _model_prompt(view, pub, config), max_tokens=config.model_max_tokens, temperature=0.3
            )
        except Exception as exc:  # one failed entry must not end the night: counted instead
            return [], f"{ENGINE_ERROR}: {type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
        pairs = parse_pairs(reply)
        if not pairs:
            return [], f"{UNUSABLE_REPLY}: no question/answer pairs in its JSON"
        if cache:
            cache.put(pub.entry.digest, pairs)
    held_out = view.holdout(pub.rel)
    out: list[Example] = []
    for k, (question, answer, about_me) in enumerate(pairs[: config.model_pairs]):
        if about_me and held_out:
            continue  # eval is memory QA only
        hit, sentence = _best_sentence(pub, answer)

        def compose(
            hits: list[Hit], hit: Hit = hit, sentence: str = sentence, answer: str = answer
        ) -> tuple[str, str]:
            n = view.number_of(hits, hit)
            thought = (
                f"Memory [{n}] is my entry from {long_date(pub.entry.date)}. The relevant line: "
                f"“{clip(sentence, 180)}”"
            )
            return thought, f"{answer} [{n}]"

        hits = view.memories_for(question, [hit], for_eval=held_out, key=f"{pub.rel}|m{k}")
        thought, text = compose(hits)
        support = view.support_text([pub.rel])
        out.append(
            Example(
                kind="third_party" if about_me else "memory_qa",
                prompt=view.chat_prompt(question, hits),
                question=question,
                thought=thought,
                answer=text,
                sources=(pub.rel,),
                origin="model",
                facts=tuple(key_facts(text, support, view.names)),
            )
        )
    return out, None


def vault_texts(journal: Journal, private_rels: Sequence[str]) -> tuple[list[str], list[str]]:
    """``(private bodies, public bodies)`` — for the filter's leak check only: the private
    text is compared against, never trained on."""
    private: list[str] = []
    public: list[str] = []
    wanted = set(private_rels)
    for summary in journal.entries():
        try:
            body = journal.entry(summary.rel).body
        except Exception:  # unreadable now: nothing to compare against
            continue
        (private if summary.rel in wanted or summary.private else public).append(body)
    return private, public
