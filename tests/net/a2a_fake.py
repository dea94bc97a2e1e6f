"""A scripted A2A peer for the client-side tests: the ``a2a-sdk`` server pieces under
uvicorn on a loopback port, a bearer check, and an answer chosen per test (complete at once,
hold for approval, or hang). Not journal-me's server: it tests the client against the SDK's
own server whatever the state of ``journal_me.net.server``."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from a2a.helpers.proto_helpers import new_task_from_user_message, new_text_artifact, new_text_message
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types.a2a_pb2 import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentSkill,
    HTTPAuthSecurityScheme,
    SecurityRequirement,
    SecurityScheme,
    StringList,
)
from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

Reply = Callable[[str, dict[str, Any]], tuple[str, str]]  # (question, metadata) -> (state, text)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class FakePeer:
    url: str
    token: str
    asked: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    server: Any = None
    thread: threading.Thread | None = None

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)


class _Executor(AgentExecutor):
    def __init__(self, peer: FakePeer, reply: Reply, delay: float) -> None:
        self.peer, self.reply, self.delay = peer, reply, delay

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        assert context.message is not None
        task = context.current_task or new_task_from_user_message(context.message)
        await event_queue.enqueue_event(task)
        question = context.get_user_input()
        meta = dict(context.message.metadata)
        self.peer.asked.append((question, meta))
        if self.delay:
            await asyncio.sleep(self.delay)
        state, text = self.reply(question, meta)
        updater = TaskUpdater(event_queue, task.id, task.context_id)
        if state == "completed":
            await event_queue.enqueue_event(_artifact(task.id, task.context_id, text))
            await updater.complete()
        elif state == "rejected":
            await updater.reject(new_text_message(text, task_id=task.id, context_id=task.context_id))
        else:
            await updater.requires_input(new_text_message(text, task_id=task.id, context_id=task.context_id))

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        return None


def _artifact(task_id: str, context_id: str, text: str) -> Any:
    from a2a.types.a2a_pb2 import TaskArtifactUpdateEvent

    return TaskArtifactUpdateEvent(
        task_id=task_id, context_id=context_id, artifact=new_text_artifact("answer", text)
    )


class _Bearer(BaseHTTPMiddleware):
    def __init__(self, app: Any, token: str) -> None:
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next: Any) -> Response:
        if request.url.path.startswith("/.well-known/"):
            return await call_next(request)  # type: ignore[no-any-return]
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        return await call_next(request)  # type: ignore[no-any-return]


def start_fake_peer(
    reply: Reply, *, token: str = "fake-token", delay: float = 0.0, name: str = "fake"
) -> FakePeer:
    import uvicorn

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    peer = FakePeer(url, token)
    card = AgentCard(
        name=name,
        description="a scripted peer",
        version="1.0",
        supported_interfaces=[
            AgentInterface(protocol_binding="JSONRPC", url=url + "/", protocol_version="1.0")
        ],
        capabilities=AgentCapabilities(streaming=False),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
        skills=[AgentSkill(id="ask-me", name="ask me", description="ask", tags=["ask"])],
        security_schemes={
            "bearer": SecurityScheme(http_auth_security_scheme=HTTPAuthSecurityScheme(scheme="bearer"))
        },
        security_requirements=[SecurityRequirement(schemes={"bearer": StringList()})],
    )
    handler = DefaultRequestHandler(
        agent_executor=_Executor(peer, reply, delay), task_store=InMemoryTaskStore(), agent_card=card
    )
    app = Starlette(routes=[*create_agent_card_routes(card), *create_jsonrpc_routes(handler, "/")])
    app.add_middleware(_Bearer, token=token)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("fake peer did not start")
        time.sleep(0.05)
    peer.server, peer.thread = server, thread
    return peer


class HangingPeer:
    """A TCP listener that accepts and never answers: the worst peer."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.conns: list[socket.socket] = []
        self._stop = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
                self.conns.append(conn)
            except OSError:
                continue

    def stop(self) -> None:
        self._stop = True
        self.thread.join(timeout=5)
        for c in self.conns:
            c.close()
        self.sock.close()


@dataclass
class Served:
    url: str
    server: Any
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve(app: Any) -> Served:
    """Any ASGI app under uvicorn on a free loopback port (stopped by ``.stop()``)."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    return Served(f"http://127.0.0.1:{port}", server, thread)
