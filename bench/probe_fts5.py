"""What-if probe: the same passages and queries in SQLite FTS5 (stdlib) vs the Whoosh index.

Run: ``python bench/probe_fts5.py [--entries 10000] [--seed 1] [--rounds 3]``

Evidence for a design question, not a feature: journal-me's index is Whoosh (pure Python).
This builds the synthetic vault, indexes it with journal-me (``reindex(rebuild=True)``), puts
the *same* passage texts into an FTS5 table, and times plain BM25 top-60 over passages for
the benchmark's questions both ways: ``Journal.bm25`` (Whoosh: OR of the analysed terms
over passage bodies) against ``MATCH 'w1 OR w2 …' ORDER BY bm25`` with the same terms.
Parsing is shared (vault entries are parsed once), so the FTS5 insert time is the index
cost alone. Prints a small table; nothing is written.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_core import QUERIES, pct  # noqa: E402
from bench.synth_vault import generate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=60, help="candidates, as the retriever asks")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="jm-fts5-") as tmp:
        os.environ["JOURNAL_ME_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["JOURNAL_ME_CONFIG"] = str(Path(tmp) / "no-config.toml")
        warnings.simplefilter("ignore", SyntaxWarning)
        from journal_me.api import open_vault
        from journal_me.memory.retrieval import analyse

        vault = Path(tmp) / "vault"
        generate(vault, args.entries, args.seed)
        journal = open_vault(vault)
        t0 = time.perf_counter()
        journal.reindex(rebuild=True)
        whoosh_index_s = time.perf_counter() - t0

        entries, _warnings = journal._vault.read_all()
        db = sqlite3.connect(str(Path(tmp) / "fts.db"))
        db.execute(
            "CREATE VIRTUAL TABLE p USING fts5(body, rel UNINDEXED, date UNINDEXED, "
            "tokenize='porter unicode61')"
        )
        t0 = time.perf_counter()
        with db:
            db.executemany(
                "INSERT INTO p(body, rel, date) VALUES (?, ?, ?)",
                ((pa.text, e.rel, e.date.isoformat()) for e in entries for pa in e.passages),
            )
        fts_index_s = time.perf_counter() - t0

        terms = {q: list(dict.fromkeys(analyse(q))) for q in QUERIES}

        def fts(q: str) -> int:
            if not terms[q]:
                return 0
            expr = " OR ".join(f'"{t}"' for t in terms[q])
            rows = db.execute(
                "SELECT rel FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT ?", (expr, args.limit)
            ).fetchall()
            return len(rows)

        def whoosh(q: str) -> int:
            return len(journal.bm25(q, limit=args.limit))

        timings: dict[str, list[float]] = {}
        for name, fn in (("whoosh", whoosh), ("fts5", fts)):
            for q in QUERIES:  # warm-up
                fn(q)
            out: list[float] = []
            for _ in range(args.rounds):
                for q in QUERIES:
                    t0 = time.perf_counter()
                    fn(q)
                    out.append(time.perf_counter() - t0)
            timings[name] = out
        journal.close()
        db.close()
    w, f = timings["whoosh"], timings["fts5"]
    print(f"{args.entries} entries, plain BM25 top-{args.limit} over passages, {len(QUERIES)} questions")
    print(f"{'':24}{'whoosh':>12}{'fts5':>12}{'ratio':>8}")
    print(
        f"{'index (s)':24}{whoosh_index_s:12.1f}{fts_index_s:12.1f}{whoosh_index_s / fts_index_s:8.0f}x"
        "   (whoosh: whole reindex incl. parsing + graph; fts5: inserts only)"
    )
    for p in (50, 95):
        print(
            f"{f'query p{p} (ms)':24}{pct(w, p) * 1e3:12.1f}{pct(f, p) * 1e3:12.2f}"
            f"{pct(w, p) / pct(f, p):8.0f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
