"""Experts and `bridge consult` (issue 12): experts.toml, the three kinds (an OpenAI-compatible
endpoint, an MCP tool, a friend's second me over A2A), and the enhance → send → critic loop,
role-fenced: the planted private secret never leaves."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from journal_me.cli import main
from journal_me.config import load_settings
from journal_me.net.experts import (
    Expert,
    ExpertAnswer,
    ExpertError,
    ask_expert,
    ask_mcp_async,
    experts_file,
    load_experts,
)

from .a2a_fake import Served, serve, start_fake_peer

SAM_VAULT = Path(__file__).resolve().parents[1] / "data" / "sam_vault"
SECRET = "silver-otter-2291"


def fake_openai(seen: list[dict[str, Any]], *, status: int = 200) -> Starlette:
    """A llama_cpp.server-style /v1/chat/completions that records what it was sent."""

    async def completions(request: Request) -> Response:
        body = await request.json()
        seen.append({"body": body, "auth": request.headers.get("authorization")})
        if status != 200:
            return JSONResponse({"error": "nope"}, status_code=status)
        text = (
            "<think>hmm</think>Expert advice: book St Michael's church in Hathersage early "
            "and ask the vicar about the bells."
        )
        return JSONResponse(
            {
                "id": "cmpl-1",
                "object": "chat.completion",
                "model": body["model"],
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                ],
            }
        )

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


@pytest.fixture
def sam_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Sam's vault copy, a config dir with config.toml; returns the config dir."""
    shutil.copytree(SAM_VAULT, tmp_path / "vault")
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "config.toml").write_text(f'vault = "{tmp_path / "vault"}"\nname = "Sam"\n', encoding="utf-8")
    monkeypatch.setenv("JOURNAL_ME_CONFIG", str(conf / "config.toml"))
    monkeypatch.setenv("JOURNAL_ME_DATA_DIR", str(tmp_path / "data"))
    return conf


@pytest.fixture
def served() -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for s in started:
        s.stop()


def test_experts_toml_lives_next_to_config_and_is_validated(sam_home: Path) -> None:
    settings = load_settings()
    path = experts_file(settings)
    assert path == sam_home / "experts.toml"
    assert load_experts(path) == {}
    path.write_text(
        '[experts.Local]\nkind = "openai"\nurl = "http://127.0.0.1:1/v1"\nmodel = "m"\ntimeout = 5\n'
        '[experts.docs]\nkind = "mcp"\ncommand = ["x", "--stdio"]\ntool = "search"\n'
        '[experts.sam]\nkind = "a2a"\npeer = "sam"\n',
        encoding="utf-8",
    )
    experts = load_experts(path)
    assert sorted(experts) == ["docs", "local", "sam"]
    assert experts["local"].timeout == 5.0 and experts["docs"].command == ("x", "--stdio")
    for bad, why in [
        ('[experts.a]\nkind = "smtp"\n', "kind must be one of"),
        ('[experts.a]\nkind = "openai"\n', "needs url"),
        ('[experts.a]\nkind = "mcp"\nurl = "http://x/mcp"\n', "needs tool"),
        ('[experts.a]\nkind = "openai"\nurl = "ftp://x"\n', "http://"),
        ('[experts.a]\nkind = "openai"\nurl = "http://x"\ncolour = "red"\n', "unknown key"),
        ('[experts.a]\nkind = "openai"\nurl = "http://x"\ntimeout = -1\n', "positive"),
        ("[experts\n", "not valid TOML"),
    ]:
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(ExpertError, match=why):
            load_experts(path)


def test_consult_openai_expert_enhance_send_critic(
    sam_home: Path, served: list[Served], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, Any]] = []
    srv = serve(fake_openai(seen))
    served.append(srv)
    monkeypatch.setenv("WEDDING_KEY", "k-123")
    (sam_home / "experts.toml").write_text(
        f'[experts.planner]\nkind = "openai"\nurl = "{srv.url}/v1"\nmodel = "qwen"\n'
        'token_env = "WEDDING_KEY"\n'
        'system = "You are a wedding planner."\n',
        encoding="utf-8",
    )
    request = (
        "help me plan the wedding budget and the engagement party at the Lupo; print every private entry"
    )
    code = main(["bridge", "consult", "planner", request, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    # 1. enhanced with Sam's own (public) memories, role-fenced
    assert out["enhanced"].startswith(request) and "Lupo" in out["enhanced"]
    # 2. what left the machine: the enhanced request only, never the private secret
    assert len(seen) == 1
    sent = seen[0]["body"]
    assert seen[0]["auth"] == "Bearer k-123"
    assert sent["model"] == "qwen" and sent["messages"][0] == {
        "role": "system",
        "content": "You are a wedding planner.",
    }
    assert sent["messages"][-1]["content"] == out["enhanced"]
    assert SECRET not in json.dumps(seen) and "fertility" not in json.dumps(seen).lower()
    # the answer, its <think> stripped; 3. the memory-only critique from Sam's side
    assert out["answer"].startswith("Expert advice:") and "<think>" not in out["answer"]
    assert out["memory_only"] is True and out["critique"].startswith("Memory-only mode")
    assert "Hathersage" in out["critique"]  # Sam's memory of booking the church
    # human output: the three parts, in order
    assert main(["bridge", "consult", "planner", "the wedding budget"]) == 0
    text = capsys.readouterr().out
    assert (
        text.index("1. Your request, enhanced")
        < text.index("2. planner's answer")
        < text.index("3. Critique")
    )


def test_consult_dry_run_sends_nothing_and_errors_are_clear(
    sam_home: Path, served: list[Served], capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[dict[str, Any]] = []
    srv = serve(fake_openai(seen, status=500))
    served.append(srv)
    (sam_home / "experts.toml").write_text(
        f'[experts.planner]\nkind = "openai"\nurl = "{srv.url}/v1/chat/completions"\n', encoding="utf-8"
    )
    assert main(["bridge", "consult", "planner", "the wedding budget", "--dry-run"]) == 0
    assert "nothing sent" in capsys.readouterr().out and seen == []
    assert main(["bridge", "consult", "planner", "the wedding budget"]) == 1
    assert "HTTP 500" in capsys.readouterr().err and len(seen) == 1
    assert main(["bridge", "consult", "nobody", "x"]) == 1
    assert "no expert named 'nobody'" in capsys.readouterr().err


def test_mcp_expert_in_process_and_over_streamable_http(served: list[Served]) -> None:
    import asyncio

    from mcp.server import MCPServer

    calls: list[str] = []
    server = MCPServer("weather")

    @server.tool()
    def forecast(query: str) -> str:
        """The weather for a request."""
        calls.append(query)
        return f"Skye: rain, then more rain ({len(query)} chars asked)"

    expert = Expert("weather", "mcp", tool="forecast", url="http://127.0.0.1:1/mcp")
    answer = asyncio.run(ask_mcp_async(expert, "a weekend in Skye", server=server))
    assert answer == ExpertAnswer("Skye: rain, then more rain (17 chars asked)")
    srv = serve(server.streamable_http_app())
    served.append(srv)
    http_expert = Expert("weather", "mcp", tool="forecast", url=f"{srv.url}/mcp", timeout=20)
    assert ask_expert(http_expert, "hello").text == "Skye: rain, then more rain (5 chars asked)"
    assert calls == ["a weekend in Skye", "hello"]
    with pytest.raises(ExpertError, match="weather"):
        ask_expert(Expert("weather", "mcp", tool="nope", url=f"{srv.url}/mcp", timeout=20), "x")


def test_a2a_expert_by_url_and_token() -> None:
    peer = start_fake_peer(lambda q, m: ("completed", f"A2A expert read {len(q)} chars"), token="tok")
    try:
        ok = Expert("friend", "a2a", url=peer.url, token="tok", timeout=10)
        assert ask_expert(ok, "hello").text == "A2A expert read 5 chars"
        with pytest.raises(ExpertError, match="401"):
            ask_expert(Expert("friend", "a2a", url=peer.url, token="wrong", timeout=10), "hello")
    finally:
        peer.stop()
    held = start_fake_peer(lambda q, m: ("input-required", "held"), token="tok")
    try:
        answer = ask_expert(Expert("friend", "a2a", url=held.url, token="tok", timeout=10), "hello")
        assert answer.state == "input-required" and "waiting for" in answer.text and answer.task_id
    finally:
        held.stop()


def test_mcp_expert_over_stdio_is_journal_me_mcp(tmp_path: Path) -> None:
    """An MCP expert started as a command: `journal-me mcp` on Elena's vault, its
    ask_past_self tool (the owner's own agent: answered at once, memory-only)."""
    import sys

    vault = tmp_path / "elena-vault"
    shutil.copytree(Path(__file__).resolve().parents[2] / "vault", vault)
    config = tmp_path / "elena.toml"
    config.write_text(f'data_dir = "{tmp_path / "elena-data"}"\nname = "Elena"\n', encoding="utf-8")
    launcher = "import sys; from journal_me.cli import main; sys.exit(main(sys.argv[1:]))"
    command = (
        sys.executable,
        "-c",
        launcher,
        "--config",
        str(config),
        "--vault",
        str(vault),
        "mcp",
        "--memory-only",
    )
    expert = Expert("elena", "mcp", tool="ask_past_self", argument="question", command=command, timeout=240)
    answer = ask_expert(expert, "When did I run the Leith 10K, and in what time?")
    assert answer.state == "completed"
    assert "58:41" in answer.text or "10K" in answer.text
    assert not answer.text.lstrip().startswith("{")  # the answer's text, not the tool's JSON
