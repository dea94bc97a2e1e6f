"""Small helpers for the server tests: the a2a-sdk client with a bearer token, raw JSON-RPC
calls, and an engine that repeats its whole prompt (the leakiest model there could be)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Coroutine, Iterator, Sequence
from typing import Any, TypeVar

import httpx

from journal_me.llm.reasoning import ReasoningEvent, ReasoningSplitter

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def headers(token: str | None) -> dict[str, str]:
    out = {"A2A-Version": "1.0"}
    if token:
        out["Authorization"] = f"Bearer {token}"
    return out


def message(text: str, **metadata: str) -> Any:
    from a2a.types import a2a_pb2

    msg = a2a_pb2.Message(
        message_id=uuid.uuid4().hex, role=a2a_pb2.ROLE_USER, parts=[a2a_pb2.Part(text=text)]
    )
    if metadata:
        msg.metadata.update(metadata)
    return msg


async def a2a_send(url: str, token: str, text: str, *, streaming: bool = False, **metadata: str) -> list[Any]:
    """Send one message with the SDK's client; every StreamResponse it yields."""
    from a2a.client import ClientConfig, create_client
    from a2a.types import a2a_pb2

    async with httpx.AsyncClient(headers=headers(token), timeout=60) as http:
        client = await create_client(url, ClientConfig(httpx_client=http, streaming=streaming))
        request = a2a_pb2.SendMessageRequest(message=message(text, **metadata))
        return [ev async for ev in client.send_message(request)]


async def a2a_get(url: str, token: str, task_id: str) -> Any:
    from a2a.client import ClientConfig, create_client
    from a2a.types import a2a_pb2

    async with httpx.AsyncClient(headers=headers(token), timeout=60) as http:
        client = await create_client(url, ClientConfig(httpx_client=http, streaming=False))
        return await client.get_task(a2a_pb2.GetTaskRequest(id=task_id))


def state_name(state: int) -> str:
    from a2a.types import a2a_pb2

    return str(a2a_pb2.TaskState.Name(state))  # type: ignore[arg-type]


def task_of(events: list[Any]) -> Any:
    """The last full Task among stream events."""
    tasks = [ev.task for ev in events if ev.HasField("task")]
    assert tasks, events
    return tasks[-1]


def rpc(url: str, token: str | None, method: str, params: dict[str, Any], **kw: Any) -> httpx.Response:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    return httpx.post(url + "/", json=body, headers=headers(token), timeout=30, **kw)


class EchoEngine:
    """A model that answers with its whole prompt: anything it was shown would leak."""

    n_ctx = 100_000

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def count_prompt_tokens(self, messages: Sequence[Any], **_: Any) -> int:
        return sum(len(m["content"]) for m in messages) // 4 + 4 * len(messages)

    def stream_events(self, messages: Sequence[Any], **options: Any) -> Iterator[ReasoningEvent]:
        text = "\n".join(str(m["content"]) for m in messages)
        self.prompts.append(text)
        cancel: threading.Event | None = options.get("cancel")
        splitter = ReasoningSplitter()
        for i in range(0, len(text), 64):
            if cancel is not None and cancel.is_set():
                break
            yield from splitter.feed(text[i : i + 64])
        yield from splitter.flush()

    def stream_chat(self, messages: Sequence[Any], *, max_tokens: int | None = None) -> Iterator[str]:
        yield "\n".join(str(m["content"]) for m in messages)


def mcp_http(url: str, token: str | None) -> Any:
    """An ``mcp.Client`` over streamable HTTP with a bearer token (use ``async with``)."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"} if token else {}, timeout=60)
    return Client(streamable_http_client(url + "/mcp", http_client=http))


def tool_text(result: Any) -> str:
    """Everything a tool call returned, as text (content and structured content)."""
    import json

    parts = [getattr(c, "text", "") for c in result.content]
    if getattr(result, "structured_content", None) is not None:
        parts.append(json.dumps(result.structured_content))
    return "\n".join(parts)


def tool_json(result: Any) -> Any:
    """A tool's structured result (or its first text content, parsed)."""
    import json

    if getattr(result, "structured_content", None) is not None:
        return result.structured_content
    return json.loads(result.content[0].text)
