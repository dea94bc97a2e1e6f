"""``journal-me serve``: one local server for A2A (Agent Card + JSON-RPC) and MCP (``/mcp``).

- The Agent Card (``/.well-known/agent-card.json``) is public: the owner's display name, the
  roles, one skill per enabled outward capability, a bearer security scheme.
- Everything else needs ``Authorization: Bearer TOKEN``. The guard in front of both
  protocols answers 401 (no/unknown/revoked token), 403 (a peer reaching for another peer's
  task or another role), 413 (body over the limit), 429 (a peer over its rate).
- A peer's question becomes a task in the consent outbox: drafted at once (``working``), then
  held for the owner (``input-required``) unless the peer is ``auto`` (``completed``). The
  owner approves, edits or refuses with ``journal-me outbox`` or the TUI; the peer polls
  ``GetTask`` or streams ``SubscribeToTask``. Task states live in SQLite, so they survive a
  ``kill -9``.
- Binds loopback by default; another host needs TLS files or ``insecure_lan``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import json
import sys
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from journal_me.config import Settings
from journal_me.net import DEFAULT_HOST, DEFAULT_PORT
from journal_me.net.answer import DEFAULT_SKILL, SKILLS, Answerer, ScopeError
from journal_me.net.mcp_tools import Gate, bearer, build_mcp, http_scope
from journal_me.net.store import FINAL_STATES, OWNER, NetLog, Outbox, OutboxItem, PeerStore, Scope

if TYPE_CHECKING:
    from journal_me.api import Journal
    from journal_me.modes.common import TalkEngine

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Message, Receive, Send], Awaitable[None]]

CARD_PATHS = frozenset({"/.well-known/agent-card.json", "/.well-known/agent.json"})
TASK_METHODS = frozenset(
    {"GetTask", "CancelTask", "SubscribeToTask", "tasks/get", "tasks/cancel", "tasks/resubscribe"}
)


class ServeError(ValueError):
    """A server that must not start as asked (e.g. a LAN address without TLS)."""


@dataclass(frozen=True)
class Limits:
    """Inbound limits. ``rate``/``burst``: a token bucket per peer (requests per second,
    bucket size); ``max_body``: bytes of a request body; ``stream_wait``: how long a
    ``SubscribeToTask`` stream waits for the owner before it ends (the peer re-subscribes
    or polls); ``answer_timeout``: seconds a draft may take."""

    max_body: int = 64 * 1024
    rate: float = 1.0
    burst: int = 20
    stream_wait: float = 120.0
    answer_timeout: float = 300.0


class RateLimiter:
    """A token bucket per key (thread-safe)."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float:
        """0.0 when allowed, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate if self.rate > 0 else 60.0


async def _respond(send: Send, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"error": message}).encode("utf-8")
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware in front of A2A and MCP: auth, scope, size and rate limits."""

    def __init__(self, app: ASGIApp, peers: PeerStore, outbox: Outbox, limits: Limits) -> None:
        self.app = app
        self.peers = peers
        self.outbox = outbox
        self.limits = limits
        self.rate = RateLimiter(limits.rate, limits.burst)

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in CARD_PATHS and scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        found = await asyncio.to_thread(self.peers.authenticate, bearer(headers))
        if found is None:
            await _respond(
                send,
                401,
                "a valid bearer token is required",
                {"WWW-Authenticate": 'Bearer realm="journal-me"'},
            )
            return
        if not found.is_owner:
            wait = self.rate.allow(found.peer or "")
            if wait > 0:
                await _respond(
                    send, 429, "too many requests: slow down", {"Retry-After": str(max(1, round(wait)))}
                )
                return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.limits.max_body:
            await _respond(send, 413, f"request body over {self.limits.max_body} bytes")
            return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = bool(message.get("more_body", False))
            if len(body) > self.limits.max_body:
                await _respond(send, 413, f"request body over {self.limits.max_body} bytes")
                return
        if scope["path"] in ("/", "") and body:
            refusal = await asyncio.to_thread(self._check_a2a, found, body)
            if refusal:
                await _respond(send, 403, refusal)
                return
        scope.setdefault("state", {})["net_scope"] = found
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _check_a2a(self, found: Scope, body: bytes) -> str:
        """Why an A2A call is outside the token's scope ("" when it is not)."""
        if found.is_owner:
            return ""
        try:
            request = json.loads(body)
        except ValueError:
            return ""  # the JSON-RPC layer answers a parse error
        if not isinstance(request, dict):
            return ""
        params = request.get("params")
        params = params if isinstance(params, dict) else {}
        if request.get("method") in TASK_METHODS:
            task_id = str(params.get("id", "")).removeprefix("tasks/")
            item = self.outbox.find(task_id)
            if item is not None and item.peer != found.peer:
                return "this task belongs to another peer"
        message = params.get("message")
        meta = message.get("metadata") if isinstance(message, dict) else None
        if isinstance(meta, dict) and meta.get("role") not in (None, "", found.role):
            return f"this token is for the {found.role!r} role"
        return ""


# --- A2A ------------------------------------------------------------------------------------


def _state_enum(state: str) -> Any:
    from a2a.types import a2a_pb2

    return {
        "submitted": a2a_pb2.TASK_STATE_SUBMITTED,
        "working": a2a_pb2.TASK_STATE_WORKING,
        "input-required": a2a_pb2.TASK_STATE_INPUT_REQUIRED,
        "completed": a2a_pb2.TASK_STATE_COMPLETED,
        "rejected": a2a_pb2.TASK_STATE_REJECTED,
        "canceled": a2a_pb2.TASK_STATE_CANCELED,
        "failed": a2a_pb2.TASK_STATE_FAILED,
    }[state]


def _status_text(item: OutboxItem, owner: str) -> str:
    if item.state == "completed":
        return item.answer or ""
    if item.state == "input-required":
        return f"Waiting for {owner}'s approval."
    if item.state == "rejected":
        return f"{owner} declined to answer" + (f": {item.reason}" if item.reason else ".")
    if item.state == "canceled":
        return "Canceled."
    if item.state == "failed":
        return item.reason or "The answer could not be written."
    return "Working on it."


def task_proto(item: OutboxItem, owner: str) -> Any:
    """The outbox item as an A2A ``Task`` (the answer as the status message and an artifact)."""
    from a2a.types import a2a_pb2
    from google.protobuf.timestamp_pb2 import Timestamp

    when = Timestamp()
    with contextlib.suppress(ValueError):
        when.FromDatetime(dt.datetime.fromisoformat(item.updated))
    text = _status_text(item, owner)
    status = a2a_pb2.TaskStatus(
        state=_state_enum(item.state),
        message=a2a_pb2.Message(
            message_id=f"{item.id}-{item.state}",
            context_id=item.context_id,
            task_id=item.id,
            role=a2a_pb2.ROLE_AGENT,
            parts=[a2a_pb2.Part(text=text)],
        ),
        timestamp=when,
    )
    task = a2a_pb2.Task(
        id=item.id,
        context_id=item.context_id,
        status=status,
        history=[
            a2a_pb2.Message(
                message_id=f"{item.id}-question",
                context_id=item.context_id,
                task_id=item.id,
                role=a2a_pb2.ROLE_USER,
                parts=[a2a_pb2.Part(text=item.question)],
            )
        ],
    )
    if item.state == "completed" and item.answer is not None:
        task.artifacts.append(
            a2a_pb2.Artifact(artifact_id="answer", name="answer", parts=[a2a_pb2.Part(text=item.answer)])
        )
    task.metadata.update({"skill": item.skill, "role": item.role, "memory_only": item.memory_only})
    return task


def _status_event(item: OutboxItem, owner: str) -> Any:
    from a2a.types import a2a_pb2

    task = task_proto(item, owner)
    return a2a_pb2.TaskStatusUpdateEvent(task_id=item.id, context_id=item.context_id, status=task.status)


def make_request_handler(service: NetService) -> Any:
    """An A2A ``RequestHandler`` whose tasks are the outbox's (SQLite) tasks."""
    from a2a.server.request_handlers import RequestHandler
    from a2a.types import a2a_pb2
    from a2a.utils.errors import (
        InvalidParamsError,
        TaskNotCancelableError,
        TaskNotFoundError,
        UnsupportedOperationError,
    )

    def scope_of(context: Any) -> Scope:
        found = context.state.get("net_scope")
        if not isinstance(found, Scope):
            raise InvalidParamsError(message="no scope: the request did not pass the guard")
        return found

    def own_item(context: Any, task_id: str) -> OutboxItem:
        found = scope_of(context)
        item = service.outbox.find(task_id)
        if item is None or (not found.is_owner and item.peer != found.peer):
            raise TaskNotFoundError(message=f"no task {task_id}")
        return item

    class Handler(RequestHandler):
        async def on_get_task(self, params: Any, context: Any) -> Any:
            return task_proto(own_item(context, params.id), service.owner_name)

        async def on_list_tasks(self, params: Any, context: Any) -> Any:
            found = scope_of(context)
            items = service.outbox.items(limit=100, peer=None if found.is_owner else found.peer)
            tasks = [task_proto(i, service.owner_name) for i in items]
            return a2a_pb2.ListTasksResponse(tasks=tasks, total_size=len(tasks), page_size=len(tasks))

        async def on_cancel_task(self, params: Any, context: Any) -> Any:
            item = own_item(context, params.id)
            if item.final:
                raise TaskNotCancelableError(message=f"task {item.id} is {item.state}")
            return task_proto(await asyncio.to_thread(service.outbox.cancel, item.id), service.owner_name)

        async def on_message_send(self, params: Any, context: Any) -> Any:
            item = await service.start(scope_of(context), params.message)
            if params.configuration.return_immediately:
                asyncio.get_running_loop().create_task(service.draft(item))
                return task_proto(item, service.owner_name)
            return task_proto(await service.draft(item), service.owner_name)

        async def on_message_send_stream(self, params: Any, context: Any) -> AsyncGenerator[Any]:
            item = await service.start(scope_of(context), params.message)
            yield task_proto(item, service.owner_name)
            working = await asyncio.to_thread(service.outbox.set_state, item.id, "working")
            yield _status_event(working, service.owner_name)
            done = await service.draft(working)
            if done.state == "completed":
                yield task_proto(done, service.owner_name)
            else:
                yield _status_event(done, service.owner_name)

        async def on_subscribe_to_task(self, params: Any, context: Any) -> AsyncGenerator[Any]:
            item = own_item(context, params.id)
            yield task_proto(item, service.owner_name)
            deadline = time.monotonic() + service.limits.stream_wait
            while not item.final and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                fresh = await asyncio.to_thread(service.outbox.get, item.id)
                if fresh.state != item.state:
                    item = fresh
                    yield (
                        task_proto(item, service.owner_name)
                        if item.final
                        else _status_event(item, service.owner_name)
                    )

        async def on_create_task_push_notification_config(self, params: Any, context: Any) -> Any:
            raise UnsupportedOperationError(message="push notifications are not offered: poll or subscribe")

        async def on_get_task_push_notification_config(self, params: Any, context: Any) -> Any:
            raise UnsupportedOperationError(message="push notifications are not offered")

        async def on_list_task_push_notification_configs(self, params: Any, context: Any) -> Any:
            raise UnsupportedOperationError(message="push notifications are not offered")

        async def on_delete_task_push_notification_config(self, params: Any, context: Any) -> None:
            raise UnsupportedOperationError(message="push notifications are not offered")

        async def on_get_extended_agent_card(self, params: Any, context: Any) -> Any:
            return service.card

    return Handler()


class NetService:
    """What the A2A handler does: turn a peer's message into a task, draft it, release it."""

    def __init__(
        self,
        settings: Settings,
        answerer: Answerer,
        peers: PeerStore,
        outbox: Outbox,
        log: NetLog,
        limits: Limits,
        base_url: str,
    ) -> None:
        self.settings = settings
        self.answerer = answerer
        self.peers = peers
        self.outbox = outbox
        self.log = log
        self.limits = limits
        self.base_url = base_url.rstrip("/")
        self.owner_name = answerer.name
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="net-answer")
        self.card = agent_card(answerer, self.base_url)

    async def start(self, found: Scope, message: Any) -> OutboxItem:
        from a2a.utils.errors import InvalidParamsError

        text = "\n".join(p.text for p in message.parts if p.text).strip()
        if not text:
            raise InvalidParamsError(message="send the question as a text part")
        meta = dict(message.metadata) if message.HasField("metadata") else {}
        skill = str(meta.get("skill") or DEFAULT_SKILL)
        try:
            role = self.answerer.role_for(found, str(meta.get("role") or "") or None)
        except ScopeError as exc:
            raise InvalidParamsError(message=str(exc)) from None
        if skill not in self.answerer.skills:
            raise InvalidParamsError(
                message=f"skill {skill!r} is not offered (skills: {', '.join(self.answerer.skills)})"
            )
        peer = OWNER if found.is_owner else (found.peer or "")
        return await asyncio.to_thread(
            self.outbox.create, peer, role.name, skill, text, context_id=message.context_id or None
        )

    async def draft(self, item: OutboxItem) -> OutboxItem:
        """Write the answer (in the single model thread), then send or hold it."""
        loop = asyncio.get_running_loop()
        found = Scope("owner") if item.peer == OWNER else Scope("peer", item.peer, item.role)
        role = None if found.is_owner and item.role == "owner" else item.role
        if item.state == "submitted":
            item = await asyncio.to_thread(self.outbox.set_state, item.id, "working")
        try:
            answer = await asyncio.wait_for(
                loop.run_in_executor(
                    self.executor, self.answerer.answer, found, item.skill, item.question, role
                ),
                timeout=self.limits.answer_timeout,
            )
        except TimeoutError:
            why = f"the answer could not be written in {self.limits.answer_timeout:g} s"
            return await asyncio.to_thread(self._fail, item.id, why)
        except Exception as exc:  # a failed draft fails the task, visibly, and the server goes on
            return await asyncio.to_thread(self._fail, item.id, f"the answer could not be written: {exc}")
        send = found.is_owner or self._auto(item.peer)
        return await asyncio.to_thread(
            self.outbox.set_draft, item.id, answer.text, send=send, memory_only=answer.memory_only
        )

    def _auto(self, peer: str) -> bool:
        try:
            return self.peers.get(peer).mode == "auto"
        except ValueError:
            return False

    def _fail(self, task_id: str, reason: str) -> OutboxItem:
        with self.outbox.db.tx() as db:
            db.execute(
                "UPDATE tasks SET state = 'failed', reason = ?, updated = ? WHERE id = ?",
                (reason, dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(), task_id),
            )
        return self.outbox.get(task_id)

    async def resume(self) -> None:
        """After a crash: tasks left ``submitted``/``working`` are drafted again (then held or
        sent as usual), so a peer polling them gets an answer."""
        with self.outbox.db.read() as db:
            rows = db.execute(
                "SELECT id FROM tasks WHERE state IN ('submitted', 'working') ORDER BY created"
            ).fetchall()
        for row in rows:
            await self.draft(self.outbox.get(row["id"]))


def agent_card(answerer: Answerer, base_url: str) -> Any:
    """The public card: name, roles, one skill per enabled capability, a bearer scheme."""
    from a2a.types import a2a_pb2

    name = answerer.name
    roles = sorted(answerer.roles)
    skills = [
        a2a_pb2.AgentSkill(
            id=skill,
            name=skill,
            description=SKILLS[skill].format(name=name),
            tags=["journal", "second-me", *roles],
            examples=[],
        )
        for skill in answerer.skills
    ]
    return a2a_pb2.AgentCard(
        name=f"{name}'s second me",
        description=(
            f"{name}'s second me (journal-me). It answers from {name}'s journal within the role "
            f"{name} gave you (roles: {', '.join(roles)}); private entries never leave. Answers "
            f"wait for {name}'s approval unless {name} set you to auto."
        ),
        supported_interfaces=[
            a2a_pb2.AgentInterface(url=base_url + "/", protocol_binding="JSONRPC", protocol_version="1.0")
        ],
        version="1.0",
        capabilities=a2a_pb2.AgentCapabilities(streaming=True, push_notifications=False),
        security_schemes={
            "bearer": a2a_pb2.SecurityScheme(
                http_auth_security_scheme=a2a_pb2.HTTPAuthSecurityScheme(
                    scheme="Bearer", description="the token of a journal-me invitation"
                )
            )
        },
        security_requirements=[a2a_pb2.SecurityRequirement(schemes={"bearer": a2a_pb2.StringList(list=[])})],
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
        skills=skills,
    )


def build_app(
    settings: Settings,
    *,
    journal: Journal | None = None,
    base_url: str | None = None,
    engine: TalkEngine | str | None = "auto",
    skills: tuple[str, ...] | None = None,
    limits: Limits | None = None,
    host: str = DEFAULT_HOST,
) -> Any:
    """The Starlette app: A2A at ``/`` (card at ``/.well-known/agent-card.json``) and MCP at
    ``/mcp``, both behind the guard. ``journal``: an open journal (opened from ``settings``
    if None); ``engine``: a model, None (memory-only) or ``"auto"`` (the configured model if
    it loads); ``base_url``: the URL peers reach us at (for the card)."""
    from a2a.server.routes import (
        DefaultServerCallContextBuilder,
        create_agent_card_routes,
        create_jsonrpc_routes,
    )
    from starlette.applications import Starlette
    from starlette.middleware import Middleware

    if journal is None:
        from journal_me.api import open_vault

        journal = open_vault(settings=settings)
    if engine == "auto":
        engine = load_engine(settings)
    limits = limits or Limits()
    data_dir = settings.vault_data_dir
    peers, outbox, log = PeerStore(data_dir), Outbox(data_dir), NetLog(data_dir)
    answerer = Answerer(
        settings, journal, engine if not isinstance(engine, str) else None, skills=skills or tuple(SKILLS)
    )
    url = base_url or f"http://{host}:{DEFAULT_PORT}"
    service = NetService(settings, answerer, peers, outbox, log, limits, url)
    handler = make_request_handler(service)

    class ContextBuilder(DefaultServerCallContextBuilder):
        def build(self, request: Any) -> Any:
            context = super().build(request)
            context.state["net_scope"] = request.scope.get("state", {}).get("net_scope")
            headers = context.state.get("headers") or {}  # the SDK reads A2A-Version there
            context.state["headers"] = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            return context

    mcp = build_mcp(answerer, Gate(answerer, peers, outbox, log), http_scope(peers), full_profile=False)
    mcp_app = mcp.streamable_http_app(
        streamable_http_path="/mcp", host=host, max_request_body_size=limits.max_body
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        async with mcp.session_manager.run():
            resume = asyncio.get_running_loop().create_task(service.resume())
            try:
                yield
            finally:
                resume.cancel()
                service.executor.shutdown(wait=False, cancel_futures=True)

    routes = [
        *create_agent_card_routes(service.card),
        *create_jsonrpc_routes(handler, rpc_url="/", context_builder=ContextBuilder()),
        *mcp_app.routes,
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(Guard, peers=peers, outbox=outbox, limits=limits)],
    )
    app.state.net = service
    return app


def load_engine(settings: Settings) -> TalkEngine | None:
    """The configured model, or None (memory-only answers)."""
    try:
        from journal_me.llm.engine import Engine

        return Engine.from_settings(settings)
    except Exception:  # no model, a broken registry: the server answers from memory
        return None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, tls: tuple[Path, Path] | None, insecure_lan: bool) -> str:
    """Refuse a non-loopback bind without TLS or ``insecure_lan``; the warning to print ("" none)."""
    if is_loopback(host):
        return ""
    if tls is not None:
        for path in tls:
            if not Path(path).is_file():
                raise ServeError(f"TLS file not found: {path}")
        return ""
    if insecure_lan:
        return (
            f"WARNING: serving on {host} without TLS (--insecure-lan): tokens and answers cross the "
            "network in clear text. Use --tls-cert/--tls-key outside a network you trust."
        )
    raise ServeError(
        f"{host} is not a loopback address: give --tls-cert and --tls-key, or --insecure-lan "
        "(clear text, for a network you trust)"
    )


def default_url(host: str, port: int, *, tls: bool = False) -> str:
    """The URL peers are told (on the card): the bound address, or this machine's name when
    bound to every address (``0.0.0.0``/``::``) — ``--public-url`` overrides it."""
    import socket

    name = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    if ":" in name:
        name = f"[{name}]"
    return f"{'https' if tls else 'http'}://{name}:{port}"


def serve(
    settings: Settings,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    tls: tuple[Path, Path] | None = None,
    insecure_lan: bool = False,
    skills: tuple[str, ...] | None = None,
    public_url: str | None = None,
    journal: Journal | None = None,
) -> None:
    """Run the server until interrupted. A non-loopback ``host`` needs ``tls`` (cert, key)
    or ``insecure_lan`` (prints a warning)."""
    import uvicorn

    warning = check_bind(host, tls, insecure_lan)
    if warning:
        print(warning, file=sys.stderr)
    url = public_url or default_url(host, port, tls=tls is not None)
    app = build_app(settings, journal=journal, base_url=url, skills=skills, host=host)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        ssl_certfile=str(tls[0]) if tls else None,
        ssl_keyfile=str(tls[1]) if tls else None,
        timeout_graceful_shutdown=3,
    )
    print(
        f"journal-me: serving {url} (A2A card {url}/.well-known/agent-card.json, MCP {url}/mcp)", flush=True
    )
    uvicorn.Server(config).run()


__all__ = ["FINAL_STATES", "Limits", "ServeError", "build_app", "check_bind", "serve"]
