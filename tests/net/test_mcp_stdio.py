"""MCP for the owner's own agents: the mcp client in memory, and ``journal-me mcp`` as a
subprocess over stdio (what a desktop agent runs)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from journal_me.api import open_vault
from journal_me.net.answer import Answerer
from journal_me.net.mcp_tools import Gate, build_mcp, stdio_scope
from journal_me.net.store import NetLog, Outbox, PeerStore

from .conftest import SAMPLE_VAULT, SECRET, make_settings, plant_secret
from .helpers import run, tool_json, tool_text


def test_in_memory_client_lists_tools_and_searches(tmp_path: Path) -> None:
    from mcp import Client

    vault = tmp_path / "vault"
    shutil.copytree(SAMPLE_VAULT, vault)
    plant_secret(vault)
    settings = make_settings(vault, tmp_path, "elena")
    journal = open_vault(settings=settings)
    journal.reindex()
    data = settings.vault_data_dir
    answerer = Answerer(settings, journal, None)
    server = build_mcp(
        answerer, Gate(answerer, PeerStore(data), Outbox(data), NetLog(data)), stdio_scope, full_profile=True
    )

    async def session() -> tuple[list[str], object, str, str]:
        async with Client(server) as client:
            tools = sorted(t.name for t in (await client.list_tools()).tools)
            found = tool_json(
                await client.call_tool("search_journal", {"query": "Leith 10K running watch code"})
            )
            asked = tool_text(
                await client.call_tool("ask_past_self", {"question": "What is my running watch code?"})
            )
            resources = sorted(str(r.uri) for r in (await client.list_resources()).resources)
            return tools, found, asked, " ".join(resources)

    try:
        tools, found, asked, resources = run(session())
    finally:
        journal.close()
    assert tools == ["ask_past_self", "draft", "list_roles", "search_journal", "task_status"]
    assert resources == "journal-me://profile journal-me://roles"
    assert any("10K" in p["passage"] for p in found["passages"])  # type: ignore[index]
    assert "Memory-only" in asked
    assert SECRET not in str(found) and SECRET not in asked
    assert NetLog(data).entries()[0].peer == "owner-agent"  # what the owner's agents got is logged


def test_journal_me_mcp_over_stdio_subprocess(tmp_path: Path) -> None:
    from mcp import Client, StdioServerParameters

    vault = tmp_path / "vault"
    shutil.copytree(SAMPLE_VAULT, vault)
    plant_secret(vault)
    (tmp_path / "config.toml").write_text('name = "Elena"\n', encoding="utf-8")
    env = {
        **os.environ,
        "JOURNAL_ME_DATA_DIR": str(tmp_path / "data"),
        "JOURNAL_ME_CONFIG": str(tmp_path / "config.toml"),
    }
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "journal_me.cli", "--vault", str(vault), "mcp", "--memory-only"],
        env=env,
        cwd=str(Path(__file__).resolve().parents[2]),
    )

    async def session() -> tuple[list[str], object, str, str]:
        async with Client(params, read_timeout_seconds=240) as client:
            tools = sorted(t.name for t in (await client.list_tools()).tools)
            found = tool_json(await client.call_tool("search_journal", {"query": "Leith 10K"}))
            drafted = tool_text(
                await client.call_tool(
                    "draft", {"action": "reply", "text": "How was the 10K?", "role": "social"}
                )
            )
            profile = str(await client.read_resource("journal-me://profile"))
            return tools, found, drafted, profile

    tools, found, drafted, profile = run(session())
    assert "search_journal" in tools and "ask_past_self" in tools
    assert found["state"] == "completed" and found["passages"]  # type: ignore[index]
    assert "10K" in drafted and SECRET not in drafted and SECRET not in str(found)
    assert "Elena" in profile
