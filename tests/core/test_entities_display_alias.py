"""A link's display text is another name of its target only when the vault gives no reason
against it (issue 10, H21's finding on obsidian-help: ``[[Über Obsidian|Obsidian]]`` made every
plain "Obsidian" a mention of the German page, 1,491 entries)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journal_me.memory.graph import EntityGraph
from journal_me.vault import Entry, parse_entry


def entry(rel: str, text: str) -> Entry:
    return parse_entry(rel, text.encode("utf-8"), path=Path("/v") / rel, mtime=0)


def graph(notes: dict[str, str]) -> EntityGraph:
    g = EntityGraph()
    g.apply_batch([entry(rel, text) for rel, text in notes.items()], [])
    return g


def test_a_part_of_a_topic_page_name_is_not_its_alias() -> None:
    g = graph(
        {
            "de/Über Obsidian.md": "Obsidian ist eine App für Notizen.\n",
            "de/Interne Links.md": "Links in [[Über Obsidian|Obsidian]] verbinden Notizen.\n",
            "Hotkeys.md": "Hotkeys run commands in Obsidian. Obsidian keeps them.\n",
            "Walk.md": "Round the [[Royal Botanic Garden|Botanic Garden]]. The Botanic Garden was shut.\n",
        }
    )
    assert g.resolve("Obsidian") != "über obsidian"
    assert "Über Obsidian" not in g.entities_in("Hotkeys.md")
    assert g.resolve("Botanic Garden") != "royal botanic garden"
    assert g.canonical("Über Obsidian") == "Über Obsidian"


def test_a_display_text_that_says_more_than_the_name_is_not_its_alias() -> None:
    """obsidian-help (ru): ``[[Markdown|Импорт файлов Markdown]]`` made "Импорт файлов Markdown"
    the name of every plain "Markdown" (1,296 notes)."""
    g = graph(
        {
            "ru/Craft.md": "Далее следуйте [[Markdown|Импорт файлов Markdown]].\n",
            "Syntax.md": "Notes are plain Markdown files. Markdown is portable.\n",
        }
    )
    assert g.resolve("Markdown") == "markdown"
    assert "Markdown" in g.entities_in("Syntax.md")
    assert g.canonical("Импорт файлов Markdown") == "Импорт файлов Markdown"


def test_a_link_target_names_its_group_before_a_display_text() -> None:
    g = graph({"a.md": "Lunch with [[Dev|Devendra Shah]].\n", "b.md": "Dev said hi.\n"})
    assert g.resolve("Devendra Shah") == g.resolve("Dev") == "dev"


def test_a_person_keeps_a_first_name_or_nickname_from_a_link() -> None:
    g = graph(
        {
            "a.md": "Lunch with [[Priya Raman|Priya]] and [[Devendra Shah|Dev]].\n",
            "b.md": "Priya said yes. Dev laughed.\n",
            "people/Carol Marsh.md": "---\ntype: person\n---\nMy mum.\n",
            "c.md": "Rang [[Carol Marsh|Marsh]] senior.\n",
        }
    )
    assert g.resolve("Priya") == "priya raman"
    assert g.resolve("Dev") == "devendra shah"
    assert g.resolve("Marsh") == "carol marsh"  # a part of a person page's name


def test_the_name_of_another_page_is_not_a_display_alias() -> None:
    g = graph(
        {
            "Obsidian.md": "---\ntype: topic\n---\nThe app.\n",
            "Introduction.md": "Start with [[Getting started|Obsidian]].\n",
            "people/Sam.md": "---\ntype: person\naliases: [Samantha Ortiz]\n---\nFriend.\n",
            "people/Dad.md": "---\ntype: person\n---\nDad.\n",
            "d.md": "[[Samantha Ortiz|Sam]] rang. Then [[Dad|Sam]], by mistake.\n",
        }
    )
    assert g.resolve("Obsidian") == "obsidian"
    assert g.canonical("Getting started") == "Getting started"
    # the page's own alias joins Sam; the typo'd link does not make Dad "Sam"
    assert g.resolve("Samantha Ortiz") == "sam"
    assert g.resolve("Sam") == "sam" and g.resolve("Dad") == "dad"


def test_a_display_text_shared_by_different_targets_names_none_of_them() -> None:
    g = graph(
        {
            "de/Einführung in Obsidian Sync.md": "Sync auf Deutsch.\n",
            "fr/Introduction à Obsidian Sync.md": "Sync en français.\n",
            "de/a.md": "Siehe [[Einführung in Obsidian Sync|Obsidian Sync]].\n",
            "fr/b.md": "Voir [[Introduction à Obsidian Sync|Obsidian Sync]].\n",
            "c.md": "I pay for Obsidian Sync. Obsidian Sync works.\n",
        }
    )
    de, fr = g.resolve("Einführung in Obsidian Sync"), g.resolve("Introduction à Obsidian Sync")
    assert de and fr and de != fr  # 32 languages' pages were one entity on obsidian-help
    assert g.resolve("Obsidian Sync") not in {de, fr}


POOL = [
    ("Über Obsidian.md", "---\ntype: topic\n---\nObsidian ist eine App.\n"),
    ("Obsidian.md", "---\ntype: topic\n---\nThe app.\n"),
    ("Links.md", "In [[Über Obsidian|Obsidian]] verbinden.\n"),
    ("Sync.md", "See [[Obsidian Sync intro|Sync]] and Obsidian.\n"),
    ("Sync2.md", "Voir [[Sync en français|Sync]].\n"),
    ("people/Sam.md", "---\ntype: person\naliases: [Samantha Ortiz]\n---\nFriend.\n"),
    ("people/Sam.md", "---\ntype: topic\n---\nA word.\n"),
    ("x.md", "[[Samantha Ortiz|Sam]] rang. Obsidian crashed. Sync worked.\n"),
    ("y.md", "[[Sam Ortiz|Ortiz]] and Sam at the Depot.\n"),
]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.tuples(st.booleans(), st.integers(0, len(POOL) - 1)), min_size=1, max_size=4), max_size=5
    )
)
def test_incremental_display_rules_match_a_rebuild(batches: list[list[tuple[bool, int]]]) -> None:
    """The rules read only pages and alias pairs: batches of saves and deletions end where a
    graph built from the surviving notes does."""
    with tempfile.TemporaryDirectory() as tmp:
        g = EntityGraph(Path(tmp) / "graph.sqlite3")
        current: dict[str, Entry] = {}
        try:
            for batch in batches:
                changed: dict[str, Entry] = {}
                gone: list[str] = []
                for remove, i in batch:
                    rel, text = POOL[i]
                    if remove:
                        changed.pop(rel, None)
                        current.pop(rel, None)
                        gone.append(rel)
                    else:
                        changed[rel] = current[rel] = entry(rel, text)
                g.apply_batch(list(changed.values()), [r for r in gone if r not in changed])
            fresh = EntityGraph()
            fresh.apply_batch(list(current.values()), [])
            assert g.aliases.canon == fresh.aliases.canon
            assert {r: g.entities_in(r) for r in current} == {r: fresh.entities_in(r) for r in current}
        finally:
            g.close()


def test_a_display_text_that_is_no_name_is_no_passage_entity() -> None:
    g = graph(
        {
            "Guide to Café Luma 2.md": "---\ntype: place\n---\nThe guide.\n",
            "a.md": "See [[Guide to Café Luma 2|2]] and [[Priya Raman|Priya]].\n",
        }
    )
    names = g.entity_names("a.md")
    assert "2" not in names and "priya" in names, names
