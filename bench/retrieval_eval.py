"""Retrieval quality on the sample vault: hybrid search vs plain BM25 over passages.

Run: ``python bench/retrieval_eval.py [--set tuning|heldout|both] [--show-misses]`` (uses a
temp data dir). Prints recall of the answering passage within a 2,000-character context for
both, by question kind, for each question set on its own (never mixed):

- ``tuning``: ``tests/data/questions_*.json`` — the set retrieval changes may be tuned on;
- ``heldout``: ``tests/data/heldout/questions_*.json`` — written before any tuning in issue 10,
  for reporting only (see ``tests/data/heldout/README.md``); never tune on it.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SETS = {
    "tuning": lambda: sorted(DATA.glob("questions_*.json")),
    "heldout": lambda: sorted((DATA / "heldout").glob("questions_*.json")),
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", dest="which", choices=("tuning", "heldout", "both"), default="both")
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--budget", type=int, default=2000)
    args = parser.parse_args()
    names = ["tuning", "heldout"] if args.which == "both" else [args.which]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["JOURNAL_ME_DATA_DIR"] = tmp
        os.environ["JOURNAL_ME_CONFIG"] = str(Path(tmp) / "none.toml")
        from journal_me.api import open_vault
        from journal_me.memory.evaluate import SAMPLE_TODAY, evaluate, load_questions

        vault = ROOT / "vault"
        journal = open_vault(vault)
        journal.reindex()
        print(f"{len(journal.entries())} entries")
        for name in names:
            questions = load_questions(SETS[name]())
            hybrid = evaluate(
                "hybrid",
                lambda q: journal.search(q, limit=20, today=SAMPLE_TODAY),
                questions,
                vault,
                args.budget,
            )
            bm25 = evaluate("bm25", lambda q: journal.bm25(q, limit=20), questions, vault, args.budget)
            print(f"\n[{name}] {len(questions)} questions")
            print(bm25.line())
            print(hybrid.line())
            print(f"ratio    hybrid/bm25 {hybrid.recall / max(bm25.recall, 1e-9):.2f}")
            if any(q.needs != "each" for q in questions):
                # the same questions with partial credit (share of answers found), comparable
                # with a set whose multi-answer questions have no "needs"
                each = [dataclasses.replace(q, needs="each") for q in questions]
                print(
                    evaluate("bm25/ea", lambda q: journal.bm25(q, limit=20), each, vault, args.budget).line()
                )
                print(
                    evaluate(
                        "hyb/ea",
                        lambda q: journal.search(q, limit=20, today=SAMPLE_TODAY),
                        each,
                        vault,
                        args.budget,
                    ).line()
                )
            if args.show_misses:
                for q in questions:
                    if hybrid.per_question[q.id] < 1:
                        print(f"  miss {q.id} [{q.kind}] {q.question}  (bm25 {bm25.per_question[q.id]:.1f})")
        journal.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
