"""The public entity view (``include_private=False``, what the trainer and the bridge see)
never shows a name or alias known only from a private entry or a private person page."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_me.api import Journal
from journal_me.memory.graph import EntityGraph
from journal_me.vault import Entry, parse_entry

# A private page says who "Jo" really is; public entries only ever say "Jo".
VAULT = {
    "people/Joanna Bright.md": (
        "---\ntype: person\nprivate: true\naliases: [Jo, Jojo, JB-secret]\n---\n"
        "Jo's real name and the clinic she works at.\n"
    ),
    "people/Dev.md": "---\ntype: person\naliases: [Devendra]\n---\nClimbing partner.\n",
    "2026-03-01.md": "Lunch with Jo and Dev at the harbour. #friends\n",
    "2026-03-08.md": "Jo lent me a tent. Dev came too.\n",
    "2026-03-09.md": "---\nprivate: true\n---\nJojo cried about the clinic. [[Joanna Bright|JB-secret]]\n",
    "2026-03-10.md": "---\nprivate: true\n---\nTherapy: talked about Marguerite Vane and Jo.\n",
}
SECRETS = {"joanna bright", "jojo", "jb-secret", "marguerite vane"}


@pytest.fixture
def journal(vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]) -> Journal:
    for rel, text in VAULT.items():
        write(vault, rel, text)
    j = open_journal(vault)
    j.reindex()
    return j


def _words(*values: object) -> str:
    return " | ".join(str(v) for v in values).lower()


def test_owner_view_knows_the_private_page(journal: Journal) -> None:
    jo = next(e for e in journal.entities() if e.name == "Joanna Bright")
    assert {"jo", "jojo", "jb-secret"} <= set(jo.aliases)
    assert jo.count == 4


def test_public_entities_hide_private_names_and_aliases(journal: Journal) -> None:
    infos = journal.entities(include_private=False)
    text = _words(*[(e.name, e.aliases) for e in infos])
    for secret in SECRETS:
        assert secret not in text, secret
    jo = next(e for e in infos if e.name == "Jo")
    assert jo.count == 2 and jo.aliases == ()
    dev = next(e for e in infos if e.name == "Dev")
    assert "devendra" in dev.aliases  # a public page's aliases stay


def test_public_related_and_timeline_hide_private_names(journal: Journal) -> None:
    related = journal.related("Dev", include_private=False)
    assert "Jo" in [r.name for r in related]
    assert not any(secret in _words(r.name) for r in related for secret in SECRETS)
    assert [p.rel for p in journal.timeline("Jo", include_private=False)] == [
        "2026-03-01.md",
        "2026-03-08.md",
    ]
    # a name known only from private text finds nobody (finding would confirm it)
    for secret in ("Joanna Bright", "Jojo", "JB-secret", "Marguerite Vane"):
        assert journal.timeline(secret, include_private=False) == [], secret
        assert journal.related(secret, include_private=False) == [], secret
    assert journal.timeline("Joanna Bright")  # the owner still finds her


def test_aliases_of_public(journal: Journal) -> None:
    g = journal._graph
    key = g.resolve("Jo")
    assert key is not None
    assert "jojo" in g.aliases_of(key)
    assert g.aliases_of(key, include_private=False) == ()


def _entry(rel: str, text: str, **flags: object) -> Entry:
    e = parse_entry(rel, text.encode("utf-8"), path=Path("/v") / rel, mtime=0)
    return dataclasses.replace(e, **flags) if flags else e  # type: ignore[arg-type]


def test_public_view_follows_updates() -> None:
    g = EntityGraph()
    g.update(_entry("people/Ann Lee.md", "---\ntype: person\nprivate: true\naliases: [Annie]\n---\nx\n"))
    g.update(_entry("2026-01-01.md", "Coffee with Annie and Ben. Ben laughed.\n"))
    g.update(_entry("2026-01-02.md", "A walk with Annie by the canal.\n"))
    info = next(e for e in g.entities(include_private=False) if e.name.lower() == "annie")
    assert info.aliases == () and info.name == "Annie"
    # the page turns public: its name and aliases may show now
    g.update(_entry("people/Ann Lee.md", "---\ntype: person\naliases: [Annie]\n---\nx\n"))
    info = next(e for e in g.entities(include_private=False) if e.name == "Ann Lee")
    assert "annie" in info.aliases


def test_conflict_copy_mentions_stay_out_of_the_public_view() -> None:
    g = EntityGraph()
    g.update(_entry("2026-01-01.md", "Walked with Quentin Marsh by the river.\n"))
    g.update(
        _entry(
            "2026-01-01.conflict-20260102-090000.md",
            "Walked with Quentin Marsh and [[Oriel Vasquez]] by the river.\n",
            conflict_of="2026-01-01.md",
        )
    )
    assert "Oriel Vasquez" in {e.name for e in g.entities()}  # the owner sees both versions
    assert "Oriel Vasquez" not in {e.name for e in g.entities(include_private=False)}


def _fresh_view(g: EntityGraph) -> tuple[dict[str, dict[str, int]], set[str]]:
    """The public view of a graph built afresh from the same entries."""
    fresh = EntityGraph()
    fresh.apply_mentions([m for rel in g.known_entries() if (m := g.mentions_of(rel))], [])
    fresh.rebuild()
    return fresh.public_view()


def test_public_view_kept_up_to_date_matches_a_fresh_one(journal: Journal, vault: Path) -> None:
    g = journal._graph
    assert g.public_view() == _fresh_view(g)
    (vault / "2026-03-08.md").write_text("@Jo and Dev at the crag.\n", encoding="utf-8")
    (vault / "2026-03-11.md").write_text("Jo phoned. Dev too.\n", encoding="utf-8")
    (vault / "2026-03-01.md").unlink()
    journal.reindex()
    forms, marked = g.public_view()
    assert (forms, marked) == _fresh_view(g)
    assert forms[g.resolve("Jo") or ""] == {"Jo": 2}
    assert g.resolve("Jo") in marked  # @Jo is markup in a public entry
    # an alias change resolves every entry again, the view with it
    (vault / "2026-03-12.md").write_text("Climbed with [[Priya Raman|Priya]].\n", encoding="utf-8")
    journal.reindex()
    assert g.public_view() == _fresh_view(g)
    public = journal.entities(include_private=False)
    journal.reindex(rebuild=True)
    assert journal.entities(include_private=False) == public
