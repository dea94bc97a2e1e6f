"""DPO preference pairs: the grounded answer over a plausible wrong one.

``chosen`` is the SFT answer (grounded in the entry, in the user's voice). ``rejected`` is
the mistake users of personal models hate most — a confident wrong fact about their life:

- with a model: the base model's own answer to the question *without* the memories (what
  it says when it guesses); kept only if it does not happen to contain the right facts;
- without one (CPU/CI, or when the guess was right): the chosen answer with its numbers,
  dates and names swapped for other ones from the (public) vault, deterministically.

Citations (``[2]``) are never swapped: the lesson is "facts must match the memory", not
"cite a different number".

A model generation that fails (the engine raised, or the reply had no answer) falls back to
the fact swap: counted in ``PairResult.counts`` (``model_fallbacks`` and by reason), told to
``note``, and when most planned pairs fell back the run stops (``trainer.synth.FallbackTally``).
A guess that happens to be right is not a failure: the swap is simply the better "rejected".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from journal_me.llm.prompts import chat_user_turn
from journal_me.llm.reasoning import split_reasoning
from trainer.cache import ReplyCache
from trainer.dataset import Example, Kind
from trainer.facts import MONTHS, fact_present, long_date, names_in
from trainer.progress import StopFn, check_stop
from trainer.sft import format_reasoning
from trainer.synth import ENGINE_ERROR, UNUSABLE_REPLY, FallbackTally, Note
from trainer.vault_view import VaultView, stable_fraction

FACT_KINDS: tuple[Kind, ...] = ("memory_qa", "third_party", "entity", "temporal")


class PairEngine(Protocol):
    def chat(self, messages: Sequence[Mapping[str, str]], **options: Any) -> str: ...


@dataclass(frozen=True)
class PairConfig:
    max_pairs: int = 200  # DPO costs ~3x an SFT step per example: a sample is enough
    kinds: tuple[Kind, ...] = FACT_KINDS
    model_max_tokens: int = 256
    max_fallback_share: float = 0.5  # stop when more than this share of model pairs failed


@dataclass
class PairResult:
    rows: list[dict[str, Any]]
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FactPools:
    """Replacement facts from the public vault, by kind, so a swap stays plausible."""

    people: tuple[str, ...]
    places: tuple[str, ...]
    others: tuple[str, ...]
    dates: tuple[dt.date, ...]

    @classmethod
    def from_view(cls, view: VaultView) -> FactPools:
        subjects = set(view.subjects)
        known = [e for e in view.entities if e.name in subjects]
        people = tuple(sorted({e.name for e in known if e.type == "person"}))
        places = tuple(sorted({e.name for e in known if e.type == "place"}))
        others = tuple(sorted({e.name for e in known if e.type not in {"person", "place"}}))
        dates = tuple(sorted({p.entry.date for p in view.diary()}))
        return cls(people, places, others, dates)

    @property
    def names(self) -> tuple[str, ...]:
        return self.people + self.places + self.others

    def same_kind(self, name: str) -> tuple[str, ...]:
        for pool in (self.people, self.places, self.others):
            if name in pool:
                return pool
        return self.names


_CITE = re.compile(r"\[\d{1,2}\]")
_LONG_DATE = re.compile(r"\b(\d{1,2}) (" + "|".join(m.capitalize() for m in MONTHS) + r") (\d{4})\b")
_SLOT = 0xF0000  # supplementary private use area: never in journal text
_NUM = re.compile(r"(?<![\w.:])\d+(?:[.:,]\d+)*(?![\w])")


def _choose(options: Sequence[Any], key: str, avoid: Any) -> Any | None:
    choices = [o for o in options if o != avoid]
    if not choices:
        return None
    return choices[int(stable_fraction(key, "swap") * len(choices))]


def _other_number(raw: str, key: str) -> str:
    """A different number of the same shape: times stay times, years stay years."""
    nudge = 1 + int(stable_fraction(key, "nudge") * 8)
    if ":" in raw:
        hours, minutes = raw.split(":", 1)
        if minutes.isdigit() and hours.isdigit():
            return f"{(int(hours) + nudge) % 24 if len(hours) <= 2 else int(hours) + nudge}:{minutes}"
    if "." in raw or "," in raw:
        head, _sep, tail = raw.replace(",", "").partition(".")
        return f"{int(head or 0) + nudge}.{tail}" if tail else str(int(head or 0) + nudge)
    value = int(raw)
    if 1900 <= value <= 2100:
        return str(value + (nudge % 3) + 1)
    if value < 10:
        return str(value + nudge if value + nudge != value else value + 1)
    scale = 10 ** max(0, len(raw) - 2)
    return str(value + nudge * scale)


def fact_swap(text: str, pools: FactPools, key: str) -> str | None:
    """``text`` with its dates, names and numbers replaced consistently (the same fact gets
    the same replacement everywhere); None when it has nothing to swap."""
    mapping: dict[str, str] = {}
    slots: list[str] = []

    def hold(value: str) -> str:
        slots.append(value)  # a private-use character: no digit or letter to re-match
        return chr(_SLOT + len(slots) - 1)

    pieces = _CITE.split(text)
    cites = _CITE.findall(text)
    out_pieces: list[str] = []
    # one pass over all pieces with shared mapping; citations re-inserted untouched
    for piece in pieces:

        def date_sub(m: re.Match[str]) -> str:
            original = m.group(0)
            if original not in mapping:
                day = dt.date(int(m.group(3)), MONTHS.index(m.group(2).lower()) + 1, min(int(m.group(1)), 28))
                other = _choose(pools.dates, f"{key}|{original}", day)
                if other is None:
                    return hold(original)
                mapping[original] = long_date(other)
            return hold(mapping[original])

        piece = _LONG_DATE.sub(date_sub, piece)
        for name in names_in(piece, pools.names):
            if name not in mapping:
                other = _choose(pools.same_kind(name), f"{key}|{name}", name)
                if other is None:
                    continue
                mapping[name] = other
            replacement = hold(mapping[name])
            pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.I)
            piece = pattern.sub(replacement, piece)  # one private-use char: no escapes

        def num_sub(m: re.Match[str]) -> str:
            original = m.group(0)
            if original not in mapping:
                mapping[original] = _other_number(original, f"{key}|{original}")
            return hold(mapping[original])

        piece = _NUM.sub(num_sub, piece)
        out_pieces.append(piece)
    if not mapping:
        return None
    merged = out_pieces[0]
    for cite, piece in zip(cites, out_pieces[1:], strict=True):
        merged += cite + piece
    swapped = "".join(slots[ord(c) - _SLOT] if ord(c) >= _SLOT else c for c in merged)
    return swapped if swapped != text else None


def _model_rejected(
    example: Example, engine: PairEngine, config: PairConfig, cache: ReplyCache | None
) -> tuple[str | None, str | None]:
    """The base model's answer without memories, unless it happens to be right; and why the
    model failed (None: it did not — a right guess is not a failure)."""
    cached = cache.get(example.id) if cache else None
    if isinstance(cached, str):
        reply = cached
    else:
        system = example.prompt[0]
        messages = [dict(system), {"role": "user", "content": chat_user_turn(example.question, [])}]
        seed = int(stable_fraction(example.id, "seed") * 2**31)
        try:
            reply = engine.chat(messages, max_tokens=config.model_max_tokens, temperature=0.7, seed=seed)
        except Exception as exc:  # one failed generation must not end the night: counted
            return None, f"{ENGINE_ERROR}: {type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
        if cache:
            cache.put(example.id, reply)
    thought, answer = split_reasoning(reply)
    if not answer.strip():
        return None, f"{UNUSABLE_REPLY}: no answer after the reasoning"
    if example.facts and all(fact_present(f, answer) for f in example.facts):
        return None, None  # right by luck (or general knowledge): not a useful "rejected"
    text = format_reasoning(thought or "I'm not sure; I'll answer from what I think I remember.", answer)
    return (text if text != example.completion else None), None


def make_pairs(
    train: Sequence[Example],
    pools: FactPools,
    *,
    engine: PairEngine | None = None,
    model_id: str = "",
    cache_dir: Path | None = None,
    config: PairConfig | None = None,
    should_stop: StopFn | None = None,
    note: Note | None = None,
) -> PairResult:
    """Preference rows ``{"prompt", "chosen", "rejected"}`` for ``trainer.dpo.run_dpo``
    (plus ``id``/``sources`` for people reading the file; drop them before training).

    The pipeline makes the pairs in its "filter" step: a run stopped for too many model
    failures names that step."""
    config = config or PairConfig()
    cache = ReplyCache(cache_dir, f"rejected1|{model_id}") if engine is not None else None
    counts = {"pairs": 0, "model": 0, "fact_swap": 0, "nothing_to_swap": 0}
    candidates = sorted(
        (e for e in train if e.kind in config.kinds), key=lambda e: stable_fraction(e.id, "dpo")
    )
    planned = min(len(candidates), config.max_pairs) if engine is not None else 0
    tally = FallbackTally("filter", "DPO pairs", planned, config.max_fallback_share, note)
    rows: list[dict[str, Any]] = []
    for example in candidates:
        if len(rows) >= config.max_pairs:
            break
        check_stop(should_stop)
        rejected: str | None = None
        if engine is not None:
            rejected, failure = _model_rejected(example, engine, config, cache)
            if failure is not None:
                tally.failed(failure, example.id)  # raises once most pairs fell back
        how = "model"
        if rejected is None:
            rejected = fact_swap(example.completion, pools, example.id)
            how = "fact_swap"
        if rejected is None:
            counts["nothing_to_swap"] += 1
            continue
        counts[how] += 1
        rows.append(
            {
                "prompt": [dict(m) for m in example.prompt],
                "chosen": [{"role": "assistant", "content": example.completion}],
                "rejected": [{"role": "assistant", "content": rejected}],
                "id": example.id,
                "sources": list(example.sources),
            }
        )
    counts["pairs"] = len(rows)
    counts["model_fallbacks"] = tally.count
    counts.update({f"fallback {reason}": n for reason, n in sorted(tally.reasons.items())})
    tally.finish()
    return PairResult(rows=rows, counts=counts)
