"""Chat mode: memory-only, as-of time travel, L0 budget, storage, the real llama.cpp path."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from journal_me.api import Journal
from journal_me.conversations import ConversationStore
from journal_me.modes.chat import ChatOptions, ChatSession, split_as_of
from journal_me.modes.common import NO_MODEL_HINT

from .conftest import FakeEngine

TODAY = dt.date(2026, 11, 1)


def _run(session: ChatSession, question: str, **kw: object) -> list:  # type: ignore[type-arg]
    return list(session.ask(question, **kw))  # type: ignore[arg-type]


def test_memory_only_mode_shows_labelled_passages(sample_journal: Journal, tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    session = ChatSession(sample_journal, None, store, today=lambda: TODAY)
    events = _run(session, "what did the physio tell me about my knee?")
    kinds = [e.kind for e in events]
    assert kinds[0] == "memories" and kinds[-1] == "done"
    done = events[-1]
    assert done.memory_only
    assert "Memory-only mode" in done.answer and NO_MODEL_HINT in done.answer
    assert "Fiona" in done.answer  # the passage itself, quoted
    assert done.citations and done.citations[0].rel.startswith(("journal/", "people/"))
    stored = store.messages(session.conversation.id)  # type: ignore[union-attr]
    assert [m.role for m in stored] == ["user", "assistant"]


def test_as_of_restricts_memory_to_the_past(sample_journal: Journal, tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    session = ChatSession(sample_journal, None, store, today=lambda: TODAY)
    cutoff = dt.date(2025, 12, 31)
    events = _run(session, "how is my running going, and my knee?", as_of=cutoff)
    hits = events[0].hits
    assert hits, "something before the cutoff should match"
    assert all(h.entry.date <= cutoff for h in hits)
    # without as-of, later entries (the knee injury of January 2026) are found
    later = _run(
        ChatSession(sample_journal, None, store, today=lambda: TODAY), "how is my running going, and my knee?"
    )[0].hits
    assert any(h.entry.date > cutoff for h in later)


def test_inline_as_of_phrase() -> None:
    q, day = split_as_of("As of June 2026, what did I think of Jamie?", TODAY)
    assert q == "what did I think of Jamie?" and day == dt.date(2026, 6, 30)
    q, day = split_as_of("talk to me as of 2025-11-20: how was Sam?", TODAY)
    assert q == "how was Sam?" and day == dt.date(2025, 11, 20)
    assert split_as_of("what happened as of late?", TODAY)[1] is None


def test_answer_streams_with_reasoning_split_and_is_stored(sample_journal: Journal, tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    engine = FakeEngine("<think>The 10K was in September.</think>I ran it in 58:41 [1].")
    session = ChatSession(sample_journal, engine, store, today=lambda: TODAY)  # type: ignore[arg-type]
    events = _run(session, "how long did the 10k take me?")
    reasoning = "".join(e.text for e in events if e.kind == "reasoning")
    answer = "".join(e.text for e in events if e.kind == "answer")
    assert reasoning == "The 10K was in September."
    assert answer == "I ran it in 58:41 [1]."
    done = events[-1]
    assert done.reasoning == reasoning and done.answer == answer and not done.memory_only
    saved = store.messages(session.conversation.id)[-1]  # type: ignore[union-attr]
    assert saved.content == answer and saved.reasoning == reasoning
    assert saved.citations and saved.citations[0]["n"] == 1
    # the prompt: first person, grounded, numbered memories, CoT instruction
    system, user = engine.prompts[0][0]["content"], engine.prompts[0][-1]["content"]
    assert "first person" in system and "<think>" in system
    assert user.startswith("Journal memories:\n<memory id=1 nonce=") and "\n[1] " in user
    assert user.endswith("Question: how long did the 10k take me?")


def test_cancel_stops_and_keeps_partial_answer(sample_journal: Journal, tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    engine = FakeEngine("word " * 200, chunk=5)
    session = ChatSession(sample_journal, engine, store, today=lambda: TODAY)  # type: ignore[arg-type]
    cancel = threading.Event()
    events = []
    for ev in session.ask("tell me about Sam", cancel=cancel):
        events.append(ev)
        if ev.kind == "answer" and len(events) > 5:
            cancel.set()
    done = events[-1]
    assert done.kind == "done" and done.cancelled
    assert 0 < len(done.answer) < len("word " * 200)


def test_l0_budget_folds_old_turns_into_a_summary(sample_journal: Journal, tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    engine = FakeEngine("<think>ok</think>" + "A long answer about my life. " * 30, n_ctx=1600)
    session = ChatSession(
        sample_journal,
        engine,
        store,
        today=lambda: TODAY,  # type: ignore[arg-type]
        options=ChatOptions(limit=3, max_tokens=200),
    )
    for q in ["tell me about Sam", "and Dev?", "what about Graham?", "and the move?", "and Jamie?"]:
        _run(session, q)
    conv = store.get(session.conversation.id)  # type: ignore[union-attr]
    assert conv.summary, "older turns should have been summarised"
    assert conv.summarised_upto > 0
    last_prompt = engine.prompts[-1]
    assert "Earlier in this conversation (summary)" in last_prompt[0]["content"]
    assert engine.count_prompt_tokens(last_prompt) <= engine.n_ctx - 200


def test_real_llama_cpp_streams_through_chat(
    sample_journal: Journal, tmp_path: Path, tiny_gguf: Path
) -> None:
    from journal_me.llm.engine import Engine

    store = ConversationStore(tmp_path / "c.sqlite3")
    with Engine(tiny_gguf, n_ctx=4096, n_threads=1) as engine:
        session = ChatSession(
            sample_journal, engine, store, today=lambda: TODAY, options=ChatOptions(limit=2, max_tokens=24)
        )
        events = _run(session, "what did I make at pottery?")
        assert events[-1].kind == "done"
        assert any(e.kind in {"answer", "reasoning"} and e.text for e in events)
        cancel = threading.Event()
        cancel.set()
        events = _run(session, "and after that?", cancel=cancel)
        assert events[-1].cancelled


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from trainer.tiny_gguf import build_tiny_gguf

    return build_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny.gguf")
