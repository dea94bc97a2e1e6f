"""Chat mode: talk with your past self, grounded in cited entries, optionally "as of" a date.

L0 memory is the conversation itself, token-budgeted: recent turns go into the prompt whole;
when they no longer fit, the oldest are folded into a running summary (by the model) that
rides in the system prompt. As-of time travel restricts retrieval to entries on or before the
date, so the past self does not know the future.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from journal_me.api import Journal
from journal_me.conversations import Conversation, ConversationStore, StoredMessage
from journal_me.dates import DateParseError, parse_day
from journal_me.life.metrics_answer import metric_grounding
from journal_me.llm.prompts import chat_messages, cite, summary_messages
from journal_me.llm.reasoning import split_reasoning
from journal_me.memory.retrieval import Hit, QueryPlan
from journal_me.modes.common import TalkEngine, TalkEvent, memory_only_text, run_stream
from journal_me.modes.window import empty_window

AS_OF_RE = re.compile(
    r"^\s*(?:(?:talk|speak)\s+to\s+me\s+|answer\s+)?as\s+of\s+(?P<date>[^,:;.?!]+?)\s*[,:;.]\s*(?P<rest>.*)$",
    re.I | re.S,
)


@dataclass(frozen=True)
class ChatOptions:
    limit: int = 6  # passages retrieved per question
    max_tokens: int = 768  # reply budget
    reserve_tokens: int = 64  # slack for template markup


def split_as_of(question: str, today: dt.date) -> tuple[str, dt.date | None]:
    """ "as of June 2023, what did I think of Sam?" → (question, 2023-06-30)."""
    m = AS_OF_RE.match(question)
    if not m:
        return question, None
    try:
        day = parse_day(m.group("date"), today, end_of_period=True)
    except DateParseError:
        return question, None
    return (m.group("rest").strip() or question), day


class ChatSession:
    """One conversation with the past self. Not thread-safe: one question at a time."""

    def __init__(
        self,
        journal: Journal,
        engine: TalkEngine | None,
        store: ConversationStore,
        conversation: Conversation | None = None,
        *,
        profile_text: str | None = None,
        name: str | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        options: ChatOptions | None = None,
    ) -> None:
        self.journal = journal
        self.engine = engine
        self.store = store
        self.conversation = conversation
        self.profile_text = profile_text
        self.name = name
        self.today = today
        self.options = options or ChatOptions()

    @property
    def memory_only(self) -> bool:
        return self.engine is None

    def history(self) -> list[StoredMessage]:
        if self.conversation is None:
            return []
        return self.store.messages(self.conversation.id)

    def ask(
        self,
        question: str,
        *,
        as_of: dt.date | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[TalkEvent]:
        """Retrieve, then stream the answer. The last event is ``done`` (or ``error``)."""
        today = self.today()
        question, inline_as_of = split_as_of(question, today)
        if self.conversation is None:
            title = question.strip().splitlines()[0][:60] or "Conversation"
            self.conversation = self.store.create(title, mode="chat", as_of=as_of or inline_as_of)
        as_of = as_of or inline_as_of or self.conversation.as_of
        plan = QueryPlan()
        hits = self.journal.search(
            question, limit=self.options.limit, before=as_of, today=as_of or today, plan=plan
        )
        citations = cite(hits)
        # "how has my sleep been this month?": the numbers from the metric store, cited
        first_n = len(citations) + 1
        metric = metric_grounding(self.journal, question, today=today, as_of=as_of, first_n=first_n)
        if metric is not None:
            citations += metric.citations
        yield TalkEvent("memories", hits=tuple(hits), citations=tuple(citations))
        window = empty_window(plan, self.journal.entries(), as_of=as_of)
        notice = window.notice() if window is not None else ""
        if notice:
            yield TalkEvent("notice", notice)
        earlier = [m for m in self.history() if m.id > self.conversation.summarised_upto]
        self.store.add_message(self.conversation.id, "user", question)

        if self.engine is None:
            heading = "_Memory-only mode: what my journal says_" + (
                f" _(as of {as_of.isoformat()})_" if as_of else ""
            )
            if metric is not None:
                heading += f"\n\n{metric.text}"
            text = memory_only_text(hits, heading)
            if notice:
                text = f"_{notice}_\n\n{text}"
            self.store.add_message(
                self.conversation.id,
                "assistant",
                text,
                citations=[c.to_json() for c in citations],
            )
            yield TalkEvent("answer", text)
            yield TalkEvent("done", answer=text, citations=tuple(citations), memory_only=True)
            return

        summary = self.conversation.summary
        note = window.prompt_note() if window is not None else None
        if metric is not None:
            note = "\n\n".join(x for x in (note, f"Numbers from my own logs (exact): {metric.text}") if x)
        messages = self._fit(question, hits, earlier, summary, as_of, today, note)
        result: dict[str, str] = {}
        # the notice and the logged numbers are said in the answer itself, whatever the model
        # makes of the note
        lead = "\n\n".join(x for x in (notice, metric.text if metric is not None else "") if x)
        if lead:
            yield TalkEvent("answer", lead + "\n\n")
        yield from run_stream(
            self.engine, messages, cancel=cancel, max_tokens=self.options.max_tokens, result=result
        )
        cancelled = bool(cancel is not None and cancel.is_set())
        answer = result.get("answer", "")
        if cancelled:
            answer = (answer + " …").strip() if answer else "(stopped)"
        if lead:
            answer = f"{lead}\n\n{answer}"
        self.store.add_message(
            self.conversation.id,
            "assistant",
            answer,
            reasoning=result.get("reasoning", ""),
            citations=[c.to_json() for c in citations],
        )
        yield TalkEvent(
            "done",
            answer=answer,
            reasoning=result.get("reasoning", ""),
            citations=tuple(citations),
            cancelled=cancelled,
        )

    # -- L0 budget -------------------------------------------------------------------------
    def _fit(
        self,
        question: str,
        hits: list[Hit],
        earlier: list[StoredMessage],
        summary: str | None,
        as_of: dt.date | None,
        today: dt.date,
        note: str | None = None,
    ) -> list[dict[str, str]]:
        assert self.engine is not None and self.conversation is not None
        budget = self.engine.n_ctx - self.options.max_tokens - self.options.reserve_tokens
        turns = list(earlier)
        while True:
            messages = chat_messages(
                question=question,
                hits=hits,
                history=[m.as_chat() for m in turns],
                summary=summary,
                name=self.name,
                profile_text=self.profile_text,
                as_of=as_of,
                today=today,
                note=note,
            )
            if self.engine.count_prompt_tokens(messages) <= budget:
                return messages
            if turns:
                # fold the oldest exchange (user + assistant) into the running summary
                fold, turns = turns[:2], turns[2:]
                summary = self._summarise(fold, summary)
                self.store.set_summary(self.conversation.id, summary, fold[-1].id)
                self.conversation = self.store.get(self.conversation.id)
                continue
            if len(hits) > 1:
                hits = hits[:-1]  # fewer memories before giving up
                continue
            return messages  # the engine reports a too-long prompt clearly

    def _summarise(self, turns: list[StoredMessage], previous: str | None) -> str:
        assert self.engine is not None
        messages = summary_messages([m.as_chat() for m in turns], previous)
        result: dict[str, str] = {}
        for _ in run_stream(self.engine, messages, cancel=None, max_tokens=200, result=result):
            pass
        text = result.get("answer", "").strip()
        if not text:  # a model that only "thought": keep something true rather than nothing
            _r, text = split_reasoning(result.get("reasoning", ""))
        if not text:
            text = " ".join(m.content.strip().split(".")[0] for m in turns)[:500]
        return ((previous + "\n") if previous else "") + text
