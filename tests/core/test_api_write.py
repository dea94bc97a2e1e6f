"""Journal's write path: read_text/save_entry (with the privacy and front matter guard),
recovery copies, daily notes, append under a sync client, conflicts, mangled derived state."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_me import api
from journal_me.api import Journal
from journal_me.memory.index import PassageIndex
from journal_me.vault import EntryReadError, VaultError

DAY = dt.date(2026, 3, 2)
PRIVATE = "---\nprivate: true\ntitle: Secret\n---\nI told nobody about the letter.\n"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- read_text / save_entry ------------------------------------------------------------------
def test_read_text_gives_text_and_digest_of_the_bytes(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "a.md", "# A\r\n\r\nline\r\n")
    write(vault, "bad.md", b"caf\xe9\n")
    journal = open_journal(vault)
    text, digest = journal.read_text("a.md")
    assert text == "# A\r\n\r\nline\r\n"
    assert digest == hashlib.sha256((vault / "a.md").read_bytes()).hexdigest()
    with pytest.raises(FileNotFoundError):
        journal.read_text("missing.md")
    with pytest.raises(EntryReadError, match="UTF-8"):
        journal.read_text("bad.md")


def test_save_that_makes_a_private_entry_public_asks_first(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "2026-03-02.md", PRIVATE)
    journal = open_journal(vault)
    journal.reindex()
    text, digest = journal.read_text("2026-03-02.md")
    public = text.replace("private: true\n", "")
    result = journal.save_entry("2026-03-02.md", public, digest)
    assert not result.saved and result.conflict_rel is None
    assert result.needs_confirmation is not None and "public" in result.needs_confirmation
    assert (vault / "2026-03-02.md").read_text(encoding="utf-8") == PRIVATE  # nothing written
    # a private tag removed is the same change
    tagged = "---\ntags: [private, letters]\n---\nThe letter again.\n"
    write(vault, "2026-03-03.md", tagged)
    journal.reindex()
    held = journal.save_entry("2026-03-03.md", tagged.replace("private, ", ""), _sha(tagged))
    assert held.needs_confirmation is not None and not held.saved
    # and an inline #private tag taken out of the body, in a large file
    inline = "A day.\n\n" + "Ran by the river.\n\n" * 2000 + "Only for me. #private\n"
    write(vault, "2026-03-04.md", inline)
    journal.reindex()
    untagged = inline.replace(" #private", "")
    held = journal.save_entry("2026-03-04.md", untagged, _sha(inline))
    assert held.needs_confirmation is not None and not held.saved
    assert journal.save_entry("2026-03-04.md", inline + "More.\n", _sha(inline)).saved
    # confirmed: saved, and not fenced as an unconfirmed change
    done = journal.save_entry("2026-03-02.md", public, digest, confirm=True)
    assert done.saved and done.needs_confirmation is None
    assert (vault / "2026-03-02.md").read_text(encoding="utf-8") == public
    assert journal.privacy_changes() == []
    hits = journal.search("letter nobody", include_private=False)
    assert [h.entry.rel for h in hits] == ["2026-03-02.md"]


def test_save_that_breaks_front_matter_asks_first(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    good = "---\ntitle: Walk\ntags: [outside]\n---\nA long walk.\n"
    write(vault, "2026-03-02.md", good)
    journal = open_journal(vault)
    journal.reindex()
    broken = "---\ntitle: Walk\ntags: [outside\n---\nA long walk.\n"
    result = journal.save_entry("2026-03-02.md", broken, _sha(good))
    assert not result.saved
    assert result.needs_confirmation is not None
    assert result.needs_confirmation.startswith("front matter would stop parsing")
    assert (vault / "2026-03-02.md").read_text(encoding="utf-8") == good
    assert journal.save_entry("2026-03-02.md", broken, _sha(good), confirm=True).saved
    # still broken: nothing new to ask
    again = journal.save_entry("2026-03-02.md", broken + "More.\n", _sha(broken))
    assert again.saved and again.needs_confirmation is None
    # fixed: if its privacy could not be read (private until fixed), going public asks too
    fixed = journal.save_entry("2026-03-02.md", good, _sha(broken + "More.\n"))
    if journal.entry("2026-03-02.md").privacy_unreadable:
        assert fixed.needs_confirmation is not None and "could not be read" in fixed.needs_confirmation
        fixed = journal.save_entry("2026-03-02.md", good, _sha(broken + "More.\n"), confirm=True)
    assert fixed.saved
    # ordinary edits are not held back
    ok = journal.save_entry("2026-03-02.md", good + "More.\n", _sha(good))
    assert ok.saved and ok.needs_confirmation is None


def test_recovery_copy_is_private_and_in_the_data_dir(
    vault: Path, open_journal: Callable[..., Journal]
) -> None:
    journal = open_journal(vault)
    first = journal.write_recovery_copy("journal/2026/2026-03-02.md", "unsaved words\n")
    second = journal.write_recovery_copy("journal/2026/2026-03-02.md", "more unsaved words\n")
    assert first != second
    for path, text in ((first, "unsaved words\n"), (second, "more unsaved words\n")):
        assert path.parent == journal.data_dir / "recovery"
        assert path.read_text(encoding="utf-8") == text
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(vault.rglob("*.md"))


# -- daily notes -----------------------------------------------------------------------------
def test_new_add_and_create_reuse_the_days_note_wherever_it_is(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "old/notes/2026-03-02.md", "Morning: porridge.\n")
    journal = open_journal(vault)
    journal.reindex()
    assert journal.day_entry(DAY) == "old/notes/2026-03-02.md"
    assert journal.day_entry(dt.date(2026, 3, 3)) is None
    assert journal.create_entry(DAY).rel == "old/notes/2026-03-02.md"
    assert journal.new_entry("", DAY).rel == "old/notes/2026-03-02.md"
    added = journal.append("Evening: rain.", DAY)
    assert added.rel == "old/notes/2026-03-02.md"
    assert journal.create_entry(DAY, "Night: stars.").rel == "old/notes/2026-03-02.md"
    assert sorted(p.relative_to(vault).as_posix() for p in vault.rglob("*.md")) == ["old/notes/2026-03-02.md"]
    text = (vault / "old/notes/2026-03-02.md").read_text(encoding="utf-8")
    assert text == "Morning: porridge.\n\nEvening: rain.\n\nNight: stars.\n"
    # a new day: created at the daily path; an explicitly separate entry gets a suffix
    created = journal.create_entry(dt.date(2026, 3, 3))
    assert created.rel == "2026-03-03.md" and created.date == dt.date(2026, 3, 3)
    assert journal.new_entry("", dt.date(2026, 3, 3), separate=True).rel == "2026-03-03-2.md"
    assert journal.day_entry(dt.date(2026, 3, 3)) == "2026-03-03.md"


# -- append ----------------------------------------------------------------------------------
def test_append_waits_for_a_note_a_sync_client_recreates(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    path = write(vault, "2026-03-02.md", "Morning: porridge.\n")
    journal = open_journal(vault)
    journal.reindex()
    path.unlink()  # the sync client deletes it …

    def recreate() -> None:
        time.sleep(0.3)
        path.write_text("Morning: porridge.\nSynced line.\n", encoding="utf-8")  # … and writes it back

    t = threading.Thread(target=recreate)
    t.start()
    entry = journal.append("Evening: rain.", DAY)
    t.join()
    assert entry.rel == "2026-03-02.md"
    assert sorted(p.name for p in vault.glob("*.md")) == ["2026-03-02.md"]
    assert path.read_text(encoding="utf-8") == "Morning: porridge.\nSynced line.\n\nEvening: rain.\n"


def test_append_to_a_file_that_keeps_changing_is_a_clear_error(
    vault: Path,
    write: Callable[..., Path],
    open_journal: Callable[..., Journal],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write(vault, "2026-03-02.md", "Morning.\n")
    journal = open_journal(vault)
    journal.reindex()
    real = journal.read_text
    n = [0]

    def read_then_change(rel: str) -> tuple[str, str]:
        out = real(rel)
        n[0] += 1
        path.write_text(f"Morning, version {n[0]}.\n", encoding="utf-8")  # another writer
        return out

    monkeypatch.setattr(journal, "read_text", read_then_change)
    with pytest.raises(VaultError, match="kept changing on disk; nothing was appended"):
        journal.append("Evening.", DAY)
    assert "Evening" not in path.read_text(encoding="utf-8")
    assert sorted(p.name for p in vault.glob("*.md")) == ["2026-03-02.md"]  # no conflict copy left


def test_append_when_the_index_is_locked_is_written_with_a_warning(
    vault: Path,
    write: Callable[..., Path],
    open_journal: Callable[..., Journal],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write(vault, "2026-03-02.md", "Morning.\n")
    journal = open_journal(vault)
    journal.reindex()
    monkeypatch.setattr(api, "APPEND_INDEX_WAIT_S", 0.3)
    other = PassageIndex(journal.settings.index_dir)  # another process's index …
    writer = other._ix.writer()  # … holding the write lock
    try:
        start = time.monotonic()
        entry = journal.append("Evening.", DAY)
        assert time.monotonic() - start < 5  # not the index's 30 s lock timeout
        assert (vault / "2026-03-02.md").read_text(encoding="utf-8") == "Morning.\n\nEvening.\n"
        assert journal.last_index_error is not None and "locked" in journal.last_index_error
        assert getattr(entry, "index_warning", None) == journal.last_index_error
        new_day = journal.append("Another day.", dt.date(2026, 3, 3))
        assert new_day.rel == "2026-03-03.md" and journal.last_index_error is not None
    finally:
        writer.cancel()
        other.close()
    assert journal._index.lock_timeout == 30.0
    journal.reindex()
    assert {h.entry.rel for h in journal.search("evening")} == {"2026-03-02.md"}
    assert journal.append("Night.", DAY).rel == "2026-03-02.md"
    assert journal.last_index_error is None


# -- conflicts -------------------------------------------------------------------------------
def _make_conflict(vault: Path, journal: Journal) -> tuple[str, str]:
    entry = journal.new_entry("The kettle whistled at dawn.", DAY)
    (vault / entry.rel).write_text("The kettle broke at noon.\n", encoding="utf-8")
    result = journal.save_entry(entry.rel, "The kettle sang a sad song.\n", entry.digest)
    assert result.conflict_rel is not None
    return entry.rel, result.conflict_rel


def test_conflicts_are_listed_fenced_and_resolved(vault: Path, open_journal: Callable[..., Journal]) -> None:
    journal = open_journal(vault)
    original, copy = _make_conflict(vault, journal)
    [info] = journal.conflicts()
    assert (info.rel, info.original_rel) == (copy, original)
    assert info.created is not None and info.created.date() == dt.date.today()
    summary = {s.rel: s for s in journal.entries()}[copy]
    assert summary.conflict_of == original
    # a conflict copy never leaves for the bridge or training
    assert copy not in {h.entry.rel for h in journal.search("kettle", include_private=False)}

    journal.resolve_conflict(copy, "mine")
    assert (vault / original).read_text(encoding="utf-8") == "The kettle sang a sad song.\n"
    assert not (vault / copy).exists()
    assert journal.conflicts() == []
    assert {h.entry.rel for h in journal.search("kettle", include_private=False)} == {original}


def test_resolve_conflict_keeping_theirs_drops_the_copy(
    vault: Path, open_journal: Callable[..., Journal]
) -> None:
    journal = open_journal(vault)
    original, copy = _make_conflict(vault, journal)
    journal.resolve_conflict(copy, "theirs")
    assert (vault / original).read_text(encoding="utf-8") == "The kettle broke at noon.\n"
    assert not (vault / copy).exists()
    assert [s.rel for s in journal.entries()] == [original]
    with pytest.raises(VaultError):
        journal.resolve_conflict(original, "theirs")


# -- derived state of the wrong shape --------------------------------------------------------
@pytest.mark.parametrize("graph", ["null", "[]", '{"format": 99}', "[1, 2", '"text"'])
@pytest.mark.parametrize("warnings", ["null", '{"a": 1}', '[1, {"rel": 2}]', "{"])
def test_mangled_graph_and_warnings_files_are_rebuilt(
    graph: str,
    warnings: str,
    vault: Path,
    write: Callable[..., Path],
    open_journal: Callable[..., Journal],
) -> None:
    write(vault, "2026-03-02.md", "Climbed with [[Sam]] at the Depot.\n")
    first = open_journal(vault)
    first.reindex()
    first.close()
    data = first.data_dir
    (data / "graph.json").write_text(graph, encoding="utf-8")
    (data / "warnings.json").write_text(warnings, encoding="utf-8")
    journal = open_journal(vault)
    assert journal.warnings == []
    journal.reindex()
    assert [h.entry.rel for h in journal.search("climbed")] == ["2026-03-02.md"]
    assert any(e.name == "Sam" for e in journal.entities())
    assert not (data / "graph.json").exists()  # old derived state: replaced by the store
    assert json.loads((data / "warnings.json").read_text(encoding="utf-8")) == []


def test_append_creates_a_day_note_with_the_vaults_file_mode(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    old = os.umask(0o022)
    try:
        os.chmod(write(vault, "2026-03-01.md", "Yesterday.\n"), 0o640)
        journal = open_journal(vault)  # sets the process umask to 077 for the data dir
        journal.reindex()
        created = journal.append("A new day.", DAY)
        assert created.rel == "2026-03-02.md"
        assert stat.S_IMODE((vault / created.rel).stat().st_mode) == 0o640
        (vault / "sub").mkdir()
        fresh = journal.append("Elsewhere.", dt.date(2026, 3, 4), folder="sub")
        assert stat.S_IMODE((vault / fresh.rel).stat().st_mode) == 0o640  # the vault's files' mode
    finally:
        os.umask(old)


def test_a_refresh_removes_old_vault_leftovers_and_open_reports_an_incomplete_index(
    vault: Path,
    write: Callable[..., Path],
    open_journal: Callable[..., Journal],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from journal_me.vault import Vault

    write(vault, "2026-03-02.md", "Monday.\n")
    hour_ago = time.time() - 3600
    old = write(vault, "sub/.note.md.abcd1234.tmp", "half a save", mtime=hour_ago)
    young = write(vault, ".2026-03-02.md.k3j_x9a2.tmp", "a save under way")  # a live write's
    kept = write(vault, ".notes.tmp", "not a temp name of ours", mtime=hour_ago)
    hidden = write(vault, ".obsidian/.workspace.json.abcd1234.tmp", "not entered", mtime=hour_ago)
    journal = open_journal(vault)
    assert old.exists()  # opening walks nothing
    journal.reindex()
    assert not old.exists()
    assert young.exists() and kept.exists() and hidden.exists()
    # a refresh the clean-up fails in still refreshes
    write(vault, ".2026-03-02.md.zzzz9999.tmp", "again", mtime=hour_ago)

    def fail(self: Vault, paths: object, min_age_s: float = 600) -> list[str]:
        raise PermissionError("a read-only folder")

    monkeypatch.setattr(Vault, "remove_leftovers", fail)
    write(vault, "2026-03-03.md", "Tuesday.\n")
    assert journal.reindex().added == 1
    monkeypatch.setattr(PassageIndex, "incomplete", property(lambda _self: True), raising=False)
    assert journal.index_incomplete is True
    monkeypatch.setattr(PassageIndex, "incomplete", property(lambda _self: False), raising=False)
    assert journal.index_incomplete is False


def test_daily_notes_settings_decide_where_a_new_day_goes(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, ".obsidian/daily-notes.json", json.dumps({"folder": "Daily", "format": "DD-MM-YYYY"}))
    write(vault, "Daily/01-03-2026.md", "Sunday.\n")
    journal = open_journal(vault)
    journal.reindex()
    assert journal.day_entry(dt.date(2026, 3, 1)) == "Daily/01-03-2026.md"
    assert journal.append("Evening.", dt.date(2026, 3, 1)).rel == "Daily/01-03-2026.md"
    assert journal.create_entry(DAY).rel == "Daily/02-03-2026.md"
    assert journal.append("Later.", DAY).rel == "Daily/02-03-2026.md"
    assert journal.new_entry("", DAY).rel == "Daily/02-03-2026.md"
    assert sorted(p.name for p in (vault / "Daily").glob("*.md")) == ["01-03-2026.md", "02-03-2026.md"]
    # a note for the day elsewhere (made before daily notes were set up) is reused
    write(vault, "old/2026-03-05.md", "Thursday.\n")
    journal.reindex()
    assert journal.create_entry(dt.date(2026, 3, 5)).rel == "old/2026-03-05.md"


def test_entry_summaries_carry_undated_and_conflict_of(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "people/Sam.md", "---\ntype: person\n---\nSam climbs.\n")
    write(vault, "ideas.md", "Zine idea: canals at night.\n")
    write(vault, "2026-03-02.md", "Dated by name.\n")
    write(vault, "2026-03-02.conflict-20260302-101500.md", "The other version.\n")
    journal = open_journal(vault)
    journal.reindex()
    by_rel = {s.rel: s for s in journal.entries()}
    assert by_rel["ideas.md"].undated and not by_rel["2026-03-02.md"].undated
    assert by_rel["2026-03-02.conflict-20260302-101500.md"].conflict_of == "2026-03-02.md"
    assert by_rel["2026-03-02.md"].conflict_of is None
    assert journal.index_incomplete is False
    journal.reindex(rebuild=True)
    assert journal.index_incomplete is False
    [c] = journal.conflicts()
    assert c.created == dt.datetime(2026, 3, 2, 10, 15)
    # a rebuild killed before its first commit leaves the marker: the journal says so
    from journal_me.memory.index import REBUILD_MARKER

    (journal.settings.index_dir / REBUILD_MARKER).write_text("killed\n")
    assert journal.index_incomplete is True


def test_unreadable_daily_notes_settings_fall_back_to_the_default_layout(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, ".obsidian/daily-notes.json", "{not json")
    journal = open_journal(vault)
    assert journal.create_entry(DAY, "Rain.").rel == "2026-03-02.md"
    assert journal.day_entry(DAY) == "2026-03-02.md"


def test_append_indexes_a_version_the_save_displaced(
    vault: Path,
    write: Callable[..., Path],
    open_journal: Callable[..., Journal],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Vault.save keeps a write that landed in the instant of the swap as a conflict copy
    (saved and conflict_rel both set): append indexes it, so it is listed to resolve."""
    from dataclasses import replace

    from journal_me.vault import SaveResult

    write(vault, "2026-03-02.md", "Morning.\n")
    journal = open_journal(vault)
    journal.reindex()
    real = journal._vault.save

    def save(rel: str, text: str, expected: str | None) -> SaveResult:
        result = real(rel, text, expected)
        copy = "2026-03-02.conflict-20260302-090000.md"
        write(vault, copy, "Morning.\nA line another program appended.\n")
        return replace(result, conflict_rel=copy)

    monkeypatch.setattr(journal._vault, "save", save)
    journal.append("Evening.", DAY)
    assert [c.rel for c in journal.conflicts()] == ["2026-03-02.conflict-20260302-090000.md"]
