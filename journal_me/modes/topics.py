"""What a passage is about (health, money, family…), decided without a model.

The lexicon is data (``journal_me/data/topics.toml``): per topic, tags, the tags of people's
own pages (a passage naming Mum, whose page is tagged #family, is about family) and words,
matched through the search index's own analyser so word endings and case fold the same way
they do in search. Bridge roles list the topics they may share and never share.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

from journal_me.memory.retrieval import Hit, analyse

_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class Topic:
    name: str
    tags: frozenset[str]
    people_tags: frozenset[str]
    words: frozenset[str]  # single analysed terms
    phrases: tuple[tuple[str, ...], ...]  # analysed multi-word phrases
    min_words: int = 1


class TopicsError(ValueError):
    pass


def _tag_roots(tags: Iterable[str]) -> set[str]:
    """Tags and every parent of a nested tag: health/knee → health/knee, health."""
    out: set[str] = set()
    for t in tags:
        parts = t.lstrip("#").lower().split("/")
        out.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return out


def parse_topics(text: str, where: str = "topics.toml") -> dict[str, Topic]:
    raw = tomllib.loads(text)
    topics: dict[str, Topic] = {}
    allowed = {"tags", "people_tags", "words", "min_words"}
    for name, body in raw.items():
        if not isinstance(body, dict):
            raise TopicsError(f"{where}: [{name}] must be a table")
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise TopicsError(
                f"{where}: [{name}].{unknown[0]}: unknown key (allowed: {', '.join(sorted(allowed))})"
            )
        lists: dict[str, list[str]] = {}
        for key in ("tags", "people_tags", "words"):
            value = body.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise TopicsError(f"{where}: [{name}].{key} must be a list of strings")
            lists[key] = value
        min_words = body.get("min_words", 1)
        if not isinstance(min_words, int) or isinstance(min_words, bool) or min_words < 1:
            raise TopicsError(f"{where}: [{name}].min_words must be a whole number ≥ 1")
        words: set[str] = set()
        phrases: list[tuple[str, ...]] = []
        for w in lists["words"]:
            terms = tuple(analyse(w))
            if len(terms) != len(_WORDS.findall(w)) or not terms:
                raise TopicsError(
                    f"{where}: [{name}] word {w!r} loses words to the analyser ({list(terms)}); "
                    "use words that are not stop words"
                )
            if len(terms) == 1:
                words.add(terms[0])
            else:
                phrases.append(terms)
        topics[name] = Topic(
            name=name,
            tags=frozenset(t.lstrip("#").lower() for t in lists["tags"]),
            people_tags=frozenset(t.lstrip("#").lower() for t in lists["people_tags"]),
            words=frozenset(words),
            phrases=tuple(phrases),
            min_words=min_words,
        )
    return topics


@functools.cache
def builtin_topics() -> Mapping[str, Topic]:
    text = resources.files("journal_me.data").joinpath("topics.toml").read_text(encoding="utf-8")
    return parse_topics(text, "built-in topics")


def topic_names() -> tuple[str, ...]:
    return tuple(builtin_topics())


class TopicClassifier:
    """Topics of a passage: its entry's tags, the pages of the people it names, its words."""

    def __init__(
        self,
        topics: Mapping[str, Topic] | None = None,
        person_tags: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.topics = dict(topics if topics is not None else builtin_topics())
        #: lower-case entity name -> the tags of that entity's own page
        self.person_tags = {k.lower(): _tag_roots(v) for k, v in (person_tags or {}).items()}

    def topics_of(self, hit: Hit) -> set[str]:
        tags = _tag_roots(hit.entry.tags)
        terms = analyse(hit.passage)
        term_set = set(terms)
        people: set[str] = set()
        for e in hit.entities:
            people |= self.person_tags.get(e.lower(), set())
        found: set[str] = set()
        for t in self.topics.values():
            if tags & t.tags or people & t.people_tags:
                found.add(t.name)
                continue
            hits = len(term_set & t.words)
            if hits < t.min_words and t.phrases:
                joined = " " + " ".join(terms) + " "
                hits += sum(1 for p in t.phrases if f" {' '.join(p)} " in joined)
            if hits >= t.min_words:
                found.add(t.name)
        return found
