"""Bridge mode: the privacy fence (a planted secret never reaches a draft), roles, actions."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from journal_me.api import Journal
from journal_me.conversations import ConversationStore
from journal_me.modes.bridge import BridgeSession, bridge_memories
from journal_me.roles import Role, RoleError, load_roles

from .conftest import SECRET, FakeEngine

TODAY = dt.date(2026, 11, 1)
QUESTION = "How did the Leith 10K go? Did you get a medal for the running?"


def test_planted_secret_is_findable_by_the_owner(sample_journal: Journal) -> None:
    # the plant works: the owner's own search finds it…
    hits = sample_journal.search("running watch code 10K medal", limit=5)
    assert any(SECRET in h.passage for h in hits)


@pytest.mark.parametrize("action", ["reply", "enhance", "critic"])
def test_private_entries_never_reach_bridge_prompts(sample_journal: Journal, action: str) -> None:
    engine = FakeEngine("<think>private thoughts ZZZ</think>Draft text.")
    session = BridgeSession(sample_journal, engine, today=lambda: TODAY)  # type: ignore[arg-type]
    roles = load_roles(None)
    events = list(session.draft(action, QUESTION + " running watch code", roles["social"]))
    prompt = json.dumps(engine.prompts)
    assert SECRET not in prompt
    assert all(not h.entry.private for h in events[0].hits)
    done = events[-1]
    assert done.answer == "Draft text."  # the reasoning is never part of the draft
    assert "ZZZ" not in done.answer and done.reasoning == "private thoughts ZZZ"


def test_memory_only_draft_has_no_secret(sample_journal: Journal, tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    session = BridgeSession(sample_journal, None, store, today=lambda: TODAY)
    for action in ("reply", "enhance", "critic"):
        events = list(session.draft(action, QUESTION + " running watch code", load_roles(None)["social"]))
        assert SECRET not in events[-1].answer and events[-1].memory_only
    enhanced = [c for c in store.conversations("bridge") if c.title.startswith("enhance")]
    assert enhanced and SECRET not in store.export_markdown(enhanced[0].id)


def test_private_tag_also_fences(sample_journal: Journal) -> None:
    role = Role("work", exclude_tags=("running",))
    hits = bridge_memories(sample_journal, "Leith 10K running time", role)
    assert all("running" not in {t.split("/")[0] for t in h.entry.tags} for h in hits)
    only = Role("only-work", include_tags=("work",))
    for h in bridge_memories(sample_journal, "the dashboard pilot launch", only):
        assert any(t.split("/")[0] == "work" for t in h.entry.tags)


def test_bridge_prompt_carries_role_and_action(sample_journal: Journal) -> None:
    engine = FakeEngine("ok")
    session = BridgeSession(sample_journal, engine, today=lambda: TODAY)  # type: ignore[arg-type]
    role = load_roles(None)["work"]
    list(session.draft("enhance", "ask for advice on my knee", role))
    system, user = engine.prompts[0][0]["content"], engine.prompts[0][1]["content"]
    assert "Role: work" in system and role.tone in system and "first-person request" in system
    assert user.endswith("My request:\nask for advice on my knee")
    with pytest.raises(ValueError):
        list(session.draft("summarise", "x", role))
    with pytest.raises(ValueError):
        list(session.draft("reply", "   ", role))


def test_user_roles_file_overrides_and_validates(tmp_path: Path) -> None:
    f = tmp_path / "roles.toml"
    f.write_text('[work]\ntone = "terse"\nexclude_tags = ["#health"]\n[club]\ndescription = "running club"\n')
    roles = load_roles(f)
    assert roles["work"].tone == "terse" and roles["work"].exclude_tags == ("health",)
    assert "club" in roles and "family" in roles
    f.write_text('[work]\ncolour = "blue"\n')
    with pytest.raises(RoleError, match="unknown key"):
        load_roles(f)
