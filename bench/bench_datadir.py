"""Size of a vault's derived data (data dir) against its markdown text, with a breakdown.

Run: ``python bench/bench_datadir.py [--sample] [--synth N] [--realstyle N] [--keep DIR]``

Indexes each vault into a fresh data dir (one process, ``Journal.reindex``) and prints the
vault's ``.md`` bytes, the data dir's bytes and their ratio, the Whoosh index by file type
(``.seg`` segments, ``.pst`` postings, ``.trm`` term index, ``.sto`` stored fields, ``.fln``
field lengths, ``.vps`` vectors, ``.toc``, columns ``.col``…) and the graph store by table
(SQLite ``dbstat``), plus every other file of the data dir.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def md_bytes(vault: Path) -> int:
    return sum(p.stat().st_size for p in vault.rglob("*.md") if p.is_file())


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def index_breakdown(index_dir: Path) -> dict[str, int]:
    """Bytes per file type in a Whoosh index folder (a .seg holds the compound segment)."""
    out: dict[str, int] = defaultdict(int)
    for p in index_dir.rglob("*"):
        if not p.is_file():
            continue
        out[p.suffix or p.name] += p.stat().st_size
    # inside compound segment files: Whoosh's CompoundStorage lists its sub-files
    try:
        from whoosh.filedb.compound import CompoundStorage
        from whoosh.filedb.filestore import FileStorage

        store = FileStorage(str(index_dir))
        for p in index_dir.glob("*.seg"):
            cs = CompoundStorage(store.open_file(p.name), use_mmap=False)
            for name in cs.list():
                out["  seg" + Path(name).suffix] += cs.file_length(name)
            cs.close()
    except Exception as exc:  # the breakdown is a convenience
        out[f"(segment listing failed: {exc})"] = 0
    return dict(out)


def graph_breakdown(path: Path) -> dict[str, int]:
    if not path.exists():
        return {}
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
    except sqlite3.OperationalError as exc:
        return {f"(dbstat unavailable: {exc})": 0}
    finally:
        con.close()
    return {name: int(size) for name, size in rows}


def measure(vault: Path, data: Path, label: str) -> dict[str, object]:
    from journal_me.api import open_vault
    from journal_me.config import load_settings

    env = {"JOURNAL_ME_DATA_DIR": str(data), "JOURNAL_ME_CONFIG": str(data.parent / "none.toml")}
    settings = load_settings(vault=vault, env=env)
    t0 = time.perf_counter()
    journal = open_vault(settings=settings)
    journal.reindex()
    journal.close()
    seconds = time.perf_counter() - t0
    return report(vault, settings.vault_data_dir, label, seconds)


def report(vault: Path, ddir: Path, label: str, seconds: float = 0.0) -> dict[str, object]:
    """The figures for a vault already indexed into ``ddir`` (a vault's data dir)."""
    text = md_bytes(vault)
    total = dir_bytes(ddir)
    files = {
        str(p.relative_to(ddir)): p.stat().st_size
        for p in ddir.rglob("*")
        if p.is_file() and not str(p.relative_to(ddir)).startswith("index/")
    }
    result = {
        "vault": label,
        "md_bytes": text,
        "data_bytes": total,
        "ratio": round(total / text, 3),
        "index_bytes": dir_bytes(ddir / "index"),
        "index": index_breakdown(ddir / "index"),
        "graph": graph_breakdown(ddir / "graph.sqlite3"),
        "other_files": files,
        "index_seconds": round(seconds, 1),
    }
    return result


def show(r: dict[str, object]) -> None:
    mb = 1 / 1e6
    print(
        f"== {r['vault']}: text {r['md_bytes'] * mb:.2f} MB, data dir {r['data_bytes'] * mb:.2f} MB, "
        f"ratio {r['ratio']}x, index {r['index_bytes'] * mb:.2f} MB, indexed in {r['index_seconds']} s"
    )
    for name, size in sorted(r["index"].items(), key=lambda kv: -kv[1]):  # type: ignore[union-attr]
        print(f"   index {name:<10} {size * mb:9.3f} MB")
    for name, size in r["graph"].items():  # type: ignore[union-attr]
        print(f"   graph {name:<24} {size * mb:9.3f} MB")
    for name, size in sorted(r["other_files"].items()):  # type: ignore[union-attr]
        print(f"   file  {name:<30} {size * mb:9.3f} MB")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", action="store_true", help="the repository's sample vault")
    ap.add_argument("--synth", type=int, default=0, help="a synthetic journal vault of N entries")
    ap.add_argument("--realstyle", type=int, default=0, help="a real-style note vault of N notes")
    ap.add_argument("--keep", type=Path, help="work here and keep the vaults/data dirs")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument(
        "--report",
        nargs=2,
        type=Path,
        metavar=("VAULT", "DATA_DIR"),
        help="only report on a vault indexed before (DATA_DIR: its vaults/<key> folder)",
    )
    args = ap.parse_args()
    if args.report:
        show(report(args.report[0], args.report[1], str(args.report[0])))
        return 0
    if not (args.sample or args.synth or args.realstyle):
        args.sample = True
    work = args.keep or Path(tempfile.mkdtemp(prefix="jm-datadir-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        if args.sample:
            results.append(measure(ROOT / "vault", work / "data-sample", "sample"))
        if args.synth:
            from bench.synth_vault import generate as synth

            v = work / f"synth{args.synth}"
            if not v.exists():
                synth(v, args.synth, seed=1)
            results.append(measure(v, work / f"data-synth{args.synth}", f"synthetic {args.synth}"))
        if args.realstyle:
            from bench.realstyle_vault import generate as real

            v = work / f"real{args.realstyle}"
            if not v.exists():
                real(v, args.realstyle, seed=1)
            results.append(measure(v, work / f"data-real{args.realstyle}", f"real-style {args.realstyle}"))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    for r in results:
        show(r)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("JOURNAL_ME_INDEX_PROCS", os.environ.get("JOURNAL_ME_INDEX_PROCS", "1"))
    raise SystemExit(main())
