"""Filtering: keep only examples that are private-safe, sized right, grounded and distinct,
and split them by entry into training and held-out evaluation sets.

Why each rule exists:

- **private** — the synthesiser never reads private entries, but model-written text, a
  user-edited profile or a future bug could still carry private words; an example holding
  a private entry's *distinctive* text (a phrase, number or name no public entry has, see
  :class:`PrivacyGuard`) is dropped.
- **too short / too long** — too long would be truncated by the trainer, and truncation
  cuts the assistant turn: the very part the loss is on.
- **unsupported** — an answer must be backed by its source entries: every number it
  states appears there, and most of its content words do. This is what stops a model-
  written "fact" that the journal never said from being trained in.
- **duplicate / near duplicate** — repeated examples over-weight one memory: same text
  after normalising, word 3-gram Jaccard ≥ 0.85 of question + answer, or the same answer
  from the same entries (one fact asked twice in other words).
- **held-out split by entry** — a stable hash of the entry's path picks ~15% of diary
  entries (at most ~40) whose memory QA becomes the eval set; nothing else from those
  entries is trained on, so the eval gate measures recall of entries the adapter has never
  seen in training (tonight, and on every earlier night: see :func:`heldout_rels`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from journal_me.api import EntrySummary
from trainer.dataset import Example, count_by_kind
from trainer.facts import STOPWORDS, coverage, strip_citations, unsupported_numbers, words
from trainer.progress import StopFn, check_stop
from trainer.vault_view import stable_fraction

REASONS: tuple[str, ...] = (
    "private",
    "too_short",
    "too_long",
    "unsupported",
    "duplicate",
    "near_duplicate",
    "held_out_source",
)

TokenCounter = Callable[[Sequence[dict[str, str]]], int]


@dataclass(frozen=True)
class FilterConfig:
    min_question_chars: int = 8
    min_answer_chars: int = 15
    max_answer_chars: int = 2400
    max_tokens: int | None = None  # the trainer's max_length; None: no token limit
    chars_per_token: float = 3.5  # estimate when no tokenizer is given
    min_support: float = 0.6  # share of the answer's content words found in its sources
    near_duplicate: float = 0.85  # Jaccard of word 3-grams (question + answer)
    max_eval: int = 40


@dataclass
class FilterReport:
    total: int = 0
    dropped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REASONS, 0))
    train_by_kind: dict[str, int] = field(default_factory=dict)
    eval_by_kind: dict[str, int] = field(default_factory=dict)
    eval_entries: int = 0
    eval_capped: int = 0  # held-out questions beyond max_eval (kept out of training too)

    @property
    def train(self) -> int:
        return sum(self.train_by_kind.values())

    @property
    def eval(self) -> int:
        return sum(self.eval_by_kind.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "train": self.train,
            "eval": self.eval,
            "dropped": dict(self.dropped),
            "train_by_kind": dict(self.train_by_kind),
            "eval_by_kind": dict(self.eval_by_kind),
            "eval_entries": self.eval_entries,
            "eval_capped": self.eval_capped,
        }


@dataclass
class FilterResult:
    train: list[Example]
    eval: list[Example]
    report: FilterReport
    dropped: list[tuple[str, Example]] = field(default_factory=list)


# --------------------------------------------------------------------------- held-out split


def heldout_rels(entries: Iterable[EntrySummary], fraction: float = 0.15, max_entries: int = 40) -> set[str]:
    """Public diary entries reserved for evaluation, chosen by a stable hash of the path.

    An entry is held out when its hash falls below ``min(fraction, max_entries / n)``: a big
    journal does not lose hundreds of entries to evaluation, and as the journal grows the
    threshold only falls — entries move from eval into training, never the other way, so
    no earlier adapter was ever trained on tonight's eval questions. Pages about
    people/places are never held out (third-party questions need them). With five or more
    diary entries at least one is held out, so the gate always has questions.
    """
    diary = sorted(e.rel for e in entries if not e.private and not e.note)
    if not diary or fraction <= 0:
        return set()
    threshold = min(fraction, max_entries / len(diary))
    chosen = {rel for rel in diary if stable_fraction(rel, "holdout") < threshold}
    if not chosen and len(diary) >= 5:
        chosen = {min(diary, key=lambda rel: stable_fraction(rel, "holdout"))}
    return chosen


# --------------------------------------------------------------------------- privacy


class PrivacyGuard:
    """Detects private journal text. Two signals, both "only ever written privately":

    - word 6-grams of private entries that no public entry contains (a phrase the user also
      wrote publicly is not a leak);
    - distinctive private-only tokens: numbers of three or more characters (a salary, a
      code) and names capitalised mid-sentence (a therapist, a diagnosis) that appear in no
      public entry.
    """

    def __init__(self, private_texts: Iterable[str], public_texts: Iterable[str], n: int = 6) -> None:
        self.n = n
        public: set[tuple[str, ...]] = set()
        vocabulary: set[str] = set()
        for text in public_texts:
            public.update(self._grams(text))
            vocabulary.update(words(text))
        self.grams: set[tuple[str, ...]] = set()
        self.tokens: set[str] = set()
        for text in private_texts:
            self.grams.update(g for g in self._grams(text) if g not in public)
            self.tokens.update(t for t in _distinctive(text) if t not in vocabulary)

    def _grams(self, text: str) -> set[tuple[str, ...]]:
        toks = words(text)
        return {tuple(toks[i : i + self.n]) for i in range(len(toks) - self.n + 1)}

    def leaks(self, text: str) -> bool:
        if self.grams and not self.grams.isdisjoint(self._grams(text)):
            return True
        return bool(self.tokens) and not self.tokens.isdisjoint(words(text))

    def example_leaks(self, example: Example) -> bool:
        return any(self.leaks(t) for t in example.texts())


_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")


def _distinctive(text: str) -> Iterator[str]:
    """Numbers (3+ characters) and names capitalised in mid-sentence, lower-cased."""
    previous = "."
    for m in _TOKEN.finditer(text):
        token = m.group(0)
        gap = text[max(0, m.start() - 3) : m.start()]
        mid_sentence = not any(c in ".!?\n:#" for c in gap) and previous != "."
        name = mid_sentence and token[0].isupper()
        for word in words(token):
            number = any(c.isdigit() for c in word) and len(word) >= 3
            if number or (name and len(word) >= 4 and word not in STOPWORDS):
                yield word
        previous = token


# --------------------------------------------------------------------------- helpers


def _norm(text: str) -> str:
    return " ".join(words(strip_citations(text)))


def _shingles(text: str, n: int = 3) -> frozenset[tuple[str, ...]]:
    toks = words(strip_citations(text))
    if len(toks) < n:
        return frozenset({tuple(toks)})
    return frozenset(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def _estimate_tokens(messages: Sequence[dict[str, str]], chars_per_token: float) -> int:
    return int(sum(len(m["content"]) + 8 for m in messages) / chars_per_token) + 1


def is_supported(example: Example, support: str, min_support: float) -> bool:
    """Every number of the answer is in the sources, and most content words are."""
    answer = strip_citations(example.answer)
    backing = f"{support}\n{example.question}"
    if unsupported_numbers(answer, backing):
        return False
    return coverage(answer, backing) >= min_support


def _why_dropped(
    example: Example,
    config: FilterConfig,
    guard: PrivacyGuard | None,
    support_of: Callable[[Sequence[str]], str],
    count_tokens: TokenCounter | None,
) -> str | None:
    if guard is not None and guard.example_leaks(example):
        return "private"
    if (
        len(example.question.strip()) < config.min_question_chars
        or len(example.answer.strip()) < config.min_answer_chars
    ):
        return "too_short"
    if len(example.answer) > config.max_answer_chars:
        return "too_long"
    if config.max_tokens is not None:
        tokens = (
            count_tokens(example.messages)
            if count_tokens is not None
            else _estimate_tokens(example.messages, config.chars_per_token)
        )
        if tokens > config.max_tokens:
            return "too_long"
    if not is_supported(example, support_of(example.sources), config.min_support):
        return "unsupported"
    return None


# --------------------------------------------------------------------------- main


def filter_examples(
    examples: Sequence[Example],
    *,
    support_of: Callable[[Sequence[str]], str],
    heldout: set[str] | frozenset[str] = frozenset(),
    guard: PrivacyGuard | None = None,
    count_tokens: TokenCounter | None = None,
    config: FilterConfig | None = None,
    should_stop: StopFn | None = None,
) -> FilterResult:
    """Apply the rules in order (private, length, support, duplicates), then split.

    ``support_of(rels)`` returns the text an answer built from those entries may use
    (``VaultView.support_text``); ``heldout`` are the eval entries (:func:`heldout_rels`).
    ``should_stop`` is checked before each example (:class:`StopRequested`).
    """
    config = config or FilterConfig()
    report = FilterReport(total=len(examples))
    dropped: list[tuple[str, Example]] = []
    kept: list[Example] = []
    exact: set[str] = set()
    kept_shingles: dict[str, list[frozenset[tuple[str, ...]]]] = {}
    # the same fact from the same entry asked twice in other words is a duplicate too
    kept_answers: dict[tuple[str, tuple[str, ...]], list[frozenset[tuple[str, ...]]]] = {}

    def drop(reason: str, example: Example) -> None:
        report.dropped[reason] += 1
        dropped.append((reason, example))

    for example in examples:
        check_stop(should_stop)
        reason = _why_dropped(example, config, guard, support_of, count_tokens)
        if reason:
            drop(reason, example)
            continue
        key = _norm(example.question) + "\x1f" + _norm(example.answer)
        if key in exact:
            drop("duplicate", example)
            continue
        grams = _shingles(example.question + " " + example.answer)
        answer_grams = _shingles(example.answer)
        same_kind = kept_shingles.setdefault(example.kind, [])
        same_source = kept_answers.setdefault((example.kind, example.sources), [])
        if any(_near(grams, other, config.near_duplicate) for other in same_kind) or any(
            _near(answer_grams, other, config.near_duplicate) for other in same_source
        ):
            drop("near_duplicate", example)
            continue
        exact.add(key)
        same_kind.append(grams)
        same_source.append(answer_grams)
        kept.append(example)

    train: list[Example] = []
    eval_pool: list[Example] = []
    for example in kept:
        touched = [rel for rel in example.sources if rel in heldout]
        if not touched:
            train.append(example)
        elif example.kind == "memory_qa" and len(example.sources) == 1:
            eval_pool.append(example)
        else:
            drop("held_out_source", example)
    eval_set = _pick_eval(eval_pool, config.max_eval)
    report.eval_capped = len(eval_pool) - len(eval_set)
    report.eval_entries = len({e.sources[0] for e in eval_set})
    report.train_by_kind = count_by_kind(train)
    report.eval_by_kind = count_by_kind(eval_set)
    return FilterResult(train=train, eval=eval_set, report=report, dropped=dropped)


def _near(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]], threshold: float) -> bool:
    """Jaccard(a, b) >= threshold, skipping the count when sizes alone rule it out
    (Jaccard can never exceed small/large)."""
    if not a or not b:
        return False
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    if len(small) < threshold * len(large):
        return False
    inter = sum(1 for g in small if g in large)
    return inter / (len(a) + len(b) - inter) >= threshold


def _pick_eval(pool: Sequence[Example], limit: int) -> list[Example]:
    """Up to ``limit`` held-out questions, spread over entries (round robin), preferring
    questions with checkable facts; stable across runs."""
    by_entry: dict[str, list[Example]] = {}
    for e in sorted(pool, key=lambda e: (not e.facts, stable_fraction(e.id, "eval"))):
        by_entry.setdefault(e.sources[0], []).append(e)
    order = sorted(by_entry, key=lambda rel: stable_fraction(rel, "eval-order"))
    picked: list[Example] = []
    depth = 0
    while len(picked) < limit and any(len(v) > depth for v in by_entry.values()):
        for rel in order:
            if depth < len(by_entry[rel]) and len(picked) < limit:
                picked.append(by_entry[rel][depth])
        depth += 1
    return picked
