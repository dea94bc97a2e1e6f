"""Roles: topics shared and never shared, withheld counts, validation at load (issues 9.8, 15)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from journal_me.api import Journal
from journal_me.memory.retrieval import EntryRef, Hit
from journal_me.modes.bridge import BridgeSession, select_memories, topic_classifier
from journal_me.modes.topics import TopicClassifier, builtin_topics, parse_topics
from journal_me.roles import Role, RoleError, load_roles

from .conftest import FakeEngine

TODAY = dt.date(2026, 11, 1)


def _hit(text: str, tags: tuple[str, ...] = (), entities: tuple[str, ...] = ()) -> Hit:
    ref = EntryRef("a.md", Path("a.md"), dt.date(2026, 1, 1), "A day", tags)
    return Hit(ref, text, 1, 1, 1.0, (), entities)


# -- topics ---------------------------------------------------------------------------------
def test_builtin_topics_load_and_cover_the_sensitive_ones() -> None:
    topics = builtin_topics()
    assert {"health", "money", "family", "relationships", "work"} <= set(topics)


def test_topic_of_a_passage_from_tags_people_pages_and_words() -> None:
    c = TopicClassifier(person_tags={"Carol Marsh": ("family",)})
    assert "health" in c.topics_of(_hit("A quiet day.", tags=("health/knee",)))  # nested tag
    assert "health" in c.topics_of(_hit("Insomnia again, awake at four."))  # words, stemmed
    assert "family" in c.topics_of(_hit("Lunch in Sheffield.", entities=("carol marsh",)))  # her page
    assert "money" in c.topics_of(_hit("The rent went up again and my savings are gone."))
    assert "fitness" in c.topics_of(_hit("Planning my first half marathon."))  # a phrase
    assert c.topics_of(_hit("Bought a yellow umbrella.")) == set()


def test_a_lexicon_word_the_analyser_would_drop_is_refused() -> None:
    with pytest.raises(ValueError, match="loses words"):
        parse_topics('[x]\nwords = ["seeing each other"]\n')


# -- validation at load ---------------------------------------------------------------------
def test_non_utf8_roles_file_is_one_clear_line(tmp_path: Path) -> None:
    f = tmp_path / "roles.toml"
    f.write_bytes('[work]\ntone = "caf\u00e9"\n'.encode("latin-1"))
    with pytest.raises(RoleError) as err:
        load_roles(f)
    msg = str(err.value)
    assert str(f) in msg and "UTF-8" in msg and "\n" not in msg


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("[work]\ntone = 5\n", "[work].tone must be a string"),
        ('[work]\ncolour = "blue"\n', "[work].colour: unknown key (allowed: description, tone"),
        ('[work]\nnever_share = "health"\n', "[work].never_share must be a list of strings"),
        ('[work]\nshare = ["gossip"]\n', "unknown topic 'gossip' (topics: health"),
        ('[work]\nshare = ["health"]\nnever_share = ["health"]\n', "in both share and never_share"),
        ("work = 3\n", "work must be a table"),
        ("[work]\ninclude_tags = [1]\n", "[work].include_tags must be a list of strings"),
    ],
)
def test_wrong_values_name_the_key_and_what_is_allowed(tmp_path: Path, body: str, needle: str) -> None:
    f = tmp_path / "roles.toml"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(RoleError) as err:
        load_roles(f)
    assert needle in str(err.value) and str(f) in str(err.value)


def test_old_style_share_text_still_loads_as_guidance(tmp_path: Path) -> None:
    f = tmp_path / "roles.toml"
    f.write_text('[club]\nshare = "running news only"\nnever_share = ["Health"]\n', encoding="utf-8")
    club = load_roles(f)["club"]
    assert club.guidance == "running news only" and club.share == () and club.never_share == ("health",)
    assert "never share: health" in club.share_text() and "running news only" in club.share_text()


def test_builtin_roles_say_what_they_never_share() -> None:
    roles = load_roles(None)
    assert {"health", "money", "family"} <= set(roles["work"].never_share)
    assert "health" in roles["social"].never_share


# -- withholding ------------------------------------------------------------------------------
def test_never_shared_topics_are_withheld_and_counted(sample_journal: Journal) -> None:
    request = "my knee injury, the physio and the exercises"
    open_role = Role("open")
    guarded = Role("guarded", never_share=("health",))
    everything = select_memories(sample_journal, request, open_role)
    assert everything.hits, "the knee passages are found when health may be shared"
    c = topic_classifier(sample_journal)
    assert any("health" in c.topics_of(h) for h in everything.hits)
    sel = select_memories(sample_journal, request, guarded)
    assert all("health" not in c.topics_of(h) for h in sel.hits)
    assert sel.withheld.get("topic:health", 0) >= len(
        [h for h in everything.hits if "health" in c.topics_of(h)]
    )
    assert "about health" in sel.withheld_text()


def test_family_pages_make_a_passage_about_family(sample_journal: Journal) -> None:
    c = topic_classifier(sample_journal)
    hits = sample_journal.search("Mum garden dahlias", limit=5, include_private=False)
    assert any("family" in c.topics_of(h) for h in hits)
    work = load_roles(None)["work"]
    sel = select_memories(sample_journal, "Mum garden dahlias", work)
    assert all("family" not in c.topics_of(h) for h in sel.hits)


def test_draft_and_events_say_how_many_were_withheld(sample_journal: Journal) -> None:
    engine = FakeEngine("ok")
    role = Role("guarded", never_share=("health",))
    session = BridgeSession(sample_journal, engine, today=lambda: TODAY)  # type: ignore[arg-type]
    events = list(session.draft("enhance", "advice on my knee injury and the physio", role))
    done = events[-1]
    withheld = done.extra["withheld"]
    assert withheld.get("topic:health", 0) > 0
    notice = next(e for e in events if e.kind == "notice")
    assert "withheld" in notice.text and "about health" in notice.text
    json.dumps(done.extra)  # JSON-ready for `bridge --json`
    memory_only = BridgeSession(sample_journal, None, today=lambda: TODAY)
    answer = list(memory_only.draft("reply", "how is your knee injury after the physio?", role))[-1].answer
    assert "withheld" in answer and "about health" in answer
