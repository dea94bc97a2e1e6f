"""The data dir is owner-only: folders 0700, files 0600, whatever the user's umask."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from journal_me.api import Journal
from journal_me.config import load_settings
from journal_me.conversations import ConversationStore
from journal_me.datadir import secure_data_dir, user_umask


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _modes(root: Path) -> tuple[dict[str, int], dict[str, int]]:
    folders: dict[str, int] = {}
    files: dict[str, int] = {}
    for folder, dirs, names in os.walk(root):
        for d in dirs:
            p = Path(folder) / d
            folders[str(p.relative_to(root))] = stat.S_IMODE(p.lstat().st_mode)
        for n in names:
            p = Path(folder) / n
            files[str(p.relative_to(root))] = stat.S_IMODE(p.lstat().st_mode)
    return folders, files


def test_index_and_conversations_are_owner_only_with_umask_022(
    umask_022: None, vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "2026-03-01.md", "# Run\n\nRan 5 km with Sam by the river.\n")
    write(vault, "2026-03-02.md", "---\nprivate: true\n---\nA secret about Sam.\n")
    journal = open_journal(vault)
    report = journal.reindex()
    assert report.added == 2
    store = ConversationStore(journal.settings.conversations_file)
    cid = store.create("about Sam").id
    store.add_message(cid, "user", "what did I do with Sam?")
    journal.write_recovery_copy("2026-03-01.md", "unsaved words")
    folders, files = _modes(journal.data_dir)
    store.close()
    assert any(f.startswith("index/") for f in files)
    assert "conversations.sqlite3" in files
    assert "graph.sqlite3" in files and "warnings.json" in files
    # owner-only everywhere (Whoosh creates its empty lock file 0777 & ~umask: 0700)
    assert {k: oct(v) for k, v in files.items() if v & 0o077} == {}
    assert {k: oct(v) for k, v in files.items() if v != 0o600 and not k.endswith("WRITELOCK")} == {}
    assert {k: oct(v) for k, v in folders.items() if v != 0o700} == {}
    assert stat.S_IMODE(journal.data_dir.stat().st_mode) == 0o700


def test_existing_readable_files_are_tightened_on_open(
    umask_022: None, vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "2026-03-01.md", "Ran 5 km.\n")
    settings = load_settings(vault=vault)
    data = settings.vault_data_dir
    (data / "index").mkdir(parents=True)
    os.chmod(data, 0o755)
    os.chmod(data / "index", 0o755)
    old = data / "warnings.json"
    old.write_text("[]")
    os.chmod(old, 0o644)
    (data / "exports").mkdir()
    chat = data / "exports" / "chat.md"
    chat.write_text("what I told the second me")
    os.chmod(chat, 0o664)
    state = settings.data_root / "state.json"
    state.write_text("{}")
    os.chmod(state, 0o644)

    open_journal(vault)

    folders, files = _modes(data)
    assert folders["index"] == 0o700 and folders["exports"] == 0o700
    assert files["warnings.json"] == 0o600 and files["exports/chat.md"] == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.data_root.stat().st_mode) == 0o700


def test_umask_is_raised_but_the_users_is_remembered(umask_022: None, tmp_path: Path) -> None:
    before = user_umask()
    secure_data_dir(tmp_path / "data")
    current = os.umask(0o077)
    os.umask(current)
    assert current & 0o077 == 0o077
    assert user_umask() == before
    # a stricter umask is kept as it is
    os.umask(0o177)
    secure_data_dir(tmp_path / "data")
    current = os.umask(0o077)
    assert current == 0o177


def test_links_out_of_the_data_dir_are_not_followed(umask_022: None, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours")
    os.chmod(outside, 0o644)
    data = tmp_path / "data"
    data.mkdir()
    (data / "link").symlink_to(outside)
    secure_data_dir(data)
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644


def test_old_temp_files_of_killed_writes_are_removed_on_open(
    vault: Path, open_journal: Callable[..., Journal]
) -> None:
    settings = load_settings(vault=vault)
    data = settings.vault_data_dir
    data.mkdir(parents=True)
    old = data / ".privacy.json.k3j2.tmp"
    fresh = data / ".graph.abcd.tmp"  # a running process may still be writing it
    keep = data / "notes.tmp"
    for p in (old, fresh, keep):
        p.write_text("{")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    os.utime(keep, (an_hour_ago, an_hour_ago))
    open_journal(vault)
    assert not old.exists()
    assert fresh.exists() and keep.exists()
