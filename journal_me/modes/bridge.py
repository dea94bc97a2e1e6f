"""Bridge mode: drafts written as you, for the outside world.

Three actions, each with a role: *reply* to a message someone sent, *enhance* a short request
into a rich first-person one for an expert or another AI, *critic* an expert's answer from
your side. The privacy fence is absolute: private entries (``private: true`` or a private tag)
are never retrieved for a bridge prompt, and the role's tag rules narrow what remains.
The reasoning is kept with the draft but never part of the draft text that gets copied.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from journal_me.api import Journal
from journal_me.conversations import ConversationStore
from journal_me.llm.prompts import Citation, bridge_messages, cite, neutralise
from journal_me.memory.retrieval import QUESTION_NOISE, Hit, analyse
from journal_me.modes.common import NO_MODEL_HINT, TalkEngine, TalkEvent, run_stream
from journal_me.modes.topics import TopicClassifier
from journal_me.roles import Role

ACTIONS = ("reply", "enhance", "critic")


@dataclass(frozen=True)
class Relevance:
    """When a retrieved passage is relevant enough to hand to the outside world.

    A passage's *coverage* is the share of the request's content words (IDF-weighted: rare
    words count more, "half" less than "marathon") found in its text, title or tags. It is
    kept when its coverage is at least ``relative`` of the best-covered candidate's and at
    least ``min_coverage`` outright. Chosen on 22 labelled requests over the sample vault
    (tests/modes/data/enhance_relevance.json, measured in test_enhance_relevance.py): the
    retriever's own score relative to the top hit barely separated relevant from irrelevant
    passages (precision 0.55 → 0.58 while recall fell), coverage did (0.55 → 0.73).
    """

    relative: float = 0.6
    min_coverage: float = 0.3


RELEVANCE = Relevance()

# Words that make a request a request, not what it is about ("help me plan…", "can you…").
REQUEST_NOISE = frozenset(
    analyse(
        "help helping plan planning advice advise ask asking want wanted need needs please could "
        "would should can best good way ways tips idea ideas question questions answer write "
        "draft reply message thanks thank hi hello dear let know make sure start"
    )
)


@dataclass(frozen=True)
class MemorySelection:
    """The memories a bridge draft may use, and how many were left out, per reason."""

    hits: list[Hit]
    withheld: dict[str, int] = field(default_factory=dict)

    @property
    def withheld_total(self) -> int:
        return sum(self.withheld.values())

    def withheld_text(self) -> str:
        """ "3 memories withheld: 2 not relevant, 1 about health" (empty when none)."""
        if not self.withheld:
            return ""
        parts = []
        for reason, n in sorted(self.withheld.items(), key=lambda kv: (-kv[1], kv[0])):
            if reason.startswith("topic:"):
                topic = reason.removeprefix("topic:")
                words = "about topics this role does not share" if topic == "not shared" else f"about {topic}"
            else:
                words = {"relevance": "not relevant", "tags": "excluded by the role's tags"}.get(
                    reason, reason
                )
            parts.append(f"{n} {words}")
        n = self.withheld_total
        return f"{n} memor{'y' if n == 1 else 'ies'} withheld: " + ", ".join(parts)


def request_terms(text: str) -> set[str]:
    return {t for t in analyse(text) if t not in QUESTION_NOISE and t not in REQUEST_NOISE}


def passage_words(hit: Hit) -> set[str]:
    words = set(analyse(hit.passage)) | set(analyse(hit.entry.title))
    return words | {p for t in hit.entry.tags for p in analyse(t.replace("/", " ").replace("-", " "))}


def coverage(hit: Hit, weights: dict[str, float]) -> float:
    """The IDF-weighted share of the request's words that the passage has."""
    total = sum(weights.values())
    if not total:
        return 0.0
    words = passage_words(hit)
    return sum(w for t, w in weights.items() if t in words) / total


def term_weights(journal: Journal, terms: set[str]) -> dict[str, float]:
    """IDF of each request word over the journal's passages (1.0 each if the index cannot say)."""
    return journal.term_idf(terms)


def select_memories(
    journal: Journal,
    text: str,
    role: Role,
    limit: int = 6,
    *,
    rule: Relevance = RELEVANCE,
    classifier: TopicClassifier | None = None,
) -> MemorySelection:
    """Memories for a bridge prompt. The fence is structural: private entries (and conflict
    copies) are never retrieved (``include_private=False``); then the role's tags, relevance
    to the request and the role's topics decide, and what is left out is counted."""
    candidates = journal.search(text, limit=limit * 4, include_private=False)
    candidates = [h for h in candidates if not h.entry.private]
    classifier = classifier if classifier is not None else topic_classifier(journal)
    weights = term_weights(journal, request_terms(text))
    covered = {id(h): coverage(h, weights) for h in candidates}
    best = max((covered[id(h)] for h in candidates if role.allows(h)), default=0.0)
    floor = max(rule.min_coverage, rule.relative * best)
    withheld: Counter[str] = Counter()
    kept: list[Hit] = []
    for h in candidates:
        if not role.allows(h):
            withheld["tags"] += 1
        elif covered[id(h)] < floor:
            withheld["relevance"] += 1
        elif (why := role.off_limits(classifier.topics_of(h))) is not None:
            withheld[why] += 1
        elif len(kept) < limit:
            kept.append(h)
    return MemorySelection(kept, dict(withheld))


def topic_classifier(journal: Journal) -> TopicClassifier:
    """The lexicon, plus the tags of the vault's pages about people (Mum's page: #family)."""
    pages = {s.rel: s.tags for s in journal.entries() if s.note}
    person_tags: dict[str, tuple[str, ...]] = {}
    for rel, tags in pages.items():
        subject = journal.page_subject(rel) if tags else None
        if subject:
            person_tags[subject] = tags
    return TopicClassifier(person_tags=person_tags)


def bridge_memories(journal: Journal, text: str, role: Role, limit: int = 6) -> list[Hit]:
    """Memories for a bridge prompt: never private, relevant, allowed by the role."""
    return select_memories(journal, text, role, limit).hits


def memory_only_draft(action: str, incoming: str, hits: list[Hit], withheld: str = "") -> str:
    """Without a model: for *enhance*, the request plus its context; else the context."""
    context = "\n".join(
        f"- {h.entry.date.strftime('%-d %B %Y')}: {neutralise(h.passage.strip().splitlines()[0][:240])}"
        for h in hits
    )
    if action == "enhance":
        body = incoming.strip()
        if context:
            body += "\n\nSome context about me, from my journal:\n" + context
        return body
    head = "Memory-only mode: no model to write the draft. What my journal says that may help:"
    note = f"\n({withheld})" if withheld else ""
    return f"{head}\n{context or '(nothing relevant)'}{note}\n\n{NO_MODEL_HINT}"


class BridgeSession:
    def __init__(
        self,
        journal: Journal,
        engine: TalkEngine | None,
        store: ConversationStore | None = None,
        *,
        profile_text: str | None = None,
        name: str | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        max_tokens: int = 768,
    ) -> None:
        self.journal = journal
        self.engine = engine
        self.store = store
        self.profile_text = profile_text
        self.name = name
        self.today = today
        self.max_tokens = max_tokens

    def draft(
        self,
        action: str,
        incoming: str,
        role: Role,
        *,
        cancel: threading.Event | None = None,
    ) -> Iterator[TalkEvent]:
        if action not in ACTIONS:
            raise ValueError(f"unknown bridge action {action!r}: choose reply, enhance or critic")
        if not incoming.strip():
            raise ValueError("nothing to work on: paste the message, request or answer first")
        selection = select_memories(self.journal, incoming, role)
        hits = selection.hits
        citations = cite(hits)
        extra: dict[str, object] = {
            "withheld": dict(selection.withheld),
            "withheld_note": selection.withheld_text(),
        }
        yield TalkEvent("memories", hits=tuple(hits), citations=tuple(citations), extra=extra)
        if selection.withheld:
            yield TalkEvent("notice", selection.withheld_text(), extra=extra)
        if self.engine is None:
            text = memory_only_draft(action, incoming, hits, selection.withheld_text())
            self._save(action, role, incoming, text, "", citations)
            yield TalkEvent("answer", text)
            yield TalkEvent("done", answer=text, citations=tuple(citations), memory_only=True, extra=extra)
            return
        messages = bridge_messages(
            action=action,
            incoming=incoming,
            hits=hits,
            role=role,
            name=self.name,
            profile_text=self.profile_text,
            today=self.today(),
        )
        result: dict[str, str] = {}
        yield from run_stream(self.engine, messages, cancel=cancel, max_tokens=self.max_tokens, result=result)
        cancelled = bool(cancel is not None and cancel.is_set())
        draft = result.get("answer", "")
        self._save(action, role, incoming, draft, result.get("reasoning", ""), citations)
        yield TalkEvent(
            "done",
            answer=draft,
            reasoning=result.get("reasoning", ""),
            citations=tuple(citations),
            cancelled=cancelled,
            extra=extra,
        )

    def _save(
        self, action: str, role: Role, incoming: str, draft: str, reasoning: str, citations: list[Citation]
    ) -> None:
        if self.store is None:
            return
        title = f"{action} ({role.name}): " + incoming.strip().splitlines()[0][:50]
        conv = self.store.create(title, mode="bridge", role=role.name)
        self.store.add_message(conv.id, "user", incoming)
        self.store.add_message(
            conv.id, "assistant", draft, reasoning=reasoning, citations=[c.to_json() for c in citations]
        )
