"""The conversation view of the Chat screen: your questions, your past self's answers.

An answer streams into a ``Markdown`` through ``Markdown.get_stream`` (fragments are batched,
never the whole reply re-rendered per token) and gets one full ``Markdown.update`` at the
end, which also repairs what streaming left open (a half-written list or fence). The
reasoning streams the same way into a ``Collapsible`` under the answer, collapsed. The
sources come last: selecting one posts :class:`~journal_me.tui.messages.OpenEntry`.

Journal text and questions are never parsed as Rich markup (``Text``/``Content`` only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Collapsible, Markdown, OptionList, Static
from textual.widgets.markdown import MarkdownStream

from journal_me.llm.prompts import Citation
from journal_me.termsafe import clean
from journal_me.tui.messages import OpenEntry
from journal_me.tui.text import one_line

INTRO = (
    "Ask your past self anything — it answers in your voice from your journal, and cites "
    "the entries it remembers (select a source to open it).\n"
    'Set "as of" to talk to yourself as you were then: no memories after that day.'
)


def citation_from_json(raw: Mapping[str, Any]) -> Citation | None:
    """A stored citation (``Citation.to_json``) back as a :class:`Citation`."""
    try:
        return Citation(
            n=int(raw["n"]),
            rel=str(raw["path"]),
            date=dt.date.fromisoformat(str(raw["date"])),
            title=str(raw.get("title", "")),
            line=int(raw.get("line", 1)),
        )
    except (KeyError, TypeError, ValueError):
        return None


def citations_from_json(raws: Iterable[Mapping[str, Any]]) -> list[Citation]:
    return [c for c in (citation_from_json(r) for r in raws) if c is not None]


class CitationList(OptionList):
    """Numbered sources; enter or a click opens the entry at the cited line."""

    def __init__(self, citations: Sequence[Citation] = (), **kwargs: Any) -> None:
        super().__init__(markup=False, **kwargs)
        self.citations: list[Citation] = []
        self.set_citations(citations)

    def set_citations(self, citations: Sequence[Citation]) -> None:
        self.citations = list(citations)
        self.set_options([self._prompt(c) for c in self.citations])
        self.display = bool(self.citations)

    @staticmethod
    def _prompt(citation: Citation) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(one_line(citation.label()))
        text.append(f"  {one_line(citation.rel)}:{citation.line}", style="dim")
        return text

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.citations):
            citation = self.citations[event.option_index]
            self.post_message(OpenEntry(citation.rel, citation.line))


class UserTurn(Static):
    """A question, as typed."""

    def __init__(self, question: str) -> None:
        text = Text()
        text.append("you, now\n", style="bold")
        text.append(question)
        super().__init__(text, classes="turn user-turn")
        self.question = question


class AnswerTurn(Vertical):
    """One answer: streamed text, collapsed reasoning, a note (stopped, failed), sources."""

    def __init__(
        self,
        *,
        answer: str = "",
        reasoning: str = "",
        citations: Sequence[Citation] = (),
        memory_only: bool = False,
        streaming: bool = False,
    ) -> None:
        super().__init__(classes="turn answer-turn")
        self._initial = (answer, reasoning, list(citations))
        self.memory_only = memory_only
        self.answer = answer
        self.reasoning = reasoning
        self.cancelled = False
        self.failed = False
        self.streaming = streaming
        self.chunks = 0  # pieces streamed in (reasoning + answer)
        self._answer_stream: MarkdownStream | None = None
        self._reasoning_stream: MarkdownStream | None = None

    def compose(self) -> ComposeResult:
        answer, reasoning, citations = self._initial
        yield Static(self._head("remembering…" if self.streaming else ""), classes="turn-head")
        yield Markdown(answer, classes="turn-answer")
        with Collapsible(title="Reasoning", collapsed=True, classes="turn-reasoning"):
            yield Markdown(reasoning, classes="turn-reasoning-text")
        yield Static(classes="turn-note")
        yield CitationList(citations, classes="turn-citations")

    def on_mount(self) -> None:
        self.query_one(".turn-reasoning", Collapsible).display = bool(self._initial[1])
        self.query_one(".turn-note", Static).display = False

    # -- parts -----------------------------------------------------------------------------
    @property
    def answer_view(self) -> Markdown:
        return self.query_one(".turn-answer", Markdown)

    @property
    def reasoning_view(self) -> Markdown:
        return self.query_one(".turn-reasoning-text", Markdown)

    @property
    def reasoning_box(self) -> Collapsible:
        return self.query_one(".turn-reasoning", Collapsible)

    @property
    def sources(self) -> CitationList:
        return self.query_one(CitationList)

    @property
    def note(self) -> str:
        return str(self.query_one(".turn-note", Static).content)

    def _head(self, status: str) -> Text:
        text = Text()
        text.append("me, then", style="bold")
        if self.memory_only:
            text.append("  ·  memory-only: what my journal says", style="italic")
        if status:
            text.append(f"  ·  {status}", style="dim")
        return text

    def set_status(self, status: str) -> None:
        self.query_one(".turn-head", Static).update(self._head(status))

    def set_note(self, note: str, *, kind: str = "") -> None:
        widget = self.query_one(".turn-note", Static)
        widget.update(Text(clean(note)))
        widget.display = bool(note)
        widget.set_class(kind == "stopped", "-stopped")
        widget.set_class(kind == "error", "-error")

    # -- streaming -------------------------------------------------------------------------
    def show_memories(self, citations: Sequence[Citation], *, memory_only: bool) -> None:
        self.memory_only = memory_only
        self.sources.set_citations(citations)
        n = len(citations)
        self.set_status(f"{n} memor{'y' if n == 1 else 'ies'} found · thinking…" if n else "thinking…")

    async def add_reasoning(self, text: str) -> None:
        if self._reasoning_stream is None:
            self.reasoning_box.display = True
            self.reasoning_box.title = "Reasoning (thinking…)"
            self._reasoning_stream = Markdown.get_stream(self.reasoning_view)
        self.reasoning += text
        self.chunks += 1
        await self._reasoning_stream.write(clean(text))

    async def add_answer(self, text: str) -> None:
        if self._answer_stream is None:
            self.set_status("answering…")
            self._answer_stream = Markdown.get_stream(self.answer_view)
        self.answer += text
        self.chunks += 1
        await self._answer_stream.write(clean(text))

    async def _stop_streams(self) -> None:
        for stream in (self._answer_stream, self._reasoning_stream):
            if stream is not None:
                await stream.stop()
        self._answer_stream = self._reasoning_stream = None

    async def finish(
        self,
        *,
        answer: str,
        reasoning: str,
        citations: Sequence[Citation],
        cancelled: bool,
        memory_only: bool,
    ) -> None:
        """The final text in one full update (repairs what streaming left half-open)."""
        await self._stop_streams()
        self.streaming = False
        self.memory_only = memory_only
        self.answer, self.reasoning, self.cancelled = answer, reasoning, cancelled
        await self.answer_view.update(clean(answer))
        await self.reasoning_view.update(clean(reasoning))
        self.reasoning_box.display = bool(reasoning)
        self.reasoning_box.title = "Reasoning"
        if citations:
            self.sources.set_citations(citations)
        self.set_status("stopped" if cancelled else "")
        if cancelled:
            self.set_note("Stopped (esc): the partial answer is kept and saved.", kind="stopped")

    async def fail(self, message: str) -> None:
        await self._stop_streams()
        self.streaming = False
        self.failed = True
        if self.answer:
            await self.answer_view.update(clean(self.answer))
        self.set_status("failed")
        self.set_note(message, kind="error")


class ChatLog(VerticalScroll):
    """The turns of one conversation; follows the bottom while an answer streams."""

    def compose(self) -> ComposeResult:
        yield Static(Text(INTRO), classes="chat-intro")

    @property
    def turns(self) -> list[UserTurn | AnswerTurn]:
        return [w for w in self.children if isinstance(w, UserTurn | AnswerTurn)]

    @property
    def answers(self) -> list[AnswerTurn]:
        return [w for w in self.children if isinstance(w, AnswerTurn)]

    async def clear(self) -> None:
        await self.remove_children()
        await self.mount(Static(Text(INTRO), classes="chat-intro"))

    async def _drop_intro(self) -> None:
        await self.query(".chat-intro").remove()

    async def add_question(self, question: str) -> UserTurn:
        await self._drop_intro()
        turn = UserTurn(question)
        await self.mount(turn)
        return turn

    async def add_answer(self, **kwargs: Any) -> AnswerTurn:
        await self._drop_intro()
        turn = AnswerTurn(**kwargs)
        await self.mount(turn)
        self.anchor()
        return turn
