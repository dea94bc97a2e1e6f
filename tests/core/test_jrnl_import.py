"""jrnl import on real exports made by the jrnl package (see tests/data/jrnl/README.md).

export1.json: seven entries (two starred, one-liners, @mentions, #tags, two on one day).
export2.json: the same journal after two ``jrnl --edit`` runs: the 2025-03-09 body changed
and gained an @mention; the 2025-03-12 one-liner's title changed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_me.api import Journal
from journal_me.importers import clean_title, import_jrnl

DATA = Path(__file__).parent.parent / "data" / "jrnl"
EXPORT1 = DATA / "export1.json"
EXPORT2 = DATA / "export2.json"


def _files(vault: Path) -> dict[str, str]:
    return {
        p.relative_to(vault).as_posix(): p.read_text(encoding="utf-8") for p in sorted(vault.rglob("*.md"))
    }


def _by_id(journal: Journal) -> dict[str, str]:
    """jrnl_id → rel over the vault; fails on a duplicate id."""
    out: dict[str, str] = {}
    for rel, _path in journal._vault.scan():
        jid = journal._vault.read(rel).meta.get("jrnl_id")
        if jid is not None:
            assert str(jid) not in out, f"duplicate import of {jid}: {out[str(jid)]} and {rel}"
            out[str(jid)] = rel
    return out


def test_reimport_after_edit_in_jrnl_updates_in_place(
    vault: Path, open_journal: Callable[..., Journal]
) -> None:
    journal = open_journal(vault)
    first = import_jrnl(journal, EXPORT1)
    assert (first.created, first.updated, first.skipped) == (7, 0, 0)
    ids = _by_id(journal)
    assert len(ids) == 7 and "2025-03-09 16:20" in ids and "2025-03-12 23:10" in ids
    before = _files(vault)

    second = import_jrnl(journal, EXPORT2)
    assert (second.created, second.updated, second.skipped, second.conflicts) == (0, 2, 5, ())
    assert _by_id(journal) == ids  # the same files, no duplicate
    after = _files(vault)
    assert set(after) == set(before)
    walk = after[ids["2025-03-09 16:20"]]
    assert "shared a thermos of tea" in walk and "flask" not in walk
    assert "@Sam rang at ten." in walk
    assert journal._vault.read(ids["2025-03-09 16:20"]).people == ("Priya", "Sam")
    night = journal._vault.read(ids["2025-03-12 23:10"])
    assert night.title == "Couldn't sleep. Read until two, then the rain helped."
    changed = {rel for rel in after if after[rel] != before[rel]}
    assert changed == {ids["2025-03-09 16:20"], ids["2025-03-12 23:10"]}

    # a third run changes nothing
    third = import_jrnl(journal, EXPORT2)
    assert (third.created, third.updated, third.skipped) == (0, 0, 7)
    assert _files(vault) == after

    # the edited text is what search finds now
    hits = journal.search("thermos")
    assert [h.rel for h in hits][:1] == [ids["2025-03-09 16:20"]]
    assert not journal.search("flask")


def test_mentions_are_people_and_titles_lose_tags(vault: Path, open_journal: Callable[..., Journal]) -> None:
    journal = open_journal(vault)
    import_jrnl(journal, EXPORT1)
    ids = _by_id(journal)
    coffee = journal._vault.read(ids["2025-03-01 09:15"])
    assert coffee.title == "Coffee with Sam at the canal."
    assert coffee.people == ("Sam",)
    assert coffee.tags == ("friends",)
    assert not any(t.startswith("@") or t == "sam" for t in coffee.tags)
    told = journal._vault.read(ids["2025-03-04 18:30"])
    assert told.title == "Told Priya and Sam about the offer."
    assert set(told.people) == {"Priya", "Sam"} and set(told.tags) == {"work", "news"}
    walk = journal._vault.read(ids["2025-03-09 16:20"])
    assert walk.title == "Long Sunday walk up Arthur's Seat with Priya."
    assert walk.tags == ("walking",) and walk.people == ("Priya",)
    # persons in the graph, not tags
    names = {e.name.lower(): e.type for e in journal.entities()}
    assert names.get("sam") == "person" and names.get("priya") == "person"
    assert "#sam" not in names and "#priya" not in names


def test_starred_and_one_liners_are_findable(vault: Path, open_journal: Callable[..., Journal]) -> None:
    journal = open_journal(vault)
    import_jrnl(journal, EXPORT1)
    ids = _by_id(journal)
    offer = journal._vault.read(ids["2025-03-04 07:05"])
    assert offer.meta.get("starred") is True and offer.body.strip() == ""
    # both starred imports are one-liners: their words are only in the title
    assert [h.rel for h in journal.search("Edinburgh Library offer")][:1] == [ids["2025-03-04 07:05"]]
    assert [h.rel for h in journal.search("birthday lunch Broughton")][:1] == [ids["2025-03-11 12:00"]]


def test_vault_edit_is_never_overwritten(vault: Path, open_journal: Callable[..., Journal]) -> None:
    journal = open_journal(vault)
    import_jrnl(journal, EXPORT1)
    rel = _by_id(journal)["2025-03-09 16:20"]
    path = vault / rel
    mine = path.read_text(encoding="utf-8") + "\nAdded in journal-me.\n"
    path.write_text(mine, encoding="utf-8")
    result = import_jrnl(journal, EXPORT2)
    assert path.read_text(encoding="utf-8") == mine  # the user's edit stays
    assert len(result.conflicts) == 1
    copy = (vault / result.conflicts[0]).read_text(encoding="utf-8")
    assert "thermos" in copy
    # importing again does not pile up copies
    again = import_jrnl(journal, EXPORT2)
    assert again.conflicts == () and again.created == 0
    assert len(list(vault.rglob("*.md"))) == 8


def test_first_importer_files_are_updated_not_duplicated(
    vault: Path, open_journal: Callable[..., Journal], tmp_path: Path
) -> None:
    """Files from the previous importer (a content-hash jrnl_id) are found by date+time."""
    old = "---\ntitle: Couldn't sleep.\ndate: '2025-03-12'\ntime: '23:10'\njrnl_id: 0123456789abcdef\n---\n"
    (vault / "2025-03-12.md").write_text(old, encoding="utf-8")
    journal = open_journal(vault)
    export = tmp_path / "one.json"
    shutil.copy(EXPORT2, export)
    result = import_jrnl(journal, export)
    assert result.created == 6  # the seventh is the old file: its copy sits beside it
    assert (vault / "2025-03-12.md").read_text(encoding="utf-8") == old
    assert len(result.conflicts) == 1


def test_clean_title() -> None:
    assert clean_title("Went to the #gym with @Sam #health.") == "Went to the gym with Sam."
    assert (
        clean_title("Told @Priya and @Sam about the offer #work #news.")
        == "Told Priya and Sam about the offer."
    )
    assert clean_title("Issue #42 fixed") == "Issue #42 fixed"
    assert clean_title("email me@example.com") == "email me@example.com"


def test_cli_import_twice_around_an_edit(vault: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from journal_me.cli import main

    (vault / "journal").mkdir()
    assert main(["--vault", str(vault), "import", "jrnl", str(EXPORT1)]) == 0
    assert "imported 7 entries, skipped 0" in capsys.readouterr().out
    assert main(["--vault", str(vault), "import", "jrnl", str(EXPORT2)]) == 0
    out = capsys.readouterr().out
    assert "imported 0 entries, skipped 5" in out and "updated 2 entries edited in jrnl" in out
    files = sorted(p.relative_to(vault).as_posix() for p in vault.rglob("*.md"))
    assert len(files) == 7 and all(f.startswith("journal/2025/2025-03-") for f in files)
    assert "thermos" in (vault / "journal/2025/2025-03-09.md").read_text(encoding="utf-8")


def test_an_edit_that_drops_private_waits_for_confirmation(
    vault: Path, open_journal: Callable[..., Journal], tmp_path: Path
) -> None:
    def export(name: str, title: str, tags: list[str]) -> Path:
        entry = {"title": title, "body": "Hard session.", "date": "2025-04-01", "time": "18:00"}
        data = {"tags": {t: 1 for t in tags}, "entries": [{**entry, "tags": tags, "starred": False}]}
        path = tmp_path / name
        path.write_text(json.dumps(data), encoding="utf-8")
        return path

    journal = open_journal(vault)
    import_jrnl(journal, export("a.json", "Therapy #private", ["#private"]))
    rel = _by_id(journal)["2025-04-01 18:00"]
    before = (vault / rel).read_text(encoding="utf-8")
    assert journal._vault.read(rel).private
    result = import_jrnl(journal, export("b.json", "Therapy", []))
    assert result.held == (rel,) and result.updated == 0
    assert (vault / rel).read_text(encoding="utf-8") == before  # still private, untouched


def test_an_unexpected_read_error_is_not_swallowed(
    vault: Path, open_journal: Callable[..., Journal], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only an unreadable entry is skipped (doctor reports it); a bug while reading the vault
    surfaces instead of silently importing duplicates."""
    journal = open_journal(vault)
    import_jrnl(journal, EXPORT1)

    def broken(rel: str) -> None:
        raise KeyError("a bug, not an unreadable file")

    monkeypatch.setattr(journal._vault, "read", broken)
    with pytest.raises(KeyError):
        import_jrnl(journal, EXPORT2)
