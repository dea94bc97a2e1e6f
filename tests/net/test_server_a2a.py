"""A2A with the a2a-sdk's own client against a real server on loopback: the card, the consent
outbox (held → approved/edited/refused), auto peers, streaming and subscribing."""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from journal_me.net.store import NetLog, Outbox, PeerStore

from .conftest import SAMPLE_VAULT, Instance, make_settings, start_instance
from .helpers import a2a_get, a2a_send, headers, run, state_name, task_of


@pytest.fixture(scope="module")
def elena(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    base = tmp_path_factory.mktemp("a2a")
    vault = base / "vault"
    shutil.copytree(SAMPLE_VAULT, vault)
    inst = start_instance(make_settings(vault, base, "elena"), "elena")
    yield inst
    inst.stop()


def _invite(inst: Instance, name: str, role: str = "social") -> str:
    return PeerStore(inst.data_dir).invite(name, role, inst.url).token


def test_agent_card_lists_enabled_skills_owner_roles_and_bearer(elena: Instance) -> None:
    from a2a.client import A2ACardResolver

    async def fetch() -> object:
        async with httpx.AsyncClient() as http:
            return await A2ACardResolver(http, elena.url).get_agent_card()

    card = run(fetch())
    assert card.name == "Elena's second me"  # type: ignore[attr-defined]
    assert [s.id for s in card.skills] == ["ask-me", "reply", "enhance", "critic"]  # type: ignore[attr-defined]
    assert {"social", "work", "family"} <= set(card.skills[0].tags)  # type: ignore[attr-defined]
    scheme = card.security_schemes["bearer"].http_auth_security_scheme  # type: ignore[attr-defined]
    assert scheme.scheme == "Bearer"
    assert card.capabilities.streaming  # type: ignore[attr-defined]


def test_card_shows_only_the_skills_the_owner_enabled(tmp_path: Path) -> None:
    vault = tmp_path / "v"
    shutil.copytree(SAMPLE_VAULT, vault)
    inst = start_instance(make_settings(vault, tmp_path, "elena"), "elena", skills=("ask-me",))
    try:
        card = httpx.get(inst.url + "/.well-known/agent-card.json").json()
        assert [s["id"] for s in card["skills"]] == ["ask-me"]
        token = _invite(inst, "sam")
        events = run(a2a_send(inst.url, token, "Draft a reply to my note", skill="reply"))
    except Exception as exc:  # the SDK raises the JSON-RPC error
        assert "not offered" in str(exc)
    else:
        pytest.fail(f"a skill that is not enabled was served: {events}")
    finally:
        inst.stop()


def test_question_is_held_until_the_owner_approves_then_the_peer_gets_it(elena: Instance) -> None:
    token = _invite(elena, "sam")
    task = task_of(run(a2a_send(elena.url, token, "How did the Leith 10K go?")))
    assert state_name(task.status.state) == "TASK_STATE_INPUT_REQUIRED"
    assert "approval" in task.status.message.parts[0].text
    assert not task.artifacts  # nothing left the machine yet
    outbox = Outbox(elena.data_dir)
    held = outbox.get(task.id)
    assert held.peer == "sam" and "10K" in held.draft and held.memory_only
    assert held.draft.startswith("Memory-only mode")  # labelled: no model here
    assert held.draft not in str(task) and "58:41" not in str(task)  # the draft stays home until approved
    outbox.approve(task.id)
    done = run(a2a_get(elena.url, token, task.id))
    assert state_name(done.status.state) == "TASK_STATE_COMPLETED"
    assert done.artifacts[0].parts[0].text == held.draft
    said = [e for e in NetLog(elena.data_dir).entries() if e.peer == "sam"]
    assert [e.direction for e in said[:2]] == ["out", "in"] and said[0].text == held.draft


def test_owner_edit_is_what_the_peer_gets(elena: Instance) -> None:
    token = _invite(elena, "tom")
    task = task_of(run(a2a_send(elena.url, token, "Are you free for a run on Thursday?")))
    Outbox(elena.data_dir).approve(task.id, "Yes! Thursday at 7, the usual loop.")
    done = run(a2a_get(elena.url, token, task.id))
    assert done.artifacts[0].parts[0].text == "Yes! Thursday at 7, the usual loop."
    assert NetLog(elena.data_dir).entries(peer="tom")[0].kind == "ask-me (edited)"


def test_refused_question_is_rejected_with_the_reason(elena: Instance) -> None:
    token = _invite(elena, "nosy")
    task = task_of(run(a2a_send(elena.url, token, "What do you earn?")))
    Outbox(elena.data_dir).refuse(task.id, "not something I share")
    done = run(a2a_get(elena.url, token, task.id))
    assert state_name(done.status.state) == "TASK_STATE_REJECTED"
    assert "not something I share" in done.status.message.parts[0].text
    assert not done.artifacts


def test_auto_peer_gets_the_answer_at_once(elena: Instance) -> None:
    token = _invite(elena, "mum", role="family")
    PeerStore(elena.data_dir).set_mode("mum", "auto")
    task = task_of(run(a2a_send(elena.url, token, "How is the running going?")))
    assert state_name(task.status.state) == "TASK_STATE_COMPLETED"
    assert task.artifacts[0].parts[0].text.startswith("Memory-only mode")
    assert task.metadata["role"] == "family" and task.metadata["memory_only"] is True


def test_streaming_send_reports_submitted_working_then_held(elena: Instance) -> None:
    token = _invite(elena, "ana")
    events = run(a2a_send(elena.url, token, "What are you reading?", streaming=True))
    states = []
    for ev in events:
        if ev.HasField("task"):
            states.append(state_name(ev.task.status.state))
        elif ev.HasField("status_update"):
            states.append(state_name(ev.status_update.status.state))
    assert states == ["TASK_STATE_SUBMITTED", "TASK_STATE_WORKING", "TASK_STATE_INPUT_REQUIRED"]


def test_subscriber_sees_the_approval_arrive(elena: Instance) -> None:
    from a2a.client import ClientConfig, create_client
    from a2a.types import a2a_pb2

    token = _invite(elena, "jo")
    task = task_of(run(a2a_send(elena.url, token, "Any plans for the weekend?")))

    def approve_soon() -> None:
        time.sleep(1.0)
        Outbox(elena.data_dir).approve(task.id, "Skye, if the weather holds.")

    async def follow() -> list[object]:
        async with httpx.AsyncClient(headers=headers(token), timeout=60) as http:
            client = await create_client(elena.url, ClientConfig(httpx_client=http, streaming=True))
            return [ev async for ev in client.subscribe(a2a_pb2.SubscribeToTaskRequest(id=task.id))]

    threading.Thread(target=approve_soon, daemon=True).start()
    events = asyncio.run(follow())
    last = events[-1].task  # type: ignore[attr-defined]
    assert state_name(last.status.state) == "TASK_STATE_COMPLETED"
    assert last.artifacts[0].parts[0].text == "Skye, if the weather holds."


class _HangingEngine:
    """A model that takes far too long (a wedged GPU, a huge prompt)."""

    n_ctx = 100_000

    def count_prompt_tokens(self, messages: object, **_: object) -> int:
        return 10

    def stream_events(self, messages: object, **_: object) -> Iterator[object]:
        time.sleep(4)
        yield from ()

    def stream_chat(self, messages: object, **_: object) -> Iterator[str]:
        time.sleep(4)
        yield ""


def test_a_draft_that_takes_too_long_fails_the_task_not_the_server(tmp_path: Path) -> None:
    from journal_me.net.server import Limits

    vault = tmp_path / "v"
    shutil.copytree(SAMPLE_VAULT, vault)
    inst = start_instance(
        make_settings(vault, tmp_path, "elena"),
        "elena",
        engine=_HangingEngine(),
        limits=Limits(answer_timeout=1.0),
    )
    try:
        token = _invite(inst, "sam")
        started = time.monotonic()
        task = task_of(run(a2a_send(inst.url, token, "How did the Leith 10K go?")))
        assert time.monotonic() - started < 4
        assert state_name(task.status.state) == "TASK_STATE_FAILED"
        assert "could not be written in 1 s" in task.status.message.parts[0].text
        assert httpx.get(inst.url + "/.well-known/agent-card.json").status_code == 200
    finally:
        inst.stop()
