"""The second me knows the numbers: metric questions in chat, and the profile's "lately"."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from journal_me.api import Journal
from journal_me.conversations import ConversationStore
from journal_me.life.metrics_answer import detect_metric_question, lately_paragraph, question_period
from journal_me.life.metrics_store import MetricInfo, refresh
from journal_me.llm.reasoning import ReasoningEvent, ReasoningSplitter
from journal_me.modes.chat import ChatSession
from journal_me.profile import template_profile

NOV = dt.date(2025, 11, 30)
# November 2025's sleep in the sample vault (private entries included: the owner's chat)
NOV_SLEEP = {3: 6, 5: 5.5, 7: 5, 10: 5, 13: 5, 15: 3, 16: 9, 17: 6, 21: 5.5, 23: 7, 29: 5.5}


class Engine:
    n_ctx = 100_000

    def __init__(self) -> None:
        self.prompts: list[list[dict[str, str]]] = []

    def count_prompt_tokens(self, messages: Sequence[Any]) -> int:
        return sum(len(m["content"]) for m in messages) // 4

    def stream_events(self, messages: Sequence[Any], **options: Any) -> Iterator[ReasoningEvent]:
        self.prompts.append([dict(m) for m in messages])
        splitter = ReasoningSplitter()
        cancel: threading.Event | None = options.get("cancel")
        assert cancel is None or not cancel.is_set()
        yield from splitter.feed("Rough month.")
        yield from splitter.flush()


def _ask(journal: Journal, question: str, engine: Engine | None = None) -> Any:
    session = ChatSession(journal, engine, ConversationStore(":memory:", save=False), today=lambda: NOV)  # type: ignore[arg-type]
    events = list(session.ask(question))
    return events[-1]


def test_memory_only_answer_has_the_numbers_and_cites_entries(sample_journal: Journal) -> None:
    final = _ask(sample_journal, "How has my sleep been this month?")
    assert final.memory_only
    mean = sum(NOV_SLEEP.values()) / len(NOV_SLEEP)
    assert f"{len(NOV_SLEEP)} days logged, average {mean:.1f}" in final.answer
    assert "lowest 3 on 2025-11-15" in final.answer and "highest 9 on 2025-11-16" in final.answer
    cited = {c.rel for c in final.citations}
    assert {"journal/2025/2025-11-15.md", "journal/2025/2025-11-16.md"} <= cited
    low = [c for c in final.citations if c.rel.endswith("2025-11-15.md")][-1]  # after the hits
    line = (sample_journal._vault.root / low.rel).read_text(encoding="utf-8").splitlines()[low.line - 1]
    assert "sleep:: 3" in line  # the citation opens the line the number is on
    assert f"[{low.n}] 2025-11-15" in final.answer


def test_model_answer_is_grounded_in_the_numbers(sample_journal: Journal) -> None:
    engine = Engine()
    final = _ask(sample_journal, "what was my average sleep last month?", engine)
    assert "Numbers from my own logs" in engine.prompts[0][-1]["content"]
    assert "October 2025" in final.answer and final.answer.endswith("Rough month.")


def test_other_questions_get_no_metric_block(sample_journal: Journal) -> None:
    final = _ask(sample_journal, "What did Sam say on the phone?")
    assert "days logged" not in final.answer


def test_a_fenced_view_gets_no_metrics(sample_journal: Journal) -> None:
    class Fenced:  # what a peer's answer path hands the chat: not the owner's Journal
        def __getattr__(self, name: str) -> Any:
            return getattr(sample_journal, name)

    final = _ask(Fenced(), "How has my sleep been this month?")  # type: ignore[arg-type]
    assert "days logged" not in final.answer


def test_detection_and_periods() -> None:
    metrics = [MetricInfo("sleep", 5, 0, NOV, NOV, None), MetricInfo("mood", 5, 3, NOV, NOV, None)]
    assert detect_metric_question("how have I slept lately?", metrics, NOV) is not None
    assert detect_metric_question("Tell me about Sleep No More, the play", metrics, NOV) is None
    p = question_period("how was my mood in October?", NOV)
    assert p is not None and (p.start, p.end) == (dt.date(2025, 10, 1), dt.date(2025, 10, 31))
    p = question_period("sleep last week", NOV)  # Sunday 30 Nov -> Mon 17 .. Sun 23
    assert p is not None and (p.start, p.end) == (dt.date(2025, 11, 17), dt.date(2025, 11, 23))


def test_lately_paragraph_uses_public_values_only(sample_journal: Journal) -> None:
    store = refresh(sample_journal)
    text = lately_paragraph(store, dt.date(2026, 3, 1))
    assert text.startswith("Lately (from what I log): ") and "sleep" in text
    # months after the last value it says so rather than "lately"
    assert lately_paragraph(store, dt.date(2026, 10, 1)).startswith("Last tracked (to 23 Feb 2026): ")
    # the last weeks end at the last public value; Dad's ward nights (4-5.5 h, private) are out
    public = [p for p in store.series("sleep", include_private=False)]
    last = max(p.day for p in public)
    assert last.strftime("%d %b %Y") in text
    assert all(not p.private for p in public)
    assert "26 Feb 2026" not in text  # the last (private) value, 26 Feb, is not counted
    assert "26 Feb 2026" in lately_paragraph(store, dt.date(2026, 3, 1), include_private=True)
    profile = template_profile(sample_journal, "Elena")
    assert profile.lately == lately_paragraph(store) and profile.prompt_text().endswith(profile.lately)
    assert "sleep down" in profile.lately
