"""What chat and bridge share: the engine protocol, stream events, memory-only text."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from journal_me.llm.prompts import Citation, Message, neutralise
from journal_me.llm.reasoning import ReasoningEvent
from journal_me.memory.retrieval import Hit

NO_MODEL_HINT = (
    "No model yet — run `journal-me model pull qwen2.5-1.5b` (or `journal-me model use "
    "PATH.gguf`) to hear this in your own voice."
)


class TalkEngine(Protocol):
    """What modes need from :class:`journal_me.llm.engine.Engine` (tests may fake it)."""

    @property
    def n_ctx(self) -> int: ...

    def count_prompt_tokens(
        self, messages: Sequence[Message], *, template_vars: Mapping[str, Any] | None = None
    ) -> int: ...

    def stream_events(
        self, messages: Sequence[Message], *, template_vars: Mapping[str, Any] | None = None, **options: Any
    ) -> Iterator[ReasoningEvent]: ...

    def stream_chat(self, messages: Sequence[Message], *, max_tokens: int | None = None) -> Iterator[str]: ...


EventKind = Literal["memories", "reasoning", "answer", "notice", "done", "error"]


@dataclass(frozen=True)
class TalkEvent:
    """One step of an answer or draft being produced (the TUI renders these)."""

    kind: EventKind
    text: str = ""
    hits: tuple[Hit, ...] = ()
    citations: tuple[Citation, ...] = ()
    reasoning: str = ""
    answer: str = ""
    memory_only: bool = False
    cancelled: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def memory_only_text(hits: Sequence[Hit], heading: str) -> str:
    """The answer when no model is configured: the passages themselves, clearly labelled."""
    if not hits:
        return f"{heading}\n\nNothing in the journal matches that.\n\n{NO_MODEL_HINT}"
    parts = [heading, ""]
    for i, h in enumerate(hits, 1):
        quote = "\n".join(
            "> " + line if line.strip() else ">" for line in neutralise(h.passage.strip()).splitlines()
        )
        title = neutralise(" ".join(h.entry.title.split()))
        parts += [f"**[{i}] {h.entry.date.isoformat()} — {title}**", quote, ""]
    parts.append(NO_MODEL_HINT)
    return "\n".join(parts)


def run_stream(
    engine: TalkEngine,
    messages: Sequence[Message],
    *,
    cancel: threading.Event | None,
    max_tokens: int | None,
    result: dict[str, str],
) -> Iterator[TalkEvent]:
    """Stream reasoning/answer deltas; leave the full texts in ``result``."""
    reasoning: list[str] = []
    answer: list[str] = []
    options: dict[str, Any] = {"cancel": cancel}
    if max_tokens is not None:
        options["max_tokens"] = max_tokens
    for ev in engine.stream_events(messages, **options):
        if ev.kind == "reasoning":
            reasoning.append(ev.text)
            yield TalkEvent("reasoning", ev.text)
        else:
            answer.append(ev.text)
            yield TalkEvent("answer", ev.text)
    result["reasoning"] = "".join(reasoning).strip()
    result["answer"] = "".join(answer).strip()
