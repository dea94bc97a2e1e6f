"""The network's SQLite state and its commands: tokens stored hashed, 0600, scopes, the outbox
lifecycle; ``peers``, ``outbox``, ``netlog`` and ``serve``'s bind rule from the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from journal_me.cli import main
from journal_me.config import load_settings
from journal_me.net import NETWORK_DB
from journal_me.net.server import ServeError, check_bind
from journal_me.net.store import NetLog, NetStoreError, Outbox, PeerStore

from .conftest import SAMPLE_VAULT


def test_tokens_are_stored_hashed_and_the_file_is_owner_only(tmp_path: Path) -> None:
    peers = PeerStore(tmp_path)
    inv = peers.invite("Sam", "social", "http://127.0.0.1:8765/")
    owner = peers.issue_owner_token()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith(NETWORK_DB))
    assert inv.token.encode() not in raw and owner.encode() not in raw
    assert (tmp_path / NETWORK_DB).stat().st_mode & 0o777 == 0o600
    assert len(inv.token) >= 43  # 32 random bytes
    scope = peers.authenticate(inv.token)
    assert scope is not None and (scope.peer, scope.role, scope.is_owner) == ("sam", "social", False)
    assert peers.authenticate(owner) is not None and peers.authenticate(owner).is_owner  # type: ignore[union-attr]
    assert peers.authenticate("") is None and peers.authenticate(inv.token + "x") is None
    peers.set_role("sam", "work")
    assert peers.authenticate(inv.token).role == "work"  # type: ignore[union-attr]
    peers.remove("sam")
    assert peers.authenticate(inv.token) is None
    assert peers.revoke_owner_tokens() == 1 and peers.authenticate(owner) is None


def test_peer_names_and_urls_are_checked(tmp_path: Path) -> None:
    peers = PeerStore(tmp_path)
    for bad in ("", "owner", "a b", "x" * 65, "../etc"):
        with pytest.raises(NetStoreError):
            peers.invite(bad, "social", "http://127.0.0.1:1")
    with pytest.raises(NetStoreError):
        peers.add("sam", "ftp://example", "t")
    with pytest.raises(NetStoreError):
        peers.set_mode("nobody", "auto")


def test_outbox_lifecycle_and_log(tmp_path: Path) -> None:
    outbox, log = Outbox(tmp_path), NetLog(tmp_path)
    item = outbox.create("sam", "social", "ask-me", "How was Skye?")
    assert item.state == "submitted"
    item = outbox.set_draft(item.id, "Windy and wonderful.", send=False)
    assert item.state == "input-required" and item.answer is None
    assert [i.id for i in outbox.pending()] == [item.id]
    done = outbox.approve(item.id)
    assert done.state == "completed" and done.answer == "Windy and wonderful."
    with pytest.raises(NetStoreError):
        outbox.approve(item.id)  # once only
    other = outbox.set_draft(outbox.create("tom", "work", "reply", "Salary?").id, "draft", send=False)
    assert outbox.refuse(other.id, "private").state == "rejected"
    with pytest.raises(NetStoreError):
        outbox.refuse(other.id)
    auto = outbox.set_draft(outbox.create("mum", "family", "ask-me", "Eating well?").id, "Yes", send=True)
    assert auto.state == "completed" and auto.answer == "Yes"
    entries = log.entries()
    assert [(e.peer, e.direction) for e in entries[:2]] == [("mum", "out"), ("mum", "in")]
    assert any(e.kind == "refused" and e.text == "private" for e in entries)
    assert outbox.pending() == []


def _settings_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    vault = tmp_path / "vault"
    shutil.copytree(SAMPLE_VAULT, vault)
    monkeypatch.setenv("JOURNAL_ME_VAULT", str(vault))
    return vault


def test_cli_peers_outbox_netlog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    vault = _settings_env(tmp_path, monkeypatch)
    assert main(["peers", "invite", "Sam", "--role", "social", "--json"]) == 0
    inv = json.loads(capsys.readouterr().out)
    assert inv["name"] == "sam" and inv["url"] == "http://127.0.0.1:8765"
    assert main(["peers", "invite", "x", "--role", "nonsense"]) == 1
    assert "no role" in capsys.readouterr().err
    assert main(["peers", "add", "sam", "http://127.0.0.1:9999", "their-token"]) == 0
    assert main(["peers", "mode", "sam", "auto"]) == 0
    capsys.readouterr()
    assert main(["peers", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == [
        {
            "name": "sam",
            "url": "http://127.0.0.1:9999",
            "role": "social",
            "mode": "auto",
            "can_call_us": True,
            "we_can_call": True,
            "created": listed[0]["created"],
        }
    ]
    data = load_settings(vault=vault).vault_data_dir
    outbox = Outbox(data)
    a = outbox.set_draft(outbox.create("sam", "social", "ask-me", "Q1").id, "draft one", send=False)
    b = outbox.set_draft(outbox.create("sam", "social", "ask-me", "Q2").id, "draft two", send=False)
    assert main(["outbox", "--json"]) == 0
    assert [i["id"] for i in json.loads(capsys.readouterr().out)] == [a.id, b.id]
    assert main(["outbox", "approve", a.id[:10], "--edit", "my own words"]) == 0
    assert main(["outbox", "refuse", b.id, "--reason", "later"]) == 0
    assert main(["outbox", "approve", "zzz"]) == 1
    assert outbox.get(a.id).answer == "my own words" and outbox.get(b.id).state == "rejected"
    capsys.readouterr()
    assert main(["netlog", "--json"]) == 0
    log = json.loads(capsys.readouterr().out)
    assert log[0]["kind"] == "refused" and log[1]["text"] == "my own words"
    assert main(["peers", "remove", "sam"]) == 0
    assert PeerStore(data).list() == []


def test_serve_refuses_a_lan_address_without_tls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _settings_env(tmp_path, monkeypatch)
    assert main(["serve", "--host", "0.0.0.0"]) == 1
    assert "--insecure-lan" in capsys.readouterr().err
    assert check_bind("127.0.0.1", None, False) == "" and check_bind("::1", None, False) == ""
    assert "WARNING" in check_bind("192.168.1.20", None, True)
    with pytest.raises(ServeError):
        check_bind("192.168.1.20", (tmp_path / "no.pem", tmp_path / "no.key"), False)
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("x")
    key.write_text("x")
    assert check_bind("192.168.1.20", (cert, key), False) == ""


def test_auto_per_role_covers_current_and_new_peers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    vault = _settings_env(tmp_path, monkeypatch)
    data = load_settings(vault=vault).vault_data_dir
    assert main(["peers", "invite", "mum", "--role", "family"]) == 0
    assert main(["peers", "invite", "sam", "--role", "social"]) == 0
    assert main(["peers", "mode", "--role", "family", "auto"]) == 0
    assert main(["peers", "invite", "dad", "--role", "family"]) == 0
    modes = {p.name: p.mode for p in PeerStore(data).list()}
    assert modes == {"dad": "auto", "mum": "auto", "sam": "manual"}
    assert main(["peers", "mode", "mum", "manual"]) == 0  # one peer of the role, on its own
    assert PeerStore(data).get("mum").mode == "manual" and PeerStore(data).get("dad").mode == "auto"
    assert main(["peers", "mode", "auto"]) == 1 and "NAME" in capsys.readouterr().err
