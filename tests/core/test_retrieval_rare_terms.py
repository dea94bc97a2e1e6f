"""Rare and exact terms against the graph's bonuses (issue 10; H21's findings on obsidian-help,
see also tests/core/test_real_vault_smoke.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from journal_me.memory.retrieval import QueryPlan, is_exact


def _vault(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_exact_tokens_are_versions_numbers_and_codes() -> None:
    assert all(is_exact(t) for t in ["1.7.7", "5k", "x86_64", "2019", "a1"])
    assert not any(is_exact(t) for t in ["releas", "obsidian", "7", "k"])


def test_a_graph_bonus_does_not_lift_a_passage_over_the_rarest_term(
    tmp_path: Path, open_journal: Callable[..., Any]
) -> None:
    """'Sam walked the canal path' scores a little under the heron passage on its words; Sam's
    entity bonus (+0.1) put it first, though it does not say "heron", the rarest word asked."""
    files = {
        "people/Sam.md": "---\ntype: person\n---\nMy oldest friend.\n",
        "2026-01-01.md": "Sam walked the canal path.\n",
        "2026-01-02.md": "A heron on the canal slowly slowly slowly.\n",
        **{f"2026-01-0{i}.md": f"Walked along the canal again. Cold day {i}.\n" for i in range(3, 9)},
        **{f"2026-01-{i}.md": "Sam came for tea. Sam stayed late.\n" for i in range(10, 14)},
    }
    journal = open_journal(_vault(tmp_path / "vault", files), reindex=True)
    plan = QueryPlan()
    hits = journal.search("Sam heron canal", plan=plan)
    assert plan.entities == ["Sam"] and plan.rarest == "heron"
    assert [h.rel for h in hits[:2]] == ["2026-01-02.md", "2026-01-01.md"]
    assert hits[0].score >= hits[1].score
    # without a named entity nothing is cut: the same words rank as before
    assert journal.search("heron canal")[0].rel == "2026-01-02.md"


def test_a_code_in_the_title_ranks_first_and_scores_fall_with_rank(
    tmp_path: Path, open_journal: Callable[..., Any]
) -> None:
    files = {
        **{
            f"2026-02-{i:02d}.md": f"Train to Leeds again; the train was late, the train was full. {i}\n"
            for i in range(1, 8)
        },
        "2026-02-10.md": "---\ntitle: Coach B seat 42\n---\nA quiet carriage for once.\n",
    }
    journal = open_journal(_vault(tmp_path / "vault", files), reindex=True)
    hits = journal.search("the train 42")
    assert hits[0].rel == "2026-02-10.md", [h.rel for h in hits]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_a_code_only_in_a_title_reaches_the_candidates(
    tmp_path: Path, open_journal: Callable[..., Any]
) -> None:
    """obsidian-help: 330 release notes say "release notes"; the one titled 1.7.7 matched only
    in its title, at the title's word boost (0.4), below the 60 candidates that are re-ranked."""
    files = {
        f"notes/v0.{i}.0.md": f"Release notes for this release. More release notes soon. Note {i}.\n"
        for i in range(80)
    }
    files["notes/v1.7.7.md"] = (
        '---\ntitle: "1.7.7"\n---\n## No longer broken\n\n- Pasting keeps the cursor.\n'
    )
    journal = open_journal(_vault(tmp_path / "vault", files), reindex=True)
    assert journal.search("release notes 1.7.7")[0].rel == "notes/v1.7.7.md"
