"""Experts: the multi-agent half of Bridge (``journal-me bridge consult EXPERT "request"``).

An expert is another agent the owner trusts with a request: a friend's second me (``a2a``), a
tool on an MCP server (``mcp``: streamable HTTP or a stdio command), or any OpenAI-compatible
``/v1/chat/completions`` endpoint (``openai``, e.g. ``llama_cpp.server``). They are listed in
``experts.toml`` next to ``config.toml``::

    [experts.sam]             # a peer from `journal-me peers list`
    kind = "a2a"
    peer = "sam"

    [experts.local]           # llama_cpp.server, vLLM, Ollama's /v1…
    kind = "openai"
    url = "http://127.0.0.1:8080/v1"
    model = "qwen2.5-7b-instruct"
    token_env = "LOCAL_LLM_KEY"   # optional: the API key is read from this variable

    [experts.docs]            # one tool of an MCP server
    kind = "mcp"
    url = "http://127.0.0.1:9000/mcp"   # or: command = ["some-mcp-server", "--stdio"]
    tool = "search"
    argument = "query"

The consult loop is Bridge's: *enhance* the request with the owner's memories (role-fenced:
never private entries, only what the role shares) → send it → *critic* the expert's answer
from the owner's side. Without a model, enhance and critic are memory-only, as in Bridge. Only
the enhanced request leaves the machine; the owner runs the command, and ``--dry-run`` shows
what would be sent without sending it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from journal_me.net.client import PeerAnswer, PeerError

if TYPE_CHECKING:
    from journal_me.api import Journal
    from journal_me.config import Settings
    from journal_me.modes.common import TalkEngine
    from journal_me.net.store import Peer
    from journal_me.roles import Role

Kind = Literal["a2a", "mcp", "openai"]
KINDS: tuple[str, ...] = ("a2a", "mcp", "openai")
EXPERTS_FILE = "experts.toml"
ANSWER_MAX = 20_000  # characters of an expert's answer kept
_THINK = re.compile(r"<think>.*?</think>\s*", re.DOTALL)

_KEYS = {
    "kind",
    "description",
    "peer",
    "url",
    "token",
    "token_env",
    "skill",
    "tool",
    "argument",
    "command",
    "model",
    "system",
    "max_tokens",
    "timeout",
}


class ExpertError(ValueError):
    """A bad ``experts.toml``, an unknown expert, or an expert that could not answer."""


@dataclass(frozen=True)
class Expert:
    name: str
    kind: Kind
    description: str = ""
    peer: str | None = None  # a2a: a peer's name (its URL and token come from `peers add`)
    url: str | None = None  # a2a (without peer), mcp (HTTP), openai (base …/v1 or the full endpoint)
    token: str | None = None  # a bearer token / API key written in the file (prefer token_env)
    token_env: str | None = None  # the environment variable that holds it
    skill: str = "ask-me"  # a2a
    tool: str | None = None  # mcp
    argument: str = "query"  # mcp: the tool argument that receives the request
    command: tuple[str, ...] = ()  # mcp over stdio
    model: str = "default"  # openai
    system: str | None = None  # openai: a system prompt
    max_tokens: int = 1024
    timeout: float = 120.0

    def secret(self) -> str | None:
        if self.token_env:
            value = os.environ.get(self.token_env, "").strip()
            if not value:
                raise ExpertError(f"expert {self.name!r}: ${self.token_env} is not set")
            return value
        return self.token

    def describe(self) -> str:
        where = {
            "a2a": f"peer {self.peer}" if self.peer else (self.url or "?"),
            "mcp": f"tool {self.tool} at " + (self.url or " ".join(self.command)),
            "openai": f"{self.model} at {self.url}",
        }[self.kind]
        return f"{self.name} ({self.kind}: {where})" + (f" — {self.description}" if self.description else "")


def experts_file(settings: Settings) -> Path:
    """``experts.toml`` in the config dir (next to config.toml)."""
    if settings.config_dir is not None:
        return settings.config_dir / EXPERTS_FILE
    if settings.config_file is not None:
        return settings.config_file.parent / EXPERTS_FILE
    from journal_me.config import default_config_file

    return default_config_file().parent / EXPERTS_FILE


def _expert(name: str, raw: Any, where: str) -> Expert:
    if not isinstance(raw, dict):
        raise ExpertError(f"{where}: [experts.{name}] must be a table")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ExpertError(f"{where}: [experts.{name}]: unknown key(s) {', '.join(unknown)}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ExpertError(f"{where}: [experts.{name}]: kind must be one of {', '.join(KINDS)} (got {kind!r})")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "command":
            if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                raise ExpertError(f"{where}: [experts.{name}]: command must be a list of strings")
            values[key] = tuple(value)
        elif key in {"max_tokens", "timeout"}:
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ExpertError(f"{where}: [experts.{name}]: {key} must be a positive number")
            values[key] = int(value) if key == "max_tokens" else float(value)
        elif not isinstance(value, str):
            raise ExpertError(f"{where}: [experts.{name}]: {key} must be a string")
        else:
            values[key] = value
    expert = Expert(name=name, **values)
    needs = {
        "a2a": expert.peer or expert.url,
        "mcp": expert.tool and (expert.url or expert.command),
        "openai": expert.url,
    }[expert.kind]
    if not needs:
        hint = {"a2a": "peer (or url)", "mcp": "tool and url (or command)", "openai": "url"}[expert.kind]
        raise ExpertError(f"{where}: [experts.{name}]: a {expert.kind} expert needs {hint}")
    if expert.url and not expert.url.startswith(("http://", "https://")):
        raise ExpertError(f"{where}: [experts.{name}]: url must start with http:// or https://")
    return expert


def load_experts(path: Path) -> dict[str, Expert]:
    """The experts in ``path`` (none if the file does not exist)."""
    if not path.is_file():
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ExpertError(f"{path}: not valid TOML: {exc}") from exc
    table = raw.get("experts", {})
    if not isinstance(table, dict):
        raise ExpertError(f"{path}: [experts] must be a table of tables")
    return {name.lower(): _expert(name.lower(), value, str(path)) for name, value in table.items()}


# --- sending a request ------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpertAnswer:
    """What the expert said; ``state`` is ``completed`` unless an A2A peer still waits for
    its owner's approval (``input-required``, ``task_id`` to poll) or declined."""

    text: str
    state: str = "completed"
    task_id: str = ""


def _cap(text: str) -> str:
    text = _THINK.sub("", text).strip()
    return text if len(text) <= ANSWER_MAX else text[:ANSWER_MAX] + "\n[… cut]"


def ask_openai(expert: Expert, request: str) -> ExpertAnswer:
    """POST ``/chat/completions`` (not streamed) and return the first choice's content."""
    import httpx

    assert expert.url is not None
    url = expert.url.rstrip("/")
    if not url.endswith("/chat/completions"):
        url += "/chat/completions"
    messages = ([{"role": "system", "content": expert.system}] if expert.system else []) + [
        {"role": "user", "content": request}
    ]
    headers = {"Authorization": f"Bearer {key}"} if (key := expert.secret()) else {}
    body = {"model": expert.model, "messages": messages, "max_tokens": expert.max_tokens, "stream": False}
    try:
        response = httpx.post(url, json=body, headers=headers, timeout=httpx.Timeout(expert.timeout))
        response.raise_for_status()
        data = response.json()
        content = data["choices"][0]["message"]["content"]
    except httpx.TimeoutException as exc:
        raise ExpertError(f"expert {expert.name!r} did not answer within {expert.timeout:g} s") from exc
    except httpx.HTTPStatusError as exc:
        raise ExpertError(f"expert {expert.name!r}: HTTP {exc.response.status_code} from {url}") from exc
    except httpx.HTTPError as exc:
        raise ExpertError(f"expert {expert.name!r}: {url}: {exc}") from exc
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ExpertError(f"expert {expert.name!r}: not an OpenAI-style chat completion from {url}") from exc
    if not isinstance(content, str):
        raise ExpertError(f"expert {expert.name!r}: the answer has no text")
    return ExpertAnswer(_cap(content))


def _mcp_target(expert: Expert) -> Any:
    if expert.command:
        from mcp.client.stdio import StdioServerParameters

        return StdioServerParameters(command=expert.command[0], args=list(expert.command[1:]))
    import httpx2
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    headers = {"Authorization": f"Bearer {key}"} if (key := expert.secret()) else None
    http = create_mcp_http_client(headers=headers, timeout=httpx2.Timeout(expert.timeout))
    assert expert.url is not None
    return streamable_http_client(expert.url, http_client=http)


async def ask_mcp_async(expert: Expert, request: str, *, server: Any = None) -> ExpertAnswer:
    """Call the expert's tool with ``{argument: request}``; ``server``: an in-process MCP server
    (tests) instead of the configured URL or command."""
    from mcp import Client
    from mcp.types import TextContent

    assert expert.tool is not None
    async with Client(
        server if server is not None else _mcp_target(expert), read_timeout_seconds=expert.timeout
    ) as c:
        result = await c.call_tool(expert.tool, {expert.argument: request})
    texts = [part.text for part in result.content if isinstance(part, TextContent)]
    if result.is_error:
        raise ExpertError(f"expert {expert.name!r}: tool {expert.tool} failed: " + " ".join(texts)[:500])
    structured = result.structured_content
    if isinstance(structured, dict) and "answer" in structured and "state" in structured:
        # a second me's tool (ask_past_self, draft): its answer, or that it waits for approval
        state = str(structured.get("state") or "completed")
        text = structured.get("answer") or str(structured.get("note") or "")
        return ExpertAnswer(_cap(text), state, str(structured.get("task_id") or ""))
    if not texts and structured is not None:
        texts = [json.dumps(structured, ensure_ascii=False, indent=1)]
    return ExpertAnswer(_cap("\n".join(texts)))


def ask_mcp(expert: Expert, request: str) -> ExpertAnswer:
    async def bounded() -> ExpertAnswer:
        return await asyncio.wait_for(ask_mcp_async(expert, request), expert.timeout + 5)

    try:
        return asyncio.run(bounded())
    except ExpertError:
        raise
    except TimeoutError as exc:
        raise ExpertError(f"expert {expert.name!r} did not answer within {expert.timeout:g} s") from exc
    except Exception as exc:  # the SDK's transport and protocol errors, however they are typed
        raise ExpertError(f"expert {expert.name!r}: {type(exc).__name__}: {exc}") from exc


def ask_a2a(expert: Expert, request: str, peers: Callable[[str], Peer] | None = None) -> ExpertAnswer:
    from journal_me.net.client import ask_peer
    from journal_me.net.store import Peer

    if expert.peer:
        if peers is None:
            raise ExpertError(
                f"expert {expert.name!r} names peer {expert.peer!r}, but no peer list was given"
            )
        try:
            peer = peers(expert.peer)
        except ValueError as exc:
            raise ExpertError(f"expert {expert.name!r}: {exc}") from exc
    else:
        peer = Peer(expert.name, expert.url, "expert", "manual", expert.secret(), "")
    try:
        answer: PeerAnswer = ask_peer(peer, request, skill=expert.skill, timeout=expert.timeout)
    except PeerError as exc:
        raise ExpertError(f"expert {expert.name!r}: {exc}") from exc
    text = answer.text if answer.state == "completed" else answer.describe()
    return ExpertAnswer(_cap(text), answer.state, answer.task_id)


def ask_expert(expert: Expert, request: str, *, peers: Callable[[str], Peer] | None = None) -> ExpertAnswer:
    """Send ``request`` to ``expert`` (bounded by its ``timeout``)."""
    if expert.kind == "openai":
        return ask_openai(expert, request)
    if expert.kind == "mcp":
        return ask_mcp(expert, request)
    return ask_a2a(expert, request, peers)


# --- the consult loop -----------------------------------------------------------------------


@dataclass(frozen=True)
class Consultation:
    """The three texts of a consult, and what was withheld from the enhanced request."""

    expert: str
    request: str
    enhanced: str
    answer: ExpertAnswer | None  # None: --dry-run
    critique: str
    memory_only: bool
    withheld_note: str = ""
    sent: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def _draft(
    journal: Journal, engine: TalkEngine | None, action: str, text: str, role: Role, name: str | None
) -> tuple[str, str]:
    from journal_me.modes.bridge import BridgeSession

    session = BridgeSession(journal, engine, None, name=name)
    answer, note = "", ""
    for ev in session.draft(action, text, role):
        if ev.kind == "done":
            answer = ev.answer
            note = str(ev.extra.get("withheld_note", ""))
    return answer.strip(), note


def consult(
    journal: Journal,
    engine: TalkEngine | None,
    expert: Expert,
    request: str,
    role: Role,
    *,
    name: str | None = None,
    send: Callable[[Expert, str], ExpertAnswer] | None = None,
    dry_run: bool = False,
) -> Consultation:
    """Enhance ``request`` with the owner's role-fenced memories, send it to ``expert``, then
    critique the answer from the owner's side (memory-only without ``engine``)."""
    if not request.strip():
        raise ExpertError("consult about what? give the request")
    enhanced, withheld = _draft(journal, engine, "enhance", request, role, name)
    enhanced = enhanced or request.strip()
    if dry_run:
        return Consultation(expert.name, request, enhanced, None, "", engine is None, withheld, sent=False)
    answer = (send or ask_expert)(expert, enhanced)
    critique = ""
    if answer.state == "completed" and answer.text:
        critique, _ = _draft(
            journal,
            engine,
            "critic",
            f"My request: {request.strip()}\n\nThe answer I got:\n{answer.text}",
            role,
            name,
        )
    return Consultation(expert.name, request, enhanced, answer, critique, engine is None, withheld)
