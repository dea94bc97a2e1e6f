"""The trainer's view of the vault: public entries only, and prompts built as served.

Two promises live here, so that no synthesiser can forget them:

1. **The privacy fence.** Only entries that are not private (``private: true``, a private
   tag, a privacy flag that cannot be read with certainty) and not conflict copies are
   read, and every passage that goes into a prompt or an answer is checked again
   (:meth:`VaultView.check_public`): a private entry reaching the training data would be
   learned into the adapter's weights for good, where no retrieval filter can hide it.
2. **Train as served.** Prompts are built with the very functions chat and bridge use at
   inference (``chat_messages`` / ``bridge_messages``: same system prompt, same memory
   block, same chain-of-thought instruction), with memories from the real retriever, so
   the adapter learns the format it will be run with.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from journal_me.api import Journal
from journal_me.llm.prompts import bridge_messages, chat_messages
from journal_me.memory.retrieval import Hit
from journal_me.modes.topics import TopicClassifier
from journal_me.roles import Role
from journal_me.vault import Entry, EntryReadError
from trainer.facts import long_date, sentences

Prompt = tuple[Mapping[str, str], ...]

_DATE_TITLE = re.compile(
    r"^(?:\d{4}-\d{2}-\d{2}\S*|(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)?"
    r"\s*\d{1,2}\s+\w+\s+\d{4})$",
    re.I,
)


class PrivacyViolation(RuntimeError):
    """Private journal text reached the training data; synthesis is aborted, never trimmed."""


_WORD = re.compile(r"\w+")


class _PublicWords:
    """Which names public text uses, as whole words (fast: a word set, then a phrase check)."""

    def __init__(self, text: str) -> None:
        words = _WORD.findall(text.lower())
        self.words = set(words)
        self.text = " " + " ".join(words) + " "

    def mentions(self, name: str) -> bool:
        words = _WORD.findall(name.lower())
        if not words or len(name.strip()) < 3 or not all(w in self.words for w in words):
            return False
        return len(words) == 1 or f" {' '.join(words)} " in self.text


def is_public(entry: Entry) -> bool:
    """Whether an entry may be trained on: not private, its privacy readable with certainty,
    and not a conflict copy awaiting resolution (which would duplicate, or leak, its twin)."""
    return not (entry.private or entry.privacy_unreadable or entry.conflict_of is not None)


def stable_fraction(key: str, salt: str = "") -> float:
    """A number in [0, 1) fixed by ``key``: same entry, same answer, on every machine."""
    digest = hashlib.sha1((salt + key).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def pick(options: Sequence[str], key: str) -> str:
    """A deterministic choice among template variants."""
    return options[int(stable_fraction(key, "variant") * len(options))]


@dataclass(frozen=True)
class PublicEntry:
    entry: Entry
    passages: tuple[Hit, ...]

    @property
    def rel(self) -> str:
        return self.entry.rel

    @property
    def is_note(self) -> bool:
        return self.entry.kind == "note"

    @property
    def title_phrase(self) -> str | None:
        """The entry's title when it says something (not a bare date or file name)."""
        title = self.entry.title.strip()
        if not title or _DATE_TITLE.match(title) or title == self.rel.rsplit("/", 1)[-1].removesuffix(".md"):
            return None
        return title

    def lead(self, limit: int = 2) -> str:
        """The first sentences of the entry (what it is "about" at a glance)."""
        if not self.passages:
            return ""
        return " ".join(sentences(self.passages[0].passage)[:limit])


class VaultView:
    """Public entries with their passages and entity names, plus the prompt builders."""

    def __init__(
        self,
        journal: Journal,
        *,
        name: str | None,
        profile_text: str | None,
        today: dt.date,
        holdout: Callable[[str], bool] = lambda rel: False,
        memories: int = 3,
    ) -> None:
        self.journal = journal
        self.name = name
        self.profile_text = profile_text
        self.today = today
        self.holdout = holdout
        self.memories = max(1, memories)
        self.private_rels: set[str] = set()
        self._topics: TopicClassifier | None = None
        self.entries: dict[str, PublicEntry] = {}
        for summary in journal.entries():
            if summary.private or summary.conflict_of is not None:
                self.private_rels.add(summary.rel)
                continue
            try:
                entry = journal.entry(summary.rel)
            except EntryReadError:
                continue
            if not is_public(entry):  # marked private since the last index: the file decides
                self.private_rels.add(summary.rel)
                continue
            hits = tuple(h for h in journal.passages(summary.rel) if not h.entry.private)
            if hits:
                self.entries[summary.rel] = PublicEntry(entry, hits)
        # A name is public only where public text uses it: a private person page's aliases (a
        # real name, a nickname) never appear in public entries, so they stay out even if the
        # graph were to list them.
        public = _PublicWords(
            "\n".join(
                part
                for pub in self.entries.values()
                for part in (pub.entry.title, " ".join(pub.entry.tags), *(h.passage for h in pub.passages))
            )
        )
        infos = journal.entities(include_private=False)
        self.entities = [
            e for e in infos if e.type != "tag" and any(public.mentions(n) for n in (e.name, *e.aliases))
        ]
        self.tags = [e for e in infos if e.type == "tag"]
        names: set[str] = {e.name for e in self.entities}
        for info in self.entities:
            names.update(a for a in info.aliases if len(a) > 2 and a[:1].isalpha() and public.mentions(a))
        #: every entity name (facts to check and swap)
        self.names: tuple[str, ...] = tuple(sorted(names))
        own = {n.lower() for n in (name or "").split()}
        #: names worth asking about: marked up by the user, or frequent proper nouns (the
        #: graph's heuristics also find "God" or "HQ" twice; questions about those are noise)
        self.subjects: tuple[str, ...] = tuple(
            sorted(
                e.name
                for e in self.entities
                if (e.explicit or (e.count >= 3 and not e.name.isupper())) and e.name.lower() not in own
            )
        )

    # -- which entries -----------------------------------------------------------------
    @property
    def who(self) -> str:
        return self.name or "the author of this journal"

    def trainable(self, rel: str) -> bool:
        """Public and not held out for evaluation."""
        return rel in self.entries and not self.holdout(rel)

    def diary(self) -> list[PublicEntry]:
        """Dated entries (not pages about a person/place), oldest first."""
        return sorted(
            (e for e in self.entries.values() if not e.is_note), key=lambda e: (e.entry.date, e.rel)
        )

    def notes(self) -> list[PublicEntry]:
        return sorted((e for e in self.entries.values() if e.is_note), key=lambda e: e.rel)

    def shareable(self, hit: Hit, role: Role) -> bool:
        """Whether a bridge draft in ``role`` may use ``hit``, as served: public, allowed by
        the role's tags, and about no topic the role never shares (bridge.select_memories)."""
        if hit.entry.private or hit.rel not in self.entries or not role.allows(hit):
            return False
        if self._topics is None:
            from journal_me.modes.bridge import topic_classifier

            self._topics = topic_classifier(self.journal)
        return role.off_limits(self._topics.topics_of(hit)) is None

    def check_public(self, hits: Iterable[Hit]) -> None:
        for hit in hits:
            if hit.entry.private or hit.rel not in self.entries:
                raise PrivacyViolation(f"{hit.rel} is private or unknown and must not be trained on")

    # -- memories ----------------------------------------------------------------------
    def memories_for(
        self, question: str, sources: Sequence[Hit], *, for_eval: bool = False, key: str = ""
    ) -> list[Hit]:
        """The memory block for a question: what the retriever finds (public only), with
        every source passage guaranteed a place. Training prompts never show held-out
        entries, not even as distractors; eval prompts may."""
        wanted = max(self.memories, len(sources))
        source_keys = {(h.rel, h.line_start) for h in sources}
        found = self.journal.search(question, limit=wanted + 4, include_private=False, today=self.today)
        room = wanted - len(sources)
        result: list[Hit] = []
        seen: set[tuple[str, int]] = set()
        for h in found:
            k = (h.rel, h.line_start)
            if h.entry.private or h.rel not in self.entries or k in seen:
                continue
            if k in source_keys:
                result.append(h)
            elif room > 0 and (for_eval or not self.holdout(h.rel)):
                result.append(h)
                room -= 1
            else:
                continue
            seen.add(k)
        missing = [s for s in sources if (s.rel, s.line_start) not in seen]
        for i, source in enumerate(missing):
            # a source the retriever missed goes in at a stable pseudo-random slot, so the
            # model does not learn "the answer is always memory [1]"
            slot = int(stable_fraction(f"{key}|{i}", "slot") * (len(result) + 1))
            result.insert(slot, source)
        self.check_public(result)
        return result

    @staticmethod
    def number_of(hits: Sequence[Hit], source: Hit) -> int:
        """The citation number ``[n]`` of ``source`` in a memory block."""
        for i, h in enumerate(hits, 1):
            if h.rel == source.rel and h.line_start == source.line_start:
                return i
        raise ValueError(f"{source.rel}:{source.line_start} is not among the memories")

    # -- prompts -----------------------------------------------------------------------
    def chat_prompt(self, question: str, hits: Sequence[Hit]) -> Prompt:
        self.check_public(hits)
        messages = chat_messages(
            question=question,
            hits=hits,
            history=[],
            summary=None,
            name=self.name,
            profile_text=self.profile_text,
            as_of=None,
            today=self.today,
        )
        return tuple(messages)

    def bridge_prompt(self, action: str, incoming: str, hits: Sequence[Hit], role: Role) -> Prompt:
        self.check_public(hits)
        messages = bridge_messages(
            action=action,
            incoming=incoming,
            hits=hits,
            role=role,
            name=self.name,
            profile_text=self.profile_text,
            today=self.today,
        )
        return tuple(messages)

    # -- support -----------------------------------------------------------------------
    def support_text(self, rels: Iterable[str]) -> str:
        """What an answer built from ``rels`` may draw on: their text, titles, dates, tags."""
        parts: list[str] = []
        for rel in rels:
            pub = self.entries.get(rel)
            if pub is None:
                continue
            e = pub.entry
            parts += [e.title, long_date(e.date), e.date.strftime("%A %B %Y"), " ".join(e.tags)]
            parts += [h.passage for h in pub.passages]
        return "\n".join(parts)
