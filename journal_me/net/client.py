"""Asking a friend's second me, over A2A (the ``a2a-sdk`` client; JSON-RPC binding).

Every call carries the peer's bearer token (the one their invitation gave us) and an outbound
timeout, so a peer that hangs costs at most ``timeout`` seconds. The answer comes back as an
A2A task: ``completed`` (the text), ``input-required`` (their owner has not approved the
draft yet: ``poll`` again later), ``rejected`` (they refused), or ``failed``/``canceled``.

The SDK and httpx load inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from a2a.client import Client
    from a2a.types.a2a_pb2 import StreamResponse, Task

    from journal_me.net.store import Peer

DEFAULT_TIMEOUT = 30.0
SKILL_KEY = "skill"  # message metadata naming the skill asked for ("ask-me", "reply", …)
WAITING = "input-required"
FINAL = frozenset({"completed", "rejected", "failed", "canceled"})

T = TypeVar("T")


class PeerError(RuntimeError):
    """A peer could not be asked: unreachable, too slow (``timed_out``), or it refused our
    token."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


def _timed_out(exc: BaseException) -> bool:
    """Whether a timeout lies anywhere in the exception's chain (the SDK wraps httpx's)."""
    import httpx
    from a2a.client import A2AClientTimeoutError

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, httpx.TimeoutException | A2AClientTimeoutError | TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@dataclass(frozen=True)
class PeerAnswer:
    """What a peer's second me said (or that it is still waiting for its owner)."""

    state: str  # an A2A task state in lower case: completed, input-required, rejected…
    text: str
    task_id: str
    context_id: str = ""
    peer: str = ""

    @property
    def final(self) -> bool:
        return self.state in FINAL

    @property
    def waiting(self) -> bool:
        """Held in the peer's outbox for their owner's approval (or not started yet)."""
        return self.state in {WAITING, "submitted", "working"}

    def describe(self) -> str:
        """One line for people: the answer, or what is happening to it."""
        who = self.peer or "the peer"
        if self.state == "completed":
            return self.text
        if self.waiting:
            return f"{who}'s second me is waiting for {who}'s approval before it answers"
        if self.state == "rejected":
            return f"{who} declined to answer" + (f": {self.text}" if self.text else "")
        return f"{who}'s second me could not answer ({self.state})" + (f": {self.text}" if self.text else "")


def state_name(value: int) -> str:
    """``TASK_STATE_INPUT_REQUIRED`` → ``input-required``."""
    from a2a.types.a2a_pb2 import TaskState

    name = str(TaskState.Name(value))
    return name.removeprefix("TASK_STATE_").lower().replace("_", "-")


def task_text(task: Task) -> str:
    """The answer's text: the artifacts, else the status message, else the agent's last turn."""
    from a2a.helpers.proto_helpers import get_artifact_text, get_message_text
    from a2a.types.a2a_pb2 import Role

    texts = [get_artifact_text(a) for a in task.artifacts]
    if any(t.strip() for t in texts):
        return "\n".join(t for t in texts if t.strip()).strip()
    if task.status.HasField("message"):
        return get_message_text(task.status.message).strip()
    for message in reversed(task.history):
        if message.role == Role.ROLE_AGENT:
            return get_message_text(message).strip()
    return ""


def _answer(task: Task, peer: str) -> PeerAnswer:
    return PeerAnswer(state_name(task.status.state), task_text(task), task.id, task.context_id, peer)


def _from_stream(event: StreamResponse, peer: str) -> PeerAnswer | None:
    from a2a.helpers.proto_helpers import get_message_text

    if event.HasField("task"):
        return _answer(event.task, peer)
    if event.HasField("message"):  # a direct reply, no task: nothing to poll
        msg = event.message
        return PeerAnswer("completed", get_message_text(msg).strip(), msg.task_id, msg.context_id, peer)
    return None


def _target(peer: Peer) -> tuple[str, str]:
    if not peer.url or not peer.outbound_token:
        raise PeerError(
            f"don't know how to reach {peer.name}: ask them for an invitation, then "
            f"journal-me peers add {peer.name} URL TOKEN"
        )
    return peer.url, peer.outbound_token


async def _with_client(peer: Peer, timeout: float, action: Callable[[Client], Awaitable[T]]) -> T:
    """Open an A2A client for ``peer`` (card, then JSON-RPC), run ``action``, close it."""
    import httpx
    from a2a.client import A2AClientError, ClientConfig, ClientFactory

    url, token = _target(peer)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(timeout)) as http:
        try:
            factory = ClientFactory(ClientConfig(streaming=False, httpx_client=http))
            client = await factory.create_from_url(url)
            try:
                return await action(client)
            finally:
                await client.close()
        except (A2AClientError, httpx.HTTPError, ValueError) as exc:
            raise PeerError(_explain(peer, exc, timeout), timed_out=_timed_out(exc)) from exc


def _explain(peer: Peer, exc: Exception, timeout: float) -> str:
    text = str(exc)
    if _timed_out(exc):
        return f"{peer.name} did not answer within {timeout:g} s"
    if "401" in text:
        return f"{peer.name} refused our token (401): the invitation may have been revoked"
    if "403" in text:
        return f"{peer.name} does not allow that for us (403)"
    return f"{peer.name} ({peer.url}): {text}"


def _run(coro: Awaitable[T], timeout: float) -> T:
    """Run ``coro`` to completion, bounded by ``timeout`` (a second guard over httpx's own)."""

    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    try:
        return asyncio.run(bounded())
    except TimeoutError as exc:
        raise PeerError(f"no answer within {timeout:g} s", timed_out=True) from exc


async def ask_peer_async(
    peer: Peer,
    question: str,
    *,
    skill: str = "ask-me",
    timeout: float = DEFAULT_TIMEOUT,
    context_id: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> PeerAnswer:
    from a2a.helpers.proto_helpers import new_text_message
    from a2a.types.a2a_pb2 import Role, SendMessageRequest

    async def send(client: Client) -> PeerAnswer:
        msg = new_text_message(question, context_id=context_id or uuid.uuid4().hex, role=Role.ROLE_USER)
        msg.metadata.update({SKILL_KEY: skill, **(metadata or {})})
        request = SendMessageRequest(message=msg)
        request.metadata.update({SKILL_KEY: skill})
        last: PeerAnswer | None = None
        async for event in client.send_message(request):
            last = _from_stream(event, peer.name) or last
        if last is None:
            raise PeerError(f"{peer.name} sent no answer and no task")
        return last

    return await _with_client(peer, timeout, send)


def ask_peer(
    peer: Peer,
    question: str,
    *,
    skill: str = "ask-me",
    timeout: float = DEFAULT_TIMEOUT,
    context_id: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> PeerAnswer:
    """Ask ``peer``'s second me ``question`` with ``skill``; at most ``timeout`` seconds.

    Raises ``PeerError`` when the peer cannot be reached, refuses the token or is too slow.
    A peer on ``manual`` answers ``input-required`` at once: ``poll`` (or ``wait``) later."""
    if not question.strip():
        raise PeerError("ask what? the question is empty")
    coro = ask_peer_async(
        peer, question, skill=skill, timeout=timeout, context_id=context_id, metadata=metadata
    )
    return _run(coro, timeout + 1)


async def poll_async(peer: Peer, task_id: str, *, timeout: float = DEFAULT_TIMEOUT) -> PeerAnswer:
    from a2a.types.a2a_pb2 import GetTaskRequest

    async def get(client: Client) -> PeerAnswer:
        return _answer(await client.get_task(GetTaskRequest(id=task_id)), peer.name)

    return await _with_client(peer, timeout, get)


def poll(peer: Peer, task_id: str, *, timeout: float = DEFAULT_TIMEOUT) -> PeerAnswer:
    """The task's state now (``tasks/get``)."""
    return _run(poll_async(peer, task_id, timeout=timeout), timeout + 1)


def wait(
    peer: Peer,
    answer: PeerAnswer,
    *,
    timeout: float,
    interval: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> PeerAnswer:
    """Poll until the answer is final or ``timeout`` seconds have passed (the last state)."""
    deadline = clock() + timeout
    while not answer.final and answer.task_id:
        left = deadline - clock()
        if left <= 0:
            break
        sleep(min(interval, left))
        answer = poll(peer, answer.task_id, timeout=max(1.0, min(DEFAULT_TIMEOUT, deadline - clock())))
    return answer
