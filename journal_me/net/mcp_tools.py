"""The MCP server: tools and resources for agents, on stdio (``journal-me mcp``) or HTTP.

Tools: ``search_journal``, ``ask_past_self``, ``draft`` (reply/enhance/critic in a role),
``list_roles``, ``task_status``. Resources: ``journal-me://profile``, ``journal-me://roles``.

On stdio the caller is the owner (it runs as the owner's process). Over HTTP each request
carries a bearer token; the tool re-reads it and answers within its scope. A peer scope's
memory-bearing results go through the consent outbox like an A2A question: held for the
owner (``input-required`` with a task id; ``task_status`` tells when it is approved) unless
the peer is ``auto``. Private entries never leave, for any scope (``journal_me.net.answer``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context  # at module level: tool signatures are read from it

from journal_me.net.answer import SKILLS, Answer, Answerer, ScopeError
from journal_me.net.store import OWNER_SCOPE, NetLog, Outbox, PeerStore, Scope

if TYPE_CHECKING:
    from mcp.server import MCPServer

ScopeOf = Callable[[Any], Scope]


def bearer(headers: Any) -> str:
    """The token of an ``Authorization: Bearer …`` header (empty when none)."""
    if headers is None:
        return ""
    value = str(headers.get("authorization", "") or "")
    kind, _, token = value.partition(" ")
    return token.strip() if kind.lower() == "bearer" else ""


class Gate:
    """Releases a result to a scope: at once for the owner and ``auto`` peers, else through
    the outbox (held for approval, a task the peer can follow)."""

    def __init__(self, answerer: Answerer, peers: PeerStore, outbox: Outbox, log: NetLog) -> None:
        self.answerer = answerer
        self.peers = peers
        self.outbox = outbox
        self.log = log

    def release(self, scope: Scope, skill: str, question: str, answer: Answer) -> dict[str, Any]:
        if scope.is_owner:
            self.log.add("owner-agent", "out", skill, answer.text)
            return {
                "state": "completed",
                "answer": answer.text,
                "memory_only": answer.memory_only,
                "citations": answer.citations,
            }
        peer = self.peers.get(scope.peer or "")
        item = self.outbox.create(peer.name, scope.role or "", skill, question)
        item = self.outbox.set_draft(
            item.id, answer.text, send=peer.mode == "auto", memory_only=answer.memory_only
        )
        return self.status(scope, item.id)

    def status(self, scope: Scope, task_id: str) -> dict[str, Any]:
        item = self.outbox.find(task_id)
        if item is None or (not scope.is_owner and item.peer != scope.peer):
            raise ScopeError(f"no task {task_id!r} for this token")
        out: dict[str, Any] = {"task_id": item.id, "state": item.state, "answer": item.answer}
        if item.state == "input-required":
            out["note"] = f"held for {self.answerer.name}'s approval; ask task_status again later"
        elif item.state == "rejected":
            out["note"] = item.reason or "declined"
        return out


def build_mcp(answerer: Answerer, gate: Gate, scope_of: ScopeOf, *, full_profile: bool) -> MCPServer:
    """The MCP server. ``scope_of(ctx)``: the caller's scope (raises ScopeError when none);
    ``full_profile``: the profile resource includes the journal-derived profile (stdio)."""
    from mcp.server import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    name = answerer.name
    server = MCPServer(
        name="journal-me",
        title=f"{name}'s journal (journal-me)",
        instructions=(
            f"Tools over {name}'s journal. Private entries are never returned. Answers without a "
            "local model are memory-only: quoted passages, labelled as such."
        ),
        log_level="WARNING",
    )

    def scope(ctx: Context) -> Scope:
        try:
            return scope_of(ctx)
        except ScopeError as exc:
            raise ToolError(str(exc)) from None

    def guarded(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        try:
            return fn()
        except ScopeError as exc:
            raise ToolError(str(exc)) from None
        except ValueError as exc:
            raise ToolError(str(exc)) from None

    @server.tool(description=f"Search {name}'s journal (never private entries; a peer sees only its role's).")
    def search_journal(query: str, ctx: Context, limit: int = 8, role: str | None = None) -> dict[str, Any]:
        s = scope(ctx)

        def run() -> dict[str, Any]:
            passages = answerer.search(s, query, limit, role)
            if s.is_owner:
                return {"state": "completed", "passages": passages}
            text = "\n".join(f"- {p['date']} {p['title']}: {p['passage']}" for p in passages) or "(nothing)"
            return gate.release(s, "search", query, Answer(text, True, []))

        return guarded(run)

    @server.tool(
        description=f"Ask {name}'s past self; answered from the journal (memory-only without a model)."
    )
    def ask_past_self(question: str, ctx: Context, role: str | None = None) -> dict[str, Any]:
        s = scope(ctx)
        return guarded(
            lambda: gate.release(s, "ask-me", question, answerer.answer(s, "ask-me", question, role))
        )

    @server.tool(description=f"A draft written as {name}: action reply, enhance or critic, in a role.")
    def draft(action: str, text: str, ctx: Context, role: str | None = None) -> dict[str, Any]:
        s = scope(ctx)
        if action not in ("reply", "enhance", "critic"):
            raise ToolError("action must be reply, enhance or critic")
        return guarded(lambda: gate.release(s, action, text, answerer.answer(s, action, text, role)))

    @server.tool(description="The roles this caller may use (all for the owner, its own for a peer).")
    def list_roles(ctx: Context) -> dict[str, Any]:
        s = scope(ctx)
        return guarded(lambda: {"roles": answerer.visible_roles(s)})

    @server.tool(description="The state of a held answer (input-required until approved; then the answer).")
    def task_status(task_id: str, ctx: Context) -> dict[str, Any]:
        s = scope(ctx)
        return guarded(lambda: gate.status(s, task_id))

    @server.resource("journal-me://profile", name="profile", mime_type="application/json")
    def profile() -> str:
        view = (
            answerer.profile(OWNER_SCOPE) if full_profile else {"name": name, "skills": list(answerer.skills)}
        )
        return json.dumps(view, ensure_ascii=False)

    @server.resource("journal-me://roles", name="roles", mime_type="application/json")
    def roles() -> str:
        view = [{"name": r.name, "description": r.description} for r in answerer.roles.values()]
        return json.dumps({"roles": view, "skills": {k: v.format(name=name) for k, v in SKILLS.items()}})

    return server


def stdio_scope(_ctx: Any) -> Scope:
    """On stdio the caller is the owner's own process."""
    return OWNER_SCOPE


def http_scope(peers: PeerStore) -> ScopeOf:
    """The scope of the bearer token the HTTP request carried (the server's middleware has
    refused requests without a valid one; this re-checks)."""

    def scope_of(ctx: Any) -> Scope:
        found = peers.authenticate(bearer(ctx.headers))
        if found is None:
            raise ScopeError("a valid bearer token is required")
        return found

    return scope_of


def run_stdio(answerer: Answerer, gate: Gate) -> None:
    """``journal-me mcp``: serve MCP on stdin/stdout until the client closes it."""
    import anyio

    server = build_mcp(answerer, gate, stdio_scope, full_profile=True)
    anyio.run(server.run_stdio_async)
