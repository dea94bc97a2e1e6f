"""Prompt assembly is deterministic (golden files); conversations persist in SQLite."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

from journal_me.api import Journal
from journal_me.conversations import ConversationStore
from journal_me.llm.prompts import bridge_messages, chat_messages
from journal_me.memory.retrieval import Hit
from journal_me.roles import Role

GOLDEN = Path(__file__).parent / "golden"
TODAY = dt.date(2026, 11, 1)


def _render(messages: list[dict[str, str]]) -> str:
    return "\n".join(f"<<{m['role']}>>\n{m['content']}" for m in messages) + "\n"


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; UPDATE_GOLDEN=1 to accept"


def _passages(journal: Journal, *rels: str) -> list[Hit]:
    """The first passage with text of each entry (not its title-and-fields passage)."""
    out = []
    for rel in rels:
        passages = journal.passages(rel)
        out.append(next((h for h in passages if len(h.passage) > 120), passages[0]))
    return out


def test_chat_prompt_golden(sample_journal: Journal) -> None:
    # fixed passages, not a search: the golden file checks how prompts are assembled, and
    # must not change whenever retrieval ranks differently
    hits = _passages(sample_journal, "journal/2026/2026-08-02.md", "journal/2026/2026-08-26-evening.md")
    messages = chat_messages(
        question="where did Jamie and I go on our first date?",
        hits=hits,
        history=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello, me."}],
        summary="We talked about running.",
        name="Elena",
        profile_text="I am Elena.",
        as_of=dt.date(2026, 9, 1),
        today=TODAY,
    )
    assert messages == chat_messages(
        question="where did Jamie and I go on our first date?",
        hits=hits,
        history=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello, me."}],
        summary="We talked about running.",
        name="Elena",
        profile_text="I am Elena.",
        as_of=dt.date(2026, 9, 1),
        today=TODAY,
    )
    _check("chat_prompt.txt", _render(messages))


def test_bridge_prompt_golden(sample_journal: Journal) -> None:
    hits = _passages(sample_journal, "journal/2026/2026-01-12-evening.md", "journal/2026/2026-01-06.md")
    messages = bridge_messages(
        action="enhance",
        incoming="ask for advice on my knee",
        hits=hits,
        role=Role("study", tone="curious", guidance="what I tried", never_share=("money",)),
        name="Elena",
        profile_text=None,
        today=TODAY,
    )
    _check("bridge_enhance_prompt.txt", _render(messages))


def test_conversation_store_roundtrip(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    store = ConversationStore(path)
    assert store.schema_version == 1
    conv = store.create("First", as_of=dt.date(2026, 6, 1))
    store.add_message(conv.id, "user", "how was June?")
    store.add_message(
        conv.id,
        "assistant",
        "Busy.",
        reasoning="thinking",
        citations=[{"n": 1, "path": "a.md", "date": "2026-06-07", "title": "Sam", "line": 3}],
    )
    store.rename(conv.id, "June")
    store.close()
    again = ConversationStore(path)  # reopening runs no migration twice
    [c] = again.conversations()
    assert c.title == "June" and c.as_of == dt.date(2026, 6, 1)
    msgs = again.messages(c.id)
    assert [m.content for m in msgs] == ["how was June?", "Busy."] and msgs[1].reasoning == "thinking"
    md = again.export_markdown(c.id)
    assert md.startswith("# June") and "Busy." in md and "[1] 2026-06-07 Sam (a.md)" in md
    assert "thinking" not in md  # reasoning stays out of exports
    again.delete(c.id)
    assert again.conversations() == []
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
