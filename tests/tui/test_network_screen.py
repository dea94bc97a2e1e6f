"""The Network screen (issue 12): the outbox (approve as drafted, approve an edit, refuse),
the inbox, peers and the log, read from the same network.sqlite3 `journal-me serve` writes;
snapshots at 80x24 and 140x42."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TabbedContent

from journal_me.config import Settings
from journal_me.net import store as net_store
from journal_me.net.store import NetLog, Outbox, PeerStore
from journal_me.tui.app import JournalMeApp
from journal_me.tui.screens.network import NetworkScreen
from journal_me.tui.widgets.safe_text_area import SafeTextArea

from .conftest import no_blink, settle, wait_until

Snap = Callable[..., bool]


@pytest.fixture(autouse=True)
def quiet_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(NetworkScreen, "REFRESH_SECONDS", 0.0)  # no timer in tests
    monkeypatch.setattr(net_store, "_now", lambda: "2026-11-02T09:15:00+00:00")  # fixed times


@pytest.fixture
def network(settings: Settings) -> list[str]:
    """Sam and Tom as peers of Elena; two answers waiting, one sent, a log. The task ids."""
    data = settings.vault_data_dir
    peers = PeerStore(data)
    peers.invite("sam", "social", "http://127.0.0.1:8765")
    peers.add("sam", "http://127.0.0.1:8766", "sams-token-for-elena")
    peers.invite("tom", "family", "http://127.0.0.1:8765")
    peers.set_mode("tom", "auto")
    outbox = Outbox(data)
    a = outbox.create("sam", "social", "ask-me", "What are you reading at the moment, El?")
    outbox.set_draft(a.id, "Memory-only: Braiding Sweetgrass (spring 2026).", send=False, memory_only=True)
    b = outbox.create("sam", "social", "ask-me", "Are you free the weekend of 17 October for Skye?")
    outbox.set_draft(b.id, "Probably — I'll check with Jamie.", send=False)
    c = outbox.create("tom", "family", "ask-me", "What should I get Lily for her birthday?")
    outbox.set_draft(c.id, "Anything with a hadrosaur in it.", send=True)
    NetLog(data).add("sam", "in", "card", "fetched the agent card")
    return [a.id, b.id, c.id]


async def open_network(pilot: Pilot[Any]) -> NetworkScreen:
    await settle(pilot)
    await pilot.press("f10")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, NetworkScreen), what="the network screen")
    screen = pilot.app.screen
    assert isinstance(screen, NetworkScreen)
    await wait_until(
        pilot, lambda: screen.query_one("#net-outbox-table", DataTable).row_count > 0, what="the outbox rows"
    )
    return screen


async def test_outbox_approve_edit_refuse(
    make_app: Callable[..., JournalMeApp], settings: Settings, network: list[str]
) -> None:
    reading, skye, lily = network
    outbox = Outbox(settings.vault_data_dir)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_network(pilot)
        table = screen.query_one("#net-outbox-table", DataTable)
        assert table.row_count == 2
        assert screen.selected == reading
        question = str(screen.query_one("#net-question", Static).render())
        assert "sam" in question and "What are you reading" in question and "memory-only" in question
        draft = screen.query_one("#net-draft", SafeTextArea)
        assert draft.text == "Memory-only: Braiding Sweetgrass (spring 2026)."
        tabs = screen.query_one("#net-tabs", TabbedContent)
        assert "Outbox (2)" in str(tabs.get_tab("net-outbox").label)

        # 1. send as drafted
        await pilot.press("f5")
        await wait_until(pilot, lambda: outbox.get(reading).state == "completed", what="the approval")
        assert outbox.get(reading).answer == "Memory-only: Braiding Sweetgrass (spring 2026)."
        await wait_until(
            pilot, lambda: table.row_count == 1 and screen.selected == skye, what="the next draft"
        )

        # 2. edit, then send the edit
        draft.load_text("Yes! Count me in for Skye.")
        await pilot.press("f5")
        await wait_until(pilot, lambda: outbox.get(skye).state == "completed", what="the edited approval")
        assert outbox.get(skye).answer == "Yes! Count me in for Skye."
        await wait_until(pilot, lambda: table.row_count == 0, what="an empty outbox")
        assert "Nothing waits" in str(screen.query_one("#net-question", Static).render())
        assert draft.disabled

        # 3. a new question arrives; ctrl+r re-reads; f6 refuses it
        late = outbox.create("sam", "social", "ask-me", "How much do you earn?")
        outbox.set_draft(late.id, "(a draft)", send=False)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: table.row_count == 1, what="the new question")
        await pilot.press("f6")
        await wait_until(pilot, lambda: outbox.get(late.id).state == "rejected", what="the refusal")

        # the other tabs: inbox (every question, newest first), peers, log (what was said)
        await settle(pilot)
        inbox = screen.query_one("#net-inbox-table", DataTable)
        assert inbox.row_count == 4
        assert [str(inbox.get_row_at(i)[3]) for i in range(4)] == [
            "rejected",
            "completed",
            "completed",
            "completed",
        ]
        peers = screen.query_one("#net-peers-table", DataTable)
        rows = [[str(c) for c in peers.get_row_at(i)] for i in range(peers.row_count)]
        assert rows[0][:5] == ["sam", "social", "with your approval", "yes", "yes"]
        assert rows[1][:5] == ["tom", "family", "auto", "yes", "no"]
        log = screen.query_one("#net-log-table", DataTable)
        texts = [str(log.get_row_at(i)[4]) for i in range(log.row_count)]
        assert "Yes! Count me in for Skye." in texts and "Anything with a hadrosaur in it." in texts
        assert lily not in (screen.selected or "")


def _shot(tab: str | None = None) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await open_network(pilot)
        if tab is not None:
            screen.query_one("#net-tabs", TabbedContent).active = tab
        await settle(pilot)
        # the tables fill from a thread worker: let their columns size to the rows first
        await pilot.pause(0.5)
        await settle(pilot, rounds=6)
        no_blink(pilot.app)  # type: ignore[arg-type]
        await pilot.pause()

    return run_before


def test_network_outbox_80x24(
    snap_compare: Snap, make_app: Callable[..., JournalMeApp], network: list[str]
) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_shot())


def test_network_outbox_140x42(
    snap_compare: Snap, make_app: Callable[..., JournalMeApp], network: list[str]
) -> None:
    assert snap_compare(make_app(), terminal_size=(140, 42), run_before=_shot())


def test_network_peers_140x42(
    snap_compare: Snap, make_app: Callable[..., JournalMeApp], network: list[str]
) -> None:
    assert snap_compare(make_app(), terminal_size=(140, 42), run_before=_shot("net-peers"))


async def test_space_tab_streams_a_space(
    make_app: Callable[..., JournalMeApp], settings: Settings, network: list[str]
) -> None:
    """The Space tab: objective, peers, enter — the turns appear as they come, then the
    summary, and the transcript lands in the data dir. Sam is a scripted A2A peer here."""
    import importlib.util
    import sys
    from pathlib import Path

    from textual.widgets import Input, RichLog

    spec = importlib.util.spec_from_file_location(
        "a2a_fake", Path(__file__).parents[1] / "net" / "a2a_fake.py"
    )
    assert spec is not None and spec.loader is not None
    fake = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("a2a_fake", fake)
    spec.loader.exec_module(fake)
    peer = fake.start_fake_peer(lambda q, m: ("completed", f"Sam: yes to Skye ({m['round']})."), token="t")
    try:
        PeerStore(settings.vault_data_dir).add("sam", peer.url, "t")
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_network(pilot)
            screen.query_one("#net-tabs", TabbedContent).active = "net-space"
            await pilot.pause()
            screen.query_one("#net-space-objective", Input).value = "plan a weekend in Skye"
            screen.query_one("#net-space-with", Input).value = "sam"
            screen.query_one("#net-space-with", Input).focus()
            await pilot.press("enter")
            log = screen.query_one("#net-space-log", RichLog)
            await wait_until(
                pilot,
                lambda: any("transcript saved" in str(line.text) for line in log.lines),
                60,
                "the Space",
            )
            text = "\n".join(line.text for line in log.lines)
            for i in (1, 2, 3):
                assert f"[round {i}] sam" in text and f"Sam: yes to Skye ({i}/3)." in text
            assert text.index("opens:") < text.index("[round 1] sam") < text.index("Summary")
        transcripts = list((settings.vault_data_dir / "spaces").glob("*.md"))
        assert len(transcripts) == 1 and "### sam" in transcripts[0].read_text(encoding="utf-8")
    finally:
        peer.stop()
