"""Writing the vault: atomic writes, new-entry naming, conflicts, quick add."""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from journal_me.api import Journal
from journal_me.vault import Vault, VaultError, atomic_write, parse_entry, render_new_entry, sha256_bytes

DAY = dt.date(2026, 3, 2)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


class _HalfWriter:
    """A file object that writes half of what it is given, then fails (disk full)."""

    def __init__(self, fh: Any) -> None:
        self._fh = fh

    def write(self, data: bytes) -> int:
        self._fh.write(data[: len(data) // 2])
        self._fh.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def __enter__(self) -> _HalfWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()


def test_atomic_write_failing_midway_leaves_the_old_file(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = vault / "2026-03-02.md"
    target.write_text("the old text\n", encoding="utf-8")
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, mode: _HalfWriter(real_fdopen(fd, mode)))
    with pytest.raises(OSError, match="No space"):
        atomic_write(target, "a much longer new text that never makes it to disk\n" * 50)
    assert target.read_text(encoding="utf-8") == "the old text\n"
    assert _leftovers(vault) == []


def test_atomic_write_failing_midway_creates_no_partial_new_file(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = vault / "new.md"
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, mode: _HalfWriter(real_fdopen(fd, mode)))
    with pytest.raises(OSError):
        atomic_write(target, "x" * 10_000)
    assert not target.exists()
    assert list(vault.iterdir()) == []


def test_atomic_write_failing_fsync_or_rename_cleans_up(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = vault / "a.md"
    target.write_text("old\n", encoding="utf-8")

    def boom(*_a: object) -> None:
        raise OSError(errno.EIO, "I/O error")

    with monkeypatch.context() as m:
        m.setattr(os, "fsync", boom)
        with pytest.raises(OSError):
            atomic_write(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    with monkeypatch.context() as m:
        m.setattr(os, "replace", boom)
        with pytest.raises(OSError):
            atomic_write(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert _leftovers(vault) == []


def test_atomic_write_keeps_permissions(vault: Path) -> None:
    target = vault / "a.md"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    atomic_write(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_new_entry_names_and_suffixes(vault: Path) -> None:
    v = Vault(vault)
    assert v.entry_rel_for(DAY) == "2026-03-02.md"
    first = v.create(v.entry_rel_for(DAY), "first\n")
    second = v.create(v.entry_rel_for(DAY), "second\n")
    third = v.create(v.entry_rel_for(DAY), "third\n")
    assert [first.rel, second.rel, third.rel] == ["2026-03-02.md", "2026-03-02-2.md", "2026-03-02-3.md"]
    assert [e.date for e in (first, second, third)] == [DAY] * 3
    assert (vault / "2026-03-02.md").read_text(encoding="utf-8") == "first\n"
    assert (vault / "2026-03-02-2.md").read_text(encoding="utf-8") == "second\n"


def test_new_entry_goes_into_journal_year_folder_when_there_is_one(vault: Path) -> None:
    (vault / "journal").mkdir()
    v = Vault(vault)
    entry = v.create(v.entry_rel_for(DAY), "text\n")
    assert entry.rel == "journal/2026/2026-03-02.md"


def test_create_never_overwrites_a_file_that_appears_meanwhile(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v = Vault(vault)
    (vault / "2026-03-02.md").write_text("written by another program\n", encoding="utf-8")
    # the race: the free name was chosen before the other program wrote the file
    monkeypatch.setattr(v, "free_rel", lambda rel: rel)
    with pytest.raises(VaultError, match="refusing to overwrite"):
        v.create("2026-03-02.md", "ours\n")
    assert (vault / "2026-03-02.md").read_text(encoding="utf-8") == "written by another program\n"
    assert _leftovers(vault) == []


def test_vault_writes_go_through_fsutil(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One way to write a file: create, save and the conflict copy all use fsutil's temp file."""
    import journal_me.vault as vault_module
    from journal_me import fsutil

    made: list[str] = []
    real = fsutil.write_temp

    def spy(path: Path, data: bytes, **kw: Any) -> Path:
        made.append(Path(path).name)
        return real(path, data, **kw)

    monkeypatch.setattr(fsutil, "write_temp", spy)
    v = Vault(vault)
    entry = v.create("2026-03-02.md", "v1\n")
    v.save(entry.rel, "v2\n", entry.digest)
    stale = v.save(entry.rel, "v3\n", entry.digest)  # v1's digest: a conflict copy
    assert stale.conflict_rel is not None
    assert made == ["2026-03-02.md", "2026-03-02.md", Path(stale.conflict_rel).name]
    assert not hasattr(vault_module, "_write_temp") and not hasattr(vault_module, "_fsync_dir")


def test_create_on_a_file_system_without_hard_links(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A vault on an exFAT stick: link() is refused, a new entry is still created exclusively."""
    import journal_me.vault as vault_module

    def no_links(*_a: object, **_k: object) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    (vault / "old.md").write_text("old\n", encoding="utf-8")
    (vault / "old.md").chmod(0o640)
    monkeypatch.setattr(os, "link", no_links)
    v = Vault(vault)
    first = v.create("2026-03-02.md", "first\n")
    second = v.create("2026-03-02.md", "second\n")
    assert (first.rel, second.rel) == ("2026-03-02.md", "2026-03-02-2.md")
    assert (vault / "2026-03-02.md").read_text(encoding="utf-8") == "first\n"
    assert stat.S_IMODE((vault / "2026-03-02-2.md").stat().st_mode) == 0o640
    # a save there (no renameat2 exchange on exFAT either) replaces the file
    monkeypatch.setitem(vault_module._renameat2_state, "works", False)
    saved = v.save(first.rel, "first, edited\n", first.digest)
    assert saved.saved and not saved.conflict
    assert (vault / "2026-03-02.md").read_text(encoding="utf-8") == "first, edited\n"
    monkeypatch.setattr(v, "free_rel", lambda rel: rel)
    with pytest.raises(VaultError, match="refusing to overwrite"):
        v.create("2026-03-02.md", "ours\n")
    assert (vault / "2026-03-02.md").read_text(encoding="utf-8") == "first, edited\n"
    assert _leftovers(vault) == []


def test_save_with_current_digest_replaces(vault: Path) -> None:
    v = Vault(vault)
    entry = v.create("2026-03-02.md", "v1\n")
    result = v.save(entry.rel, "v2\n", entry.digest)
    assert result.saved and not result.conflict
    assert result.digest == sha256_bytes(b"v2\n")
    assert (vault / entry.rel).read_text(encoding="utf-8") == "v2\n"


def test_save_with_stale_digest_keeps_both(vault: Path) -> None:
    v = Vault(vault)
    entry = v.create("2026-03-02.md", "as read\n")
    (vault / entry.rel).write_text("changed in another editor\n", encoding="utf-8")
    result = v.save(entry.rel, "my edit\n", entry.digest)
    assert not result.saved and result.conflict
    assert (vault / entry.rel).read_text(encoding="utf-8") == "changed in another editor\n"
    assert result.conflict_rel is not None
    assert result.conflict_rel.startswith("2026-03-02.conflict-") and result.conflict_rel.endswith(".md")
    assert (vault / result.conflict_rel).read_text(encoding="utf-8") == "my edit\n"
    # a second conflict in the same second gets its own file
    again = v.save(entry.rel, "my second edit\n", entry.digest)
    assert again.conflict_rel not in (None, result.conflict_rel)
    assert (vault / result.conflict_rel).read_text(encoding="utf-8") == "my edit\n"


def test_save_of_a_file_deleted_meanwhile_keeps_the_text(vault: Path) -> None:
    v = Vault(vault)
    entry = v.create("2026-03-02.md", "as read\n")
    (vault / entry.rel).unlink()
    result = v.save(entry.rel, "my edit\n", entry.digest)
    assert result.conflict
    assert not (vault / entry.rel).exists()
    assert (vault / str(result.conflict_rel)).read_text(encoding="utf-8") == "my edit\n"


def test_save_unchanged_text_does_not_touch_the_file(vault: Path) -> None:
    v = Vault(vault)
    entry = v.create("2026-03-02.md", "same\n")
    os.utime(entry.path, (1_000_000, 1_000_000))
    result = v.save(entry.rel, "same\n", entry.digest)
    assert not result.saved and not result.conflict
    assert entry.path.stat().st_mtime == 1_000_000


def test_journal_save_entry_conflict_indexes_both(vault: Path, open_journal: Callable[..., Journal]) -> None:
    journal = open_journal(vault)
    entry = journal.new_entry("The kettle whistled at dawn.", DAY)
    (vault / entry.rel).write_text("The kettle broke at noon.\n", encoding="utf-8")
    result = journal.save_entry(entry.rel, "The kettle sang a sad song.\n", entry.digest)
    assert result.conflict
    rels = {h.entry.rel for h in journal.search("kettle", limit=10)}
    assert rels == {entry.rel, result.conflict_rel}
    assert journal.search("noon")[0].entry.rel == entry.rel
    assert journal.search("sad song")[0].entry.rel == result.conflict_rel


def test_append_adds_a_paragraph_to_that_day(vault: Path, open_journal: Callable[..., Journal]) -> None:
    journal = open_journal(vault)
    (vault / "2026-03-02.md").write_text(
        "---\ntitle: Monday\n# a comment the user keeps\n---\n\nMorning: porridge.\n", encoding="utf-8"
    )
    journal.reindex()
    entry = journal.append("Evening: climbed at the Depot with Dev.", DAY)
    assert entry.rel == "2026-03-02.md"
    text = (vault / "2026-03-02.md").read_text(encoding="utf-8")
    assert text == (
        "---\ntitle: Monday\n# a comment the user keeps\n---\n\nMorning: porridge.\n\n"
        "Evening: climbed at the Depot with Dev.\n"
    )
    hits = journal.search("climbed depot")
    assert hits and hits[0].entry.rel == "2026-03-02.md" and "Dev" in hits[0].passage
    # a day with no entry yet gets a new file
    other = journal.append("Rain all day.", dt.date(2026, 3, 3))
    assert other.rel == "2026-03-03.md"
    assert (vault / "2026-03-03.md").read_text(encoding="utf-8") == "Rain all day.\n"
    assert [e.rel for e in journal.entries()] == ["2026-03-02.md", "2026-03-03.md"]


def test_new_entry_without_text_is_an_entry_too(vault: Path, open_journal: Callable[..., Journal]) -> None:
    journal = open_journal(vault)
    entry = journal.new_entry("", DAY)
    assert entry.rel == "2026-03-02.md"
    assert entry.date == DAY
    assert entry.passages == ()
    assert journal.warnings == []
    with_title = journal.new_entry(
        "", DAY, title="A title: with a colon", tags=["#work", "home"], separate=True
    )
    assert with_title.rel == "2026-03-02-2.md"
    assert with_title.title == "A title: with a colon"
    assert with_title.tags == ("work", "home")


def test_render_new_entry() -> None:
    assert render_new_entry("hello") == "hello\n"
    text = render_new_entry("body\n\n", title="It's: a 'title'", tags=["#a", "b/c", "x]", "#"])
    assert text.startswith("---\ntitle: ")
    assert text.endswith("---\nbody\n")
    assert "tags: [a, b/c, " in text
    entry = parse_entry("x.md", text.encode(), path=Path("/v/x.md"), mtime=0)
    assert entry.meta_error is None
    assert entry.title == "It's: a 'title'"
    assert entry.meta["tags"] == ["a", "b/c", "x]"]


# -- races, leftovers, modes (issues 9, 15) ---------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("swap", ["exchange", "link-then-replace"])
def test_no_external_append_is_lost_under_racing_saves(
    vault: Path, swap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An appender thread (``>>``-style: open, write, close) races many saves: every line it
    appended ends up in the file or in a conflict copy, none is silently overwritten."""
    import random
    import threading

    import journal_me.vault as vault_module

    if swap != "exchange":  # file systems without renameat2(RENAME_EXCHANGE)
        monkeypatch.setitem(vault_module._renameat2_state, "works", False)

    rel = "2026-03-02.md"
    path = vault / rel
    path.write_text("start\n", encoding="utf-8")
    v = Vault(vault)
    done = threading.Event()
    counts = {"saves": 0, "appends": 0}

    def appender() -> None:
        # at least 600 appends, and on for at least 60 saves however slow the machine is
        rng = random.Random(7)
        while counts["appends"] < 600 or counts["saves"] < 60:
            with path.open("a", encoding="utf-8") as fh:
                fh.write(f"appended {counts['appends']}\n")
            counts["appends"] += 1
            time.sleep(rng.uniform(0, 0.0015))
        done.set()

    thread = threading.Thread(target=appender)
    thread.start()
    kept_displaced = 0
    try:
        while not done.is_set():
            data = path.read_bytes()
            result = v.save(rel, data.decode("utf-8") + f"saved {counts['saves']}\n", sha256_bytes(data))
            counts["saves"] += 1
            if result.saved and result.conflict_rel:
                kept_displaced += 1
    finally:
        thread.join()
    saves, appends = counts["saves"], counts["appends"]
    texts = [p.read_text(encoding="utf-8") for p in vault.glob("*.md")]
    everything = "".join(texts)
    lost = [i for i in range(appends) if f"appended {i}\n" not in everything]
    assert saves > 50
    assert lost == [], f"{len(lost)} appended lines lost over {saves} saves"
    assert _leftovers(vault) == []
    conflicts = [p.name for p in vault.glob("*.conflict-*.md")]
    assert all(p.startswith("2026-03-02.conflict-") for p in conflicts)
    assert kept_displaced <= len(conflicts)
    print(f"{swap}: {saves} saves, {appends} appends, {kept_displaced} displaced versions kept, 0 lost")


def test_clean_leftovers_removes_only_old_temp_files_of_ours(vault: Path) -> None:
    old = time.time() - 3600
    (vault / "sub").mkdir()
    leftovers = [vault / ".2026-03-02.md.k3j_x9a2.tmp", vault / "sub" / ".note.md.abcd1234.tmp"]
    for p in leftovers:
        p.write_bytes(b"")
        os.utime(p, (old, old))
    young = vault / ".2026-03-03.md.zzzz9999.tmp"
    young.write_bytes(b"")
    keep = [
        vault / "notes.tmp",
        vault / "2026-03-02.md",
        vault / ".obsidian" / ".workspace.json.abcd1234.tmp",
    ]
    keep[2].parent.mkdir()
    for p in keep:
        p.write_text("mine\n", encoding="utf-8")
        os.utime(p, (old, old))
    removed = Vault(vault).clean_leftovers(min_age_s=600)
    assert removed == [".2026-03-02.md.k3j_x9a2.tmp", "sub/.note.md.abcd1234.tmp"]
    assert not any(p.exists() for p in leftovers)
    assert young.exists() and all(p.exists() for p in keep)


def test_new_vault_files_follow_the_vault_files_mode(vault: Path) -> None:
    for name in ("2026-03-01.md", "2026-02-28.md"):
        (vault / name).write_text("x\n", encoding="utf-8")
        (vault / name).chmod(0o644)
    old_umask = os.umask(0o077)
    try:
        v = Vault(vault)
        created = v.create("2026-03-02.md", "new\n")
        assert stat.S_IMODE(created.path.stat().st_mode) == 0o644
        result = v.save("2026-03-01.md", "mine\n", sha256_bytes(b"not what is there"))
        assert result.conflict_rel is not None
        assert stat.S_IMODE((vault / result.conflict_rel).stat().st_mode) == 0o644
        (vault / "journal").mkdir()
        nested = v.create("journal/2026-03-03.md", "new\n")  # no .md beside it: the root's mode
        assert stat.S_IMODE(nested.path.stat().st_mode) == 0o644
    finally:
        os.umask(old_umask)


def test_new_file_in_an_empty_vault_follows_the_user_umask(vault: Path) -> None:
    from journal_me.datadir import user_umask

    created = Vault(vault).create("2026-03-02.md", "new\n")
    assert stat.S_IMODE(created.path.stat().st_mode) == 0o666 & ~user_umask()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("swap", ["exchange", "link-then-replace"])
@pytest.mark.parametrize("writer", ["write-in-the-gap", "held-open-across-the-swap"])
def test_a_write_at_the_instant_of_the_swap_is_kept_as_a_conflict_copy(
    vault: Path, swap: str, writer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import journal_me.vault as vault_module

    if swap != "exchange":
        monkeypatch.setitem(vault_module._renameat2_state, "works", False)
    path = vault / "2026-03-02.md"
    path.write_text("start\n", encoding="utf-8")
    digest = sha256_bytes(path.read_bytes())
    real_swap = vault_module._swap_in
    threads: list[threading.Thread] = []

    def racing_swap(tmp: Path, target: Path) -> Path | None:
        if writer == "write-in-the-gap":  # after the last check, before the swap
            with target.open("a", encoding="utf-8") as fh:
                fh.write("theirs\n")
        else:  # opened before the swap, written and closed after it
            fh = target.open("a", encoding="utf-8")

            def late() -> None:
                time.sleep(0.2)
                fh.write("theirs\n")
                fh.close()

            threads.append(threading.Thread(target=late))
            threads[-1].start()
        return real_swap(tmp, target)

    monkeypatch.setattr(vault_module, "_swap_in", racing_swap)
    result = Vault(vault).save("2026-03-02.md", "start\nmine\n", digest)
    for t in threads:
        t.join()
    assert result.saved and result.conflict_rel is not None
    assert path.read_text(encoding="utf-8") == "start\nmine\n"
    assert (vault / result.conflict_rel).read_text(encoding="utf-8") == "start\ntheirs\n"
    assert _leftovers(vault) == []
