"""Spaces (issue 12): bounded rounds, per-turn timeouts, approval waits, the saved transcript.

The participants here are real A2A servers built from the ``a2a-sdk`` server pieces
(tests/net/a2a_fake.py) and a TCP listener that never answers; the client is the SDK's own.
"""

from __future__ import annotations

import shutil
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from journal_me.api import Journal, open_vault
from journal_me.config import load_settings
from journal_me.net.client import PeerAnswer
from journal_me.net.spaces import JournalHost, Space, memory_summary, spaces_dir
from journal_me.net.store import Peer
from journal_me.roles import load_roles

from .a2a_fake import FakePeer, HangingPeer, start_fake_peer

SAM_VAULT = Path(__file__).resolve().parents[1] / "data" / "sam_vault"


def peer(name: str, url: str, token: str = "fake-token") -> Peer:
    return Peer(name, url, "social", "manual", token, "2026-10-01T00:00:00+00:00")


@pytest.fixture(scope="module")
def sam_journal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journal]:
    root = tmp_path_factory.mktemp("sam")
    shutil.copytree(SAM_VAULT, root / "vault")
    env = {"JOURNAL_ME_DATA_DIR": str(root / "data"), "JOURNAL_ME_CONFIG": str(root / "none.toml")}
    journal = open_vault(settings=load_settings(vault=root / "vault", env=env))
    journal.reindex()
    yield journal
    journal.close()


@pytest.fixture
def peers() -> Iterator[list[FakePeer | HangingPeer]]:
    started: list[FakePeer | HangingPeer] = []
    yield started
    for p in started:
        p.stop()


def host(journal: Journal) -> JournalHost:
    return JournalHost(journal, load_roles(None)["social"], name="Sam")


def test_space_three_participants_rounds_and_transcript(
    sam_journal: Journal, peers: list[FakePeer | HangingPeer], tmp_path: Path
) -> None:
    tom = start_fake_peer(lambda q, m: ("completed", f"Tom says yes to round {m.get('round')}. Bring boots."))
    ellie = start_fake_peer(lambda q, m: ("completed", "El: the Fairy Pools, and a B&B in Portree."))
    quiet = start_fake_peer(lambda q, m: ("input-required", "held for approval"))
    peers += [tom, ellie, quiet]
    space = Space(
        "plan a weekend in Skye",
        [peer("tom", tom.url), peer("elena", ellie.url), peer("dev", quiet.url)],
        host(sam_journal),
        spaces_dir(tmp_path / "data"),
        rounds=3,
        turn_timeout=10,
        approval_timeout=0.5,
        poll_interval=0.1,
    )
    events = list(space.run())
    kinds = [e.kind for e in events]
    assert kinds[0] == "open" and kinds[-2:] == ["summary", "saved"]
    turns = [e for e in events if e.kind == "turn"]
    assert [(t.round, t.speaker) for t in turns] == [
        (r, n) for r in (1, 2, 3) for n in ("tom", "elena", "dev")
    ]
    assert {t.state for t in turns if t.speaker == "dev"} == {"waiting"}
    assert sum(e.kind == "waiting" for e in events) == 3  # said each round that it waits for approval
    assert "Tom says yes to round 3/3" in turns[6].text
    # each speaker was sent the objective, the skill, the Space's id and what was said before
    question, meta = tom.asked[1]
    assert meta["skill"] == "ask-me" and meta["objective"] == "plan a weekend in Skye"
    assert meta["round"] == "2/3" and meta["host"] == "Sam"
    assert question.startswith("plan a weekend in Skye\n") and "- elena: El: the Fairy Pools" in question
    assert len(tom.asked) == len(ellie.asked) == len(quiet.asked) == 3
    # the transcript: markdown, owner-only, all rounds and the summary
    assert space.path is not None and space.path.parent == spaces_dir(tmp_path / "data")
    assert stat.S_IMODE(space.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(space.path.parent.stat().st_mode) == 0o700
    text = space.path.read_text(encoding="utf-8")
    for heading in (
        "# Space: plan a weekend in Skye",
        "## Round 1",
        "## Round 3",
        "### dev (waiting)",
        "## Summary",
    ):
        assert heading in text
    assert "Memory-only summary" in events[-2].text and "- tom: Tom says yes to round 3/3." in events[-2].text


def test_hanging_peer_does_not_hang_the_space(
    sam_journal: Journal, peers: list[FakePeer | HangingPeer], tmp_path: Path
) -> None:
    hang = HangingPeer()
    slow = start_fake_peer(lambda q, m: ("completed", "too late"), delay=30)
    tom = start_fake_peer(lambda q, m: ("completed", "Tom: I'll drive."))
    peers += [hang, slow, tom]
    space = Space(
        "plan a weekend in Skye",
        [peer("ghost", hang.url), peer("slow", slow.url), peer("tom", tom.url)],
        host(sam_journal),
        tmp_path / "spaces",
        rounds=2,
        turn_timeout=1.0,
    )
    t0 = time.monotonic()
    events = list(space.run())
    took = time.monotonic() - t0
    turns = [e for e in events if e.kind == "turn"]
    assert [t.state for t in turns if t.speaker == "ghost"] == ["timeout", "timeout"]
    assert [t.state for t in turns if t.speaker == "slow"] == ["timeout", "timeout"]
    assert [t.text for t in turns if t.speaker == "tom"] == ["Tom: I'll drive.", "Tom: I'll drive."]
    assert took < 4 * (1.0 + 1.5) + 5  # four bounded turns, not 30 s of a slow peer
    assert "ghost (timeout)" in events[-2].text


def test_open_is_role_fenced_and_private_secret_stays_home(sam_journal: Journal, tmp_path: Path) -> None:
    asked: list[str] = []

    def ask(p: Peer, question: str, **kw: object) -> PeerAnswer:

        asked.append(question)
        return PeerAnswer("completed", "ok", "t1", peer=p.name)

    space = Space(
        "what should I tell the fertility clinic, and how was the engagement party at the Lupo",
        [peer("elena", "http://127.0.0.1:9")],
        host(sam_journal),
        tmp_path / "spaces",
        rounds=1,
        ask=ask,
    )
    events = list(space.run())
    assert "Lupo" in events[0].text  # the opening carries the host's (public) memories
    assert asked and all("silver-otter-2291" not in q for q in asked)
    assert space.path is not None and "silver-otter-2291" not in space.path.read_text(encoding="utf-8")


def test_bad_spaces_are_refused(sam_journal: Journal, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="objective"):
        Space(" ", [peer("a", "http://x")], host(sam_journal), tmp_path)
    with pytest.raises(ValueError, match="participant"):
        Space("x", [], host(sam_journal), tmp_path)
    with pytest.raises(ValueError, match="rounds"):
        Space("x", [peer("a", "http://x")], host(sam_journal), tmp_path, rounds=0)
    assert "nobody answered" in memory_summary("x", [])
