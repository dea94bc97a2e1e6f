"""`journal-me peers ask` and `journal-me space` (issue 12) against a running server."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_me.cli import main
from journal_me.config import Settings
from journal_me.net.store import Outbox, PeerStore

from .conftest import Instance, make_settings

SAM_VAULT = Path(__file__).resolve().parents[1] / "data" / "sam_vault"


@pytest.fixture
def sam(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Sam at the command line (no server of his own needed to ask)."""
    shutil.copytree(SAM_VAULT, tmp_path / "sam-vault")
    settings = make_settings(tmp_path / "sam-vault", tmp_path, "sam")
    assert settings.config_file is not None
    monkeypatch.setenv("JOURNAL_ME_CONFIG", str(settings.config_file))
    monkeypatch.setenv("JOURNAL_ME_DATA_DIR", str(settings.data_root))
    monkeypatch.setenv("JOURNAL_ME_VAULT", str(settings.vault))
    return settings


def test_peers_ask_waits_for_approval_then_check_again(
    net_instance: Callable[..., Instance], sam: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    elena = net_instance(name="elena")
    invitation = PeerStore(elena.data_dir).invite("sam", "social", elena.url)
    assert main(["peers", "add", "elena", invitation.url, invitation.token]) == 0
    capsys.readouterr()

    assert main(["peers", "ask", "elena", "What are you reading these days?"]) == 0
    captured = capsys.readouterr()
    assert "waiting for elena's approval" in captured.out
    found = re.search(r"journal-me peers ask elena --task (\S+)", captured.err)
    assert found, captured.err
    task_id = found.group(1)

    Outbox(elena.data_dir).approve(task_id, "Braiding Sweetgrass, on Mum's orders.")
    assert main(["peers", "ask", "elena", "--task", task_id, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer == {
        "peer": "elena",
        "state": "completed",
        "text": "Braiding Sweetgrass, on Mum's orders.",
        "task_id": task_id,
    }

    assert main(["peers", "ask", "nobody", "hi"]) == 1
    assert "no peer named 'nobody'" in capsys.readouterr().err


def test_space_command_streams_turns_and_saves_the_transcript(
    net_instance: Callable[..., Instance], sam: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    elena = net_instance(name="elena")
    invitation = PeerStore(elena.data_dir).invite("sam", "social", elena.url)
    PeerStore(elena.data_dir).set_mode("sam", "auto")
    PeerStore(sam.vault_data_dir).add("elena", invitation.url, invitation.token)

    code = main(["space", "plan a weekend walking in the Peak District", "--with", "elena", "--rounds", "2"])
    captured = capsys.readouterr()
    assert code == 0
    out = captured.out
    assert (
        out.index("Opening — Sam's second me") < out.index("[round 1] elena") < out.index("[round 2] elena")
    )
    assert out.index("[round 2] elena") < out.index("Summary")
    saved = re.search(r"transcript saved to (\S+\.md)", captured.err.replace("\n", ""))
    assert saved, captured.err
    path = Path(saved.group(1))
    assert path.is_file() and path.parent == sam.vault_data_dir / "spaces"
    assert (path.stat().st_mode & 0o777) == 0o600

    assert main(["space", "x", "--with", "elena", "--rounds", "11"]) == 1
    assert "rounds must be" in capsys.readouterr().err


def test_bridge_consult_a_friends_second_me_as_expert(
    net_instance: Callable[..., Instance], sam: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bridge consult elena "…"` with ``kind = "a2a"``: Sam's request, enhanced from Sam's
    journal (role-fenced), goes to Elena's second me; her answer comes back; Sam's side
    critiques it. Elena's log shows exactly what Sam's side sent."""
    from journal_me.net.store import NetLog

    elena = net_instance(name="elena")
    invitation = PeerStore(elena.data_dir).invite("sam", "social", elena.url)
    PeerStore(elena.data_dir).set_mode("sam", "auto")
    PeerStore(sam.vault_data_dir).add("elena", invitation.url, invitation.token)
    assert sam.config_dir is not None
    (sam.config_dir / "experts.toml").write_text(
        '[experts.elena]\nkind = "a2a"\npeer = "elena"\ntimeout = 60\n', encoding="utf-8"
    )
    request = "Any tips for the maid of honour speech at the wedding in Hathersage? And the clinic login?"
    assert main(["bridge", "consult", "elena", request, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "a2a" and out["state"] == "completed" and out["sent"] is True
    assert out["enhanced"].startswith(request) and "Hathersage" in out["enhanced"]
    assert "silver-otter-2291" not in out["enhanced"]
    assert out["answer"] and "Memory-only" in out["answer"]  # Elena's memory-only second me
    assert out["critique"]
    received = [e.text for e in NetLog(elena.data_dir).entries(peer="sam") if e.direction == "in"]
    assert received == [out["enhanced"]]  # what left Sam's machine: the enhanced request only
