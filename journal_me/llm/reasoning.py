"""Split a streamed model reply into chain-of-thought and answer.

llama-cpp-python has no reasoning parser, and the models we run disagree on format:

* Qwen3 writes ``<think>…</think>`` then the answer.
* DeepSeek-R1 distills pre-fill ``<think>`` in the chat template, so the output *starts* inside
  the reasoning and only ``</think>`` appears (start the splitter with
  ``start_in_reasoning=True``; :class:`journal_me.llm.engine.Engine` detects this).
* Our own fine-tunes (Second-Me style) write ``<think>…</think><answer>…</answer>``: the
  ``<answer>`` tags are removed and their content is answer. An ``<answer>`` that arrives
  while reasoning is still open closes the reasoning.
* Plain instruct models write no tags: everything is answer.

Tags may be cut anywhere by chunk boundaries (``"<thi"`` + ``"nk>"``), so a tail that could
still become a tag is held back until the next chunk decides it. Each channel is reported
stripped of leading and trailing whitespace (the ``"\\n\\n"`` after ``</think>`` is noise):
leading whitespace is dropped, trailing whitespace is held until more text of that channel
follows. So for every chunking of a text, the concatenated events equal
:func:`split_reasoning` of the whole text — the property the tests check.

Stray tags are dropped: ``</think>`` with no reasoning open, a nested ``<think>``, a
``</answer>`` anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Channel = Literal["reasoning", "answer"]

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
ANSWER_OPEN = "<answer>"
ANSWER_CLOSE = "</answer>"
TAGS = (THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE)
_LONGEST_TAG = max(len(t) for t in TAGS)


@dataclass(frozen=True)
class ReasoningEvent:
    """A piece of text for one channel; ``kind`` says which."""

    kind: Channel
    text: str


class _ChannelBuffer:
    """Accumulates one channel's text as ``strip()`` of everything fed to it, incrementally."""

    def __init__(self) -> None:
        self.text = ""
        self._pending_ws = ""

    def add(self, raw: str) -> str:
        """Take raw text, return what may be emitted now."""
        if not self.text:
            raw = raw.lstrip()
            if not raw:
                return ""
        body = raw.rstrip()
        trailing = raw[len(body) :]
        if not body:
            self._pending_ws += trailing
            return ""
        out = self._pending_ws + body
        self._pending_ws = trailing
        self.text += out
        return out


def _tag_prefix_len(text: str) -> int:
    """Length of the suffix of ``text`` that is a proper prefix of some tag (0 if none).

    Every tag holds a single ``<`` at its start, so only the last ``<`` can begin one.
    """
    start = text.rfind("<")
    if start == -1 or len(text) - start >= _LONGEST_TAG:
        return 0
    tail = text[start:]
    return len(tail) if any(tag.startswith(tail) for tag in TAGS) else 0


class ReasoningSplitter:
    """Incremental splitter: ``feed`` chunks, get :class:`ReasoningEvent` s, then ``flush``."""

    def __init__(self, *, start_in_reasoning: bool = False) -> None:
        self._channel: Channel = "reasoning" if start_in_reasoning else "answer"
        self._buffer = ""
        self._out: dict[Channel, _ChannelBuffer] = {
            "reasoning": _ChannelBuffer(),
            "answer": _ChannelBuffer(),
        }
        self._done = False

    @property
    def channel(self) -> Channel:
        """Where the next text goes: ``"reasoning"`` while the model is thinking."""
        return self._channel

    @property
    def reasoning(self) -> str:
        """Reasoning emitted so far (complete after :meth:`flush`)."""
        return self._out["reasoning"].text

    @property
    def answer(self) -> str:
        """Answer emitted so far (complete after :meth:`flush`)."""
        return self._out["answer"].text

    def feed(self, chunk: str) -> list[ReasoningEvent]:
        """Add streamed text; returns the events it completes (possibly none)."""
        if self._done:
            raise RuntimeError("feed() after flush()")
        self._buffer += chunk
        events: list[ReasoningEvent] = []
        while True:
            index, tag = self._next_tag(self._buffer)
            if tag is None:
                break
            self._emit(self._buffer[:index], events)
            self._buffer = self._buffer[index + len(tag) :]
            self._apply(tag)
        hold = _tag_prefix_len(self._buffer)
        ready = self._buffer[: len(self._buffer) - hold]
        self._buffer = self._buffer[len(ready) :]
        self._emit(ready, events)
        return events

    def flush(self) -> list[ReasoningEvent]:
        """End of stream: release a held-back partial tag as text."""
        events: list[ReasoningEvent] = []
        if not self._done:
            self._emit(self._buffer, events)
            self._buffer = ""
            self._done = True
        return events

    @staticmethod
    def _next_tag(text: str) -> tuple[int, str | None]:
        best: tuple[int, str | None] = (len(text), None)
        for tag in TAGS:
            index = text.find(tag)
            if index != -1 and index < best[0]:
                best = (index, tag)
        return best

    def _apply(self, tag: str) -> None:
        if self._channel == "answer" and tag == THINK_OPEN:
            self._channel = "reasoning"
        elif self._channel == "reasoning" and tag in (THINK_CLOSE, ANSWER_OPEN):
            self._channel = "answer"
        # every other tag is stray: dropped

    def _emit(self, raw: str, events: list[ReasoningEvent]) -> None:
        if not raw:
            return
        text = self._out[self._channel].add(raw)
        if not text:
            return
        if events and events[-1].kind == self._channel:
            events[-1] = ReasoningEvent(self._channel, events[-1].text + text)
        else:
            events.append(ReasoningEvent(self._channel, text))


def split_reasoning(text: str, *, start_in_reasoning: bool | None = None) -> tuple[str, str]:
    """Split a complete reply into ``(reasoning, answer)``.

    ``start_in_reasoning=None`` guesses the pre-filled case: a ``</think>`` that comes before
    any ``<think>`` means the template opened the reasoning.
    """
    if start_in_reasoning is None:
        close = text.find(THINK_CLOSE)
        open_ = text.find(THINK_OPEN)
        start_in_reasoning = close != -1 and (open_ == -1 or open_ > close)
    splitter = ReasoningSplitter(start_in_reasoning=start_in_reasoning)
    splitter.feed(text)
    splitter.flush()
    return splitter.reasoning, splitter.answer
