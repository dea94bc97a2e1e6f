"""Sticky privacy: an entry known as private stays fenced until the user confirms it is
public; front matter that stopped parsing is remembered for doctor."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from journal_me.api import Journal

PRIVATE = "---\nprivate: true\n---\nThe letter from Ana: I told nobody.\n"
PUBLIC = "---\ntitle: Letter\n---\nThe letter from Ana: I told nobody.\n"


def _public_rels(journal: Journal, query: str) -> set[str]:
    return {h.entry.rel for h in journal.search(query, include_private=False)}


def test_private_entry_made_public_outside_stays_fenced_until_confirmed(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "2026-03-02.md", PRIVATE)
    write(vault, "2026-03-03.md", "Another letter, to the bank.\n")
    journal = open_journal(vault)
    journal.reindex()
    assert _public_rels(journal, "letter") == {"2026-03-03.md"}
    write(vault, "2026-03-02.md", PUBLIC)  # a sync client / other editor drops `private:`
    report = journal.reindex()
    assert report.updated == 1
    assert _public_rels(journal, "letter") == {"2026-03-03.md"}
    assert "2026-03-02.md" in {h.entry.rel for h in journal.search("letter")}  # still found by me
    [change] = journal.privacy_changes()
    assert (change.rel, change.was, change.now) == ("2026-03-02.md", "private", "public")
    assert isinstance(change.since, dt.datetime)
    assert {s.rel: s.private for s in journal.entries()}["2026-03-02.md"] is True

    # survives a new process, a rebuild and further edits that keep it public
    journal.close()
    again = open_journal(vault)
    write(vault, "2026-03-02.md", PUBLIC + "\nA second paragraph about the letter.\n")
    again.update_paths(["2026-03-02.md"])
    again.reindex(rebuild=True)
    assert _public_rels(again, "letter") == {"2026-03-03.md"}
    assert [c.rel for c in again.privacy_changes()] == ["2026-03-02.md"]

    again.confirm_privacy("2026-03-02.md")
    assert again.privacy_changes() == []
    assert _public_rels(again, "letter") == {"2026-03-02.md", "2026-03-03.md"}
    again.reindex()
    assert _public_rels(again, "letter") == {"2026-03-02.md", "2026-03-03.md"}


def test_change_made_private_again_needs_no_confirmation(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "a.md", PRIVATE)
    journal = open_journal(vault)
    journal.reindex()
    write(vault, "a.md", PUBLIC)
    journal.update_paths(["a.md"])
    assert [c.rel for c in journal.privacy_changes()] == ["a.md"]
    write(vault, "a.md", PRIVATE + "\nmore\n")
    journal.update_paths(["a.md"])
    assert journal.privacy_changes() == []
    assert _public_rels(journal, "letter") == set()


def test_public_entries_are_not_fenced(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "a.md", PUBLIC)
    journal = open_journal(vault)
    journal.reindex()
    write(vault, "a.md", PUBLIC + "\nEdited.\n")
    journal.reindex()
    assert journal.privacy_changes() == []
    assert _public_rels(journal, "letter") == {"a.md"}


def test_private_file_deleted_and_recreated_public_stays_fenced(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    path = write(vault, "a.md", PRIVATE)
    journal = open_journal(vault)
    journal.reindex()
    path.unlink()
    journal.update_paths(["a.md"])  # the watcher saw the delete …
    write(vault, "a.md", PUBLIC)
    journal.update_paths(["a.md"])  # … and the recreate, without `private:`
    assert _public_rels(journal, "letter") == set()
    assert [c.rel for c in journal.privacy_changes()] == ["a.md"]


def test_pending_changes_persist_in_the_data_dir(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    write(vault, "a.md", PRIVATE)
    journal = open_journal(vault)
    journal.reindex()
    write(vault, "a.md", PUBLIC)
    journal.reindex()
    raw = json.loads((journal.data_dir / "privacy.json").read_text(encoding="utf-8"))
    assert list(raw["pending"]) == ["a.md"]
    # a mangled ledger does not stop the journal opening
    (journal.data_dir / "privacy.json").write_text("[1, 2]", encoding="utf-8")
    journal.close()
    assert open_journal(vault).privacy_changes() == []


def test_front_matter_regressions_are_recorded_and_cleared(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    good = "---\ntitle: Walk\ntags: [outside]\n---\nA long walk.\n"
    write(vault, "a.md", good)
    write(vault, "born-broken.md", "---\ntags: [x\n---\nnever parsed\n")
    journal = open_journal(vault)
    journal.reindex()
    assert journal.front_matter_regressions() == []
    write(vault, "a.md", "---\ntitle: Walk\ntags: [outside\n---\nA long walk.\n")
    journal.reindex()
    [reg] = journal.front_matter_regressions()
    assert reg.rel == "a.md" and "YAML" in reg.error
    write(vault, "a.md", good)
    journal.update_paths(["a.md"])
    assert journal.front_matter_regressions() == []


def test_two_processes_share_the_ledger(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    """The TUI and `journal-me watch` each hold a Journal: neither loses the other's record."""
    write(vault, "a.md", PRIVATE)
    write(vault, "b.md", PRIVATE.replace("Ana", "Bo"))
    tui = open_journal(vault)
    tui.reindex()
    watch = open_journal(vault)
    write(vault, "a.md", PUBLIC)
    watch.update_paths(["a.md"])
    assert [c.rel for c in tui.privacy_changes()] == ["a.md"]
    write(vault, "b.md", PUBLIC.replace("Ana", "Bo"))
    tui.update_paths(["b.md"])
    assert [c.rel for c in watch.privacy_changes()] == ["a.md", "b.md"]
    tui.confirm_privacy("a.md")
    assert [c.rel for c in watch.privacy_changes()] == ["b.md"]


def test_entry_reindexed_for_an_alias_change_keeps_its_fence(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    """An entry re-read because a person page changed its aliases goes through the same
    privacy check as one that changed itself."""
    write(vault, "a.md", "---\nprivate: true\n---\nThe letter from [[Sammy]]: I told nobody.\n")
    journal = open_journal(vault)
    journal.reindex()
    write(vault, "a.md", "---\ntitle: x\n---\nThe letter from [[Sammy]]: I told nobody.\n")  # not seen yet
    write(vault, "people/Sam.md", "---\ntype: person\naliases: [Sammy]\n---\nSam, my brother.\n")
    journal.update_paths(["people/Sam.md"])
    assert _public_rels(journal, "letter nobody") == set()
    journal.reindex()
    assert _public_rels(journal, "letter nobody") == set()
    assert [c.rel for c in journal.privacy_changes()] == ["a.md"]


def test_fenced_entry_reaches_neither_bridge_nor_training_until_confirmed(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    from journal_me.modes.bridge import bridge_memories
    from journal_me.roles import load_roles
    from trainer.vault_view import VaultView

    text = "---\nprivate: true\n---\nA long letter from Ana about the new job offer and the move.\n"
    write(vault, "2026-03-02.md", text)
    write(vault, "2026-03-03.md", "Planning the move: boxes, the van, the new job next month.\n")
    journal = open_journal(vault)
    journal.reindex()
    write(vault, "2026-03-02.md", text.replace("private: true\n", "title: Letter\n"))
    journal.reindex()
    role = load_roles(None)["work"]

    def bridge() -> set[str]:
        return {h.entry.rel for h in bridge_memories(journal, "the new job offer and the move", role)}

    def training() -> set[str]:
        return set(VaultView(journal, name=None, profile_text=None, today=dt.date(2026, 4, 1)).entries)

    assert "2026-03-02.md" not in bridge() and "2026-03-02.md" not in training()
    assert "2026-03-03.md" in training()
    journal.confirm_privacy("2026-03-02.md")
    assert "2026-03-02.md" in training() and "2026-03-02.md" in bridge()
