"""Precision and recall of entity typing against a labelled set (issue 10).

    python bench/entity_eval.py [--dump]

Labels: tests/data/entities/labels.json = {"<set>": {"root": "<vault dir>",
"labels": {"Name": "person|place|org|topic|not-an-entity"}}}. The system's entities of a
set are the names extract_mentions finds over all its entries (tags and names seen only
as weak sentence-initial words left out), typed by the most frequent kind, explicit
sources (people, @mentions, person pages) first. Per type: precision = correct / predicted
as that type (among labelled names; an unlabelled prediction counts as wrong), recall =
correct / labelled as that type.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from journal_me.memory.entities import WEAK_HEURISTIC, extract_mentions
from journal_me.vault import Vault

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "data" / "entities" / "labels.json"
TYPES = ("person", "place", "org", "topic")
EXPLICIT = {"people", "mention"}


def predict(root: Path) -> dict[str, str]:
    entries, _ = Vault(root).read_all()
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    explicit: dict[str, str] = {}
    strong: set[str] = set()
    shown: dict[str, str] = {}
    for entry in entries:
        page = entry.note_type() if callable(entry.note_type) else entry.note_type
        if page in TYPES:  # a page about a person/place/org: its name and aliases are typed
            for n in (entry.path.stem, *entry.aliases):
                explicit[n.lower()] = str(page)
        for m in extract_mentions(entry):
            if m.kind == "tag":
                continue
            key = m.name.lower()
            shown.setdefault(key, m.name)
            kinds[key][m.kind] += 1
            if m.source != WEAK_HEURISTIC:
                strong.add(key)
            if m.source in EXPLICIT:
                explicit[key] = m.kind
    return {shown[k]: explicit.get(k) or kinds[k].most_common(1)[0][0] for k in kinds if k in strong}


def score(pred: dict[str, str], labels: dict[str, str]) -> dict[str, tuple[float, float, int]]:
    lab = {k.lower(): v for k, v in labels.items()}
    got = {k.lower(): v for k, v in pred.items()}
    out: dict[str, tuple[float, float, int]] = {}
    for t in TYPES:
        predicted = [k for k, v in got.items() if v == t]
        gold = [k for k, v in lab.items() if v == t]
        ok = sum(1 for k in predicted if lab.get(k) == t)
        p = ok / len(predicted) if predicted else 1.0
        r = sum(1 for k in gold if got.get(k) == t) / len(gold) if gold else 1.0
        out[t] = (p, r, len(gold))
    return out


def main(argv: list[str]) -> int:
    sets = json.loads(LABELS.read_text(encoding="utf-8"))
    for name, spec in sets.items():
        pred = predict(ROOT / spec["root"])
        if "--dump" in argv:
            print(json.dumps(pred, indent=1, sort_keys=True))
            continue
        print(f"== {name}: {len(spec['labels'])} labelled, {len(pred)} predicted")
        for t, (p, r, n) in score(pred, spec["labels"]).items():
            print(f"  {t:7s} n={n:3d}  precision {p:.2f}  recall {r:.2f}")
        if "-v" in argv:
            lab = {k.lower(): v for k, v in spec["labels"].items()}
            for k, v in sorted(pred.items()):
                if lab.get(k.lower()) != v:
                    print(f"    wrong: {k!r} predicted {v}, label {lab.get(k.lower())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
