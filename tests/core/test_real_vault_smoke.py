"""Issue 10, things we did not write: notes shaped like a real public vault (obsidian-help).

Found by bench/newcomer_run.py on 2,267 obsidian-help notes (H21). The notes in
tests/data/real_notes/ keep the vault's link patterns: a page linked as ``[[Settings]]`` many
times and once as ``[[Settings#Strict line breaks|Strict line breaks]]``; a display text that
is a phrase (``[[Hotkeys#Set a hotkey|a custom keyboard shortcut]]``); a German page linked as
``[[Über Obsidian|Obsidian]]`` while every note says "Obsidian"; two headings in a row.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

NOTES = Path(__file__).resolve().parents[1] / "data" / "real_notes"


def _journal(tmp_path: Path, open_journal: Callable[..., Any]) -> Any:
    root = tmp_path / "vault"
    shutil.copytree(NOTES, root)
    (root / "README.md").unlink()
    return open_journal(root, reindex=True)


@pytest.fixture
def names(tmp_path: Path, open_journal: Callable[..., Any]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Entity name -> (type, aliases) after a first index of a copy of the notes."""
    journal = _journal(tmp_path, open_journal)
    return {e.name: (e.type, tuple(e.aliases)) for e in journal.entities()}


def test_notes_are_indexed_and_embeds_are_not_entries(
    tmp_path: Path, open_journal: Callable[..., Any]
) -> None:
    root = tmp_path / "vault"
    shutil.copytree(NOTES, root)
    (root / "README.md").unlink()
    (root / "lucide-plus.svg").write_text("<svg/>", encoding="utf-8")
    report = open_journal(root).reindex()
    assert report.added == 9, report


def test_a_linked_page_is_named_after_the_page(names: dict[str, tuple[str, tuple[str, ...]]]) -> None:
    assert "Settings" in names, sorted(names)
    assert "Hotkeys" in names, sorted(names)
    assert "Strict line breaks" not in names
    assert "a custom keyboard shortcut" not in names


def test_display_text_of_a_heading_link_is_not_an_alias(
    names: dict[str, tuple[str, tuple[str, ...]]],
) -> None:
    aliases = {a for _type, al in names.values() for a in al}
    assert not aliases & {"do not recommend", "maximum storage size", "excluded files"}, aliases


def test_a_display_word_does_not_claim_plain_mentions(
    tmp_path: Path, open_journal: Callable[..., Any]
) -> None:
    journal = _journal(tmp_path, open_journal)
    assert "Über Obsidian" not in journal.entities_in("Interface/Hotkeys.md")


def test_consecutive_headings_do_not_join_into_a_name(
    tmp_path: Path, open_journal: Callable[..., Any]
) -> None:
    journal = _journal(tmp_path, open_journal)
    assert not [n for n in journal.entities_in("Settings.md") if n.startswith("Editor ")]


def test_a_particle_after_a_mention_is_not_part_of_the_name(
    tmp_path: Path, open_journal: Callable[..., Any]
) -> None:
    journal = _journal(tmp_path, open_journal)
    found = journal.entities_in("ko/크레딧.md")
    assert {"jdoe", "kimsoo"} <= set(found), found


def test_a_version_number_finds_its_release_note_first(
    tmp_path: Path, open_journal: Callable[..., Any]
) -> None:
    journal = _journal(tmp_path, open_journal)
    assert journal.search("release notes 1.7.7")[0].rel == "Release notes/v1.7.7.md"


def test_an_entity_word_does_not_bury_the_rare_term(tmp_path: Path, open_journal: Callable[..., Any]) -> None:
    journal = _journal(tmp_path, open_journal)
    assert "Release notes/v1.7.7.md" in [h.rel for h in journal.search("Obsidian 1.7.7")[:2]]
