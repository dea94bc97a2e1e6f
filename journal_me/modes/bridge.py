"""Bridge mode: drafts written as you, for the outside world.

Three actions, each with a role: *reply* to a message someone sent, *enhance* a short request
into a rich first-person one for an expert or another AI, *critic* an expert's answer from
your side. The privacy fence is absolute: private entries (``private: true`` or a private tag)
are never retrieved for a bridge prompt, and the role's tag rules narrow what remains.
The reasoning is kept with the draft but never part of the draft text that gets copied.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator

from journal_me.api import Journal
from journal_me.conversations import ConversationStore
from journal_me.llm.prompts import Citation, bridge_messages, cite
from journal_me.memory.retrieval import Hit
from journal_me.modes.common import NO_MODEL_HINT, TalkEngine, TalkEvent, run_stream
from journal_me.roles import Role

ACTIONS = ("reply", "enhance", "critic")


def bridge_memories(journal: Journal, text: str, role: Role, limit: int = 6) -> list[Hit]:
    """Memories for a bridge prompt: never private, filtered by the role's tags."""
    candidates = journal.search(text, limit=limit * 4, include_private=False)
    return [h for h in candidates if not h.entry.private and role.allows(h)][:limit]


def memory_only_draft(action: str, incoming: str, hits: list[Hit]) -> str:
    """Without a model: for *enhance*, the request plus its context; else the context."""
    context = "\n".join(
        f"- {h.entry.date.strftime('%-d %B %Y')}: {h.passage.strip().splitlines()[0][:240]}" for h in hits
    )
    if action == "enhance":
        body = incoming.strip()
        if context:
            body += "\n\nSome context about me, from my journal:\n" + context
        return body
    head = "Memory-only mode: no model to write the draft. What my journal says that may help:"
    return f"{head}\n{context or '(nothing relevant)'}\n\n{NO_MODEL_HINT}"


class BridgeSession:
    def __init__(
        self,
        journal: Journal,
        engine: TalkEngine | None,
        store: ConversationStore | None = None,
        *,
        profile_text: str | None = None,
        name: str | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        max_tokens: int = 768,
    ) -> None:
        self.journal = journal
        self.engine = engine
        self.store = store
        self.profile_text = profile_text
        self.name = name
        self.today = today
        self.max_tokens = max_tokens

    def draft(
        self,
        action: str,
        incoming: str,
        role: Role,
        *,
        cancel: threading.Event | None = None,
    ) -> Iterator[TalkEvent]:
        if action not in ACTIONS:
            raise ValueError(f"unknown bridge action {action!r}: choose reply, enhance or critic")
        if not incoming.strip():
            raise ValueError("nothing to work on: paste the message, request or answer first")
        hits = bridge_memories(self.journal, incoming, role)
        citations = cite(hits)
        yield TalkEvent("memories", hits=tuple(hits), citations=tuple(citations))
        if self.engine is None:
            text = memory_only_draft(action, incoming, hits)
            self._save(action, role, incoming, text, "", citations)
            yield TalkEvent("answer", text)
            yield TalkEvent("done", answer=text, citations=tuple(citations), memory_only=True)
            return
        messages = bridge_messages(
            action=action,
            incoming=incoming,
            hits=hits,
            role=role,
            name=self.name,
            profile_text=self.profile_text,
            today=self.today(),
        )
        result: dict[str, str] = {}
        yield from run_stream(self.engine, messages, cancel=cancel, max_tokens=self.max_tokens, result=result)
        cancelled = bool(cancel is not None and cancel.is_set())
        draft = result.get("answer", "")
        self._save(action, role, incoming, draft, result.get("reasoning", ""), citations)
        yield TalkEvent(
            "done",
            answer=draft,
            reasoning=result.get("reasoning", ""),
            citations=tuple(citations),
            cancelled=cancelled,
        )

    def _save(
        self, action: str, role: Role, incoming: str, draft: str, reasoning: str, citations: list[Citation]
    ) -> None:
        if self.store is None:
            return
        title = f"{action} ({role.name}): " + incoming.strip().splitlines()[0][:50]
        conv = self.store.create(title, mode="bridge", role=role.name)
        self.store.add_message(conv.id, "user", incoming)
        self.store.add_message(
            conv.id, "assistant", draft, reasoning=reasoning, citations=[c.to_json() for c in citations]
        )
