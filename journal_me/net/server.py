"""``journal-me serve``: one local server for A2A (Agent Card + JSON-RPC) and MCP (``/mcp``).

Every request but the Agent Card needs ``Authorization: Bearer TOKEN``; the token's scope
(owner, or a peer and its role) decides what may be answered, structurally (see
``journal_me.net.answer``). Binds loopback by default.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from journal_me.config import Settings
from journal_me.net import DEFAULT_HOST, DEFAULT_PORT

if TYPE_CHECKING:
    from journal_me.api import Journal


class ServeError(ValueError):
    """A server that must not start as asked (e.g. a LAN address without TLS)."""


def build_app(settings: Settings, *, journal: Journal | None = None, base_url: str | None = None) -> Any:
    """The Starlette app: A2A at ``/`` (card at ``/.well-known/agent-card.json``) and MCP at
    ``/mcp``. ``journal``: an open journal to answer from (opened from ``settings`` if None)."""
    raise NotImplementedError


def serve(
    settings: Settings,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    tls: tuple[Path, Path] | None = None,
    insecure_lan: bool = False,
) -> None:
    """Run the server until interrupted. A non-loopback ``host`` needs ``tls`` (cert, key)
    or ``insecure_lan`` (prints a warning)."""
    raise NotImplementedError
