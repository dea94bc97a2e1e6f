"""How a question from the network is answered, within the asker's scope.

The fence is structural, the same for every transport (A2A, MCP over HTTP, MCP on stdio):

- private entries are never retrieved for anything that leaves the process — not even for the
  owner's own agents, which may forward what they get to a hosted model;
- a peer gets only what its role allows (the bridge's tag and topic rules, via
  ``modes.bridge.select_memories``); the owner's agents get any non-private memory;
- without a model, answers are memory-only: the cited passages, labelled as such.

The model (if any) is used by one request at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from journal_me.net.store import Scope
from journal_me.roles import Role

if TYPE_CHECKING:
    from journal_me.api import Journal
    from journal_me.config import Settings
    from journal_me.memory.retrieval import Hit
    from journal_me.modes.common import TalkEngine, TalkEvent

# Outward capabilities, as A2A skills. ask-me: a peer asks about the owner; reply / enhance /
# critic: the bridge actions (a draft written as the owner, within the role).
SKILLS: dict[str, str] = {
    "ask-me": "Ask {name}'s second me about {name}: it answers from {name}'s journal, within your role.",
    "reply": "A reply, written as {name}, to a message you send.",
    "enhance": "Your short request rewritten as a rich first-person one, with {name}'s relevant context.",
    "critic": "{name}'s critique of an answer (from an expert or another AI), from {name}'s side.",
}
DEFAULT_SKILL = "ask-me"

OWNER_ROLE = Role(
    name="owner",
    description="the owner's own agents: any memory that is not private",
    tone="natural, like me",
)


class ScopeError(PermissionError):
    """The asker's scope does not allow this (HTTP 403)."""


@dataclass(frozen=True)
class Answer:
    text: str
    memory_only: bool
    citations: list[dict[str, str]] = field(default_factory=list)
    withheld: str = ""


class FencedJournal:
    """A journal whose search never returns private entries, whatever the caller asks."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal

    def search(self, query: str, limit: int = 10, *args: Any, **kwargs: Any) -> list[Hit]:
        kwargs["include_private"] = False
        hits = self._journal.search(query, limit, *args, **kwargs)
        return [h for h in hits if not h.entry.private]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._journal, name)


def _citations(hits: Sequence[Hit]) -> list[dict[str, str]]:
    return [{"date": h.entry.date.isoformat(), "title": h.entry.title} for h in hits]


def _final(events: Iterator[TalkEvent]) -> tuple[TalkEvent, tuple[Hit, ...]]:
    final: TalkEvent | None = None
    hits: tuple[Hit, ...] = ()
    for ev in events:
        if ev.kind == "memories":
            hits = ev.hits
        if ev.kind in {"done", "error"}:
            final = ev
    if final is None:
        raise RuntimeError("the answer stream ended without a result")
    return final, hits


class Answerer:
    """Answers for the network, from an open journal and an optional model."""

    def __init__(
        self,
        settings: Settings,
        journal: Journal,
        engine: TalkEngine | None = None,
        *,
        roles: dict[str, Role] | None = None,
        skills: Sequence[str] = tuple(SKILLS),
    ) -> None:
        from journal_me.roles import load_roles

        self.settings = settings
        self.journal = journal
        self.fenced = FencedJournal(journal)
        self.engine = engine
        self.roles = roles if roles is not None else load_roles(settings.roles_file)
        unknown = [s for s in skills if s not in SKILLS]
        if unknown:
            raise ValueError(f"unknown skill {unknown[0]!r} (skills: {', '.join(SKILLS)})")
        self.skills = tuple(skills)
        self._lock = threading.Lock()  # one generation at a time (llama.cpp is not re-entrant)

    @property
    def name(self) -> str:
        return self.settings.name or "the owner"

    def role_for(self, scope: Scope, requested: str | None = None) -> Role:
        """The role an answer is written in. A peer is held to its own role (asking for
        another is refused); the owner may pick any role, or none (no role limits)."""
        if scope.is_owner:
            if not requested or requested == OWNER_ROLE.name:
                return OWNER_ROLE
            if requested not in self.roles:
                raise ScopeError(f"no role {requested!r} (roles: {', '.join(self.roles)})")
            return self.roles[requested]
        role_name = scope.role or ""
        if requested and requested != role_name:
            raise ScopeError(f"this token is for the {role_name!r} role, not {requested!r}")
        role = self.roles.get(role_name)
        if role is None:
            raise ScopeError(f"role {role_name!r} is not defined here any more")
        return role

    def _memories(self, text: str, role: Role, limit: int) -> list[Hit]:
        from journal_me.modes.bridge import select_memories

        if role is OWNER_ROLE:
            return self.fenced.search(text, limit=limit)
        return select_memories(self.fenced, text, role, limit).hits  # type: ignore[arg-type]

    def search(
        self, scope: Scope, query: str, limit: int = 8, role: str | None = None
    ) -> list[dict[str, str]]:
        """Passages for ``query`` that the scope may see (never private)."""
        fence = self.role_for(scope, role)
        hits = self._memories(query, fence, max(1, min(limit, 20)))
        return [
            {"date": h.entry.date.isoformat(), "title": h.entry.title, "passage": h.passage.strip()}
            for h in hits
        ]

    def answer(self, scope: Scope, skill: str, text: str, role: str | None = None) -> Answer:
        """The answer (or draft) for ``skill``. ``ask-me`` from the owner's agents is the
        owner's past self answering (chat, fenced); otherwise a bridge draft in the role."""
        if skill not in self.skills:
            raise ScopeError(f"skill {skill!r} is not offered (skills: {', '.join(self.skills)})")
        fence = self.role_for(scope, role)
        with self._lock:
            if skill == "ask-me" and fence is OWNER_ROLE:
                return self._ask_past_self(text)
            return self._bridge("reply" if skill == "ask-me" else skill, text, fence)

    def _ask_past_self(self, question: str) -> Answer:
        from journal_me.conversations import ConversationStore
        from journal_me.modes.chat import ChatSession

        store = ConversationStore(":memory:", save=False)
        session = ChatSession(self.fenced, self.engine, store, name=self.settings.name)  # type: ignore[arg-type]
        final, hits = _final(session.ask(question))
        if final.kind == "error":
            raise RuntimeError(final.text or "the answer failed")
        return Answer(final.answer, final.memory_only, _citations(hits))

    def _bridge(self, action: str, text: str, role: Role) -> Answer:
        from journal_me.modes.bridge import BridgeSession

        session = BridgeSession(self.fenced, self.engine, None, name=self.settings.name)  # type: ignore[arg-type]
        final, hits = _final(session.draft(action, text, role))
        if final.kind == "error":
            raise RuntimeError(final.text or "the draft failed")
        note = str(final.extra.get("withheld_note", "")) if final.extra else ""
        return Answer(final.answer, final.memory_only, _citations(hits), note)

    def visible_roles(self, scope: Scope) -> list[dict[str, Any]]:
        """The roles the scope may know about: all for the owner, its own for a peer."""
        roles = list(self.roles.values()) if scope.is_owner else [self.role_for(scope)]
        return [
            {
                "name": r.name,
                "description": r.description,
                "share": list(r.share),
                "never_share": list(r.never_share),
            }
            for r in roles
        ]

    def profile(self, scope: Scope) -> dict[str, Any]:
        """Who this second me speaks for. The owner's agents also get the profile summary
        (built from the journal); a peer gets the name, its role and the skills."""
        out: dict[str, Any] = {"name": self.name, "skills": list(self.skills)}
        if scope.is_owner:
            from journal_me.profile import Profile

            profile = Profile.load(self.settings.profile_file)
            out["profile"] = profile.prompt_text() if profile is not None else ""
            out["roles"] = sorted(self.roles)
        else:
            out["role"] = scope.role
        return out
