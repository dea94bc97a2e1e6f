"""The trainer's vault view uses fenced-out (public) data only (issues 9.5, 15).

Planted secrets — a private entry marked in each odd way (``Private: true``, a YAML error
beside ``private: true``, ``private: 1``), a conflict copy, a private person page's alias —
reach none of the data the trainer builds from the view: SFT examples, the eval split, DPO
pairs, the fact pools and the entity names. And the view fences on its own, not only through
the index: a stale index summary or a graph listing a private page's alias do not open it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from journal_me.api import Journal, open_vault
from journal_me.config import load_settings
from journal_me.roles import load_roles
from trainer.filter import filter_examples, heldout_rels
from trainer.pairs import FactPools, make_pairs
from trainer.synth import synthesize
from trainer.vault_view import VaultView

TODAY = dt.date(2026, 11, 1)
CAP_KEY = "Capkeysecret5521"
YAML_ERROR = "Yamlbrokensecret7340"
NUMERIC = "Numericsecret1183"
CONFLICT = "Conflictsecret9902"
ALIAS = "Zebediah Farthingale"
PAGE = "Pagesecret4417"
SECRETS = (CAP_KEY, YAML_ERROR, NUMERIC, CONFLICT, ALIAS, "Zebediah", "Farthingale", PAGE)
PLANTED = {
    "journal/2025/2025-08-21.md": f"---\nPrivate: true\n---\nThe locker code at the Depot is {CAP_KEY}.\n",
    "journal/2025/2025-08-22.md": (
        f"---\ntitle: Locker: the second code\nprivate: true\n---\nThe second code is {YAML_ERROR}.\n"
    ),
    "journal/2025/2025-08-24.md": f"---\nprivate: 1\n---\nDev's spare key is under {NUMERIC}.\n",
    "people/Quill.md": (
        f"---\ntype: person\nprivate: true\naliases: [{ALIAS}]\n---\n"
        f"My counsellor, {ALIAS}. Sessions on Thursdays, code {PAGE}.\n"
    ),
}
CONFLICT_COPY = "journal/2025/2025-08-03.conflict-20260101-120000.md"


@dataclass
class Built:
    journal: Journal
    view: VaultView
    data: str  # everything the trainer would write: SFT, eval, DPO, pools, names


def _view(journal: Journal, heldout: set[str]) -> VaultView:
    return VaultView(
        journal, name="Elena", profile_text="I am Elena.", today=TODAY, holdout=heldout.__contains__
    )


def _build(view: VaultView, heldout: set[str]) -> str:
    result = synthesize(view, roles=list(load_roles(None).values()))
    filtered = filter_examples(result.examples, support_of=view.support_text, heldout=heldout)
    pools = FactPools.from_view(view)
    pairs = make_pairs(filtered.train, pools)
    parts = [json.dumps(e.to_json(), ensure_ascii=False) for e in [*filtered.train, *filtered.eval]]
    parts += [json.dumps(row, ensure_ascii=False, default=str) for row in pairs.rows]
    parts += [*pools.names, *view.names, *view.subjects]
    parts += [a for e in view.entities for a in (e.name, *e.aliases)]
    assert filtered.train and filtered.eval and pairs.rows
    return "\n".join(parts)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, make_vault: Callable[[Path], Path]) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("fence")
    vault = make_vault(root / "vault")
    for rel, text in PLANTED.items():
        (vault / rel).write_text(text, encoding="utf-8")
    original = (vault / "journal/2025/2025-08-03.md").read_text(encoding="utf-8")
    (vault / CONFLICT_COPY).write_text(original + f"\nThe alarm code is {CONFLICT}.\n", encoding="utf-8")
    with (vault / "journal/2025/2025-08-06.md").open("a", encoding="utf-8") as f:
        f.write("\nCoffee with [[Quill]] after work, talked about nothing much.\n")
    env = {"JOURNAL_ME_DATA_DIR": str(root / "data"), "JOURNAL_ME_CONFIG": str(root / "none.toml")}
    settings = replace(load_settings(vault=vault, env=env), name="Elena")
    journal = open_vault(settings=settings)
    journal.reindex()
    heldout = heldout_rels(journal.entries(), 0.15)
    view = _view(journal, heldout)
    yield Built(journal, view, _build(view, heldout))
    journal.close()


def test_planted_secrets_reach_no_training_data(built: Built) -> None:
    for secret in SECRETS:
        assert secret not in built.data, secret
    assert {*PLANTED, CONFLICT_COPY} - {"people/Quill.md"} <= built.view.private_rels
    assert not {*PLANTED, CONFLICT_COPY} & set(built.view.entries)
    assert "journal/2025/2025-08-03.md" in built.view.entries  # the original stays
    assert "Quill" in built.view.names  # the public name, from public text, stays


def test_the_view_fences_even_when_the_index_and_graph_do_not(built: Built) -> None:
    """Defence in depth: summaries from a stale index (no private, no conflict flag) and a
    graph that lists a private page's aliases still give no private data."""
    journal = built.journal
    stale = [replace(s, private=False, conflict_of=None) for s in journal.entries()]
    infos = journal.entities(include_private=False)
    leaky = [replace(e, aliases=(*e.aliases, ALIAS)) if e.name == "Quill" else e for e in infos]
    assert any(ALIAS in e.aliases for e in leaky), "Quill is a public entity: the plant works"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(journal, "entries", lambda: stale)
        mp.setattr(journal, "entities", lambda kind=None, *, include_private=True: leaky)
        view = _view(journal, set())
    assert not {*PLANTED, CONFLICT_COPY} & set(view.entries)
    assert CONFLICT_COPY in view.private_rels
    assert ALIAS not in view.names and "Zebediah" not in " ".join(view.names)
    everything = "\n".join(h.passage for pub in view.entries.values() for h in pub.passages)
    for secret in SECRETS:
        assert secret not in everything


def test_bridge_training_examples_share_only_what_their_role_may(built: Built) -> None:
    """Train as served: a work-role draft is never trained on a passage about health."""
    from journal_me.memory.retrieval import EntryRef, Hit
    from journal_me.modes.bridge import topic_classifier

    roles = load_roles(None)
    classifier = topic_classifier(built.journal)
    result = synthesize(built.view, roles=list(roles.values()))
    bridge = [e for e in result.examples if e.kind.startswith("bridge_")]
    assert bridge
    checked = 0
    for e in bridge:
        role = roles[str(e.meta["role"])]
        for body in re.findall(
            r"<memory id=\d+ nonce=\w+>\n.*?\n(.*?)\n</memory", e.prompt[1]["content"], re.S
        ):
            text = "\n".join(line[2:] for line in body.split("\n"))
            hit = Hit(EntryRef("x.md", Path("x.md"), TODAY, ""), text, 1, 1, 0.0)
            assert role.off_limits(classifier.topics_of(hit)) is None, (role.name, text[:80])
            checked += 1
    assert checked
