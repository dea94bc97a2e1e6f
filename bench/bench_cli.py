"""Whole-process CLI timings: what a user waits for, start to exit, with a baseline.

Run: ``python bench/bench_cli.py [--vault DIR | --entries N] [--runs 5] [--json OUT]``

Each command is a fresh ``journal-me`` process (the way people run it), timed from spawn to
exit, median and max of ``--runs`` runs after one warm-up, with the process's peak RSS
(``os.wait4``). The baseline in the same run is ``grep -ril`` over the same vault (and
``python -c pass``, the floor any Python command pays), so ratios survive a noisy machine.
Peak RSS includes the forked bench process before ``exec`` (~15 MB): read it as a floor.

By default the bundled sample vault is copied to a temp folder (never written in place); with
``--entries N`` a synthetic vault of N entries is generated (bench/synth_vault.py). The data
dir and config are temp folders: the user's own are never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], env: dict[str, str], stdin: bytes | None = None) -> tuple[float, float, int]:
    """(seconds, peak RSS MB, exit code) of one process run to completion."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if stdin is not None and proc.stdin is not None:
        proc.stdin.write(stdin)
        proc.stdin.close()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024, proc.returncode


def measure(
    name: str, cmd: list[str], env: dict[str, str], runs: int, stdin: bytes | None = None
) -> dict[str, Any]:
    timed(cmd, env, stdin)  # warm-up (page cache, an index brought up to date)
    times: list[float] = []
    rss: list[float] = []
    codes: set[int] = set()
    for _ in range(runs):
        s, r, code = timed(cmd, env, stdin)
        times.append(s)
        rss.append(r)
        codes.add(code)
    return {
        "name": name,
        "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
        "peak_rss_mb": round(max(rss), 1),
        "exit_codes": sorted(codes),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vault", type=Path, help="a vault to copy (default: the sample vault)")
    ap.add_argument("--entries", type=int, help="generate a synthetic vault of N entries instead")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--query", default="when did I start running?")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args(argv)

    exe = shutil.which("journal-me", path=str(Path(sys.executable).parent)) or "journal-me"
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp_s:
        tmp = Path(tmp_s)
        vault = tmp / "vault"
        if args.entries:
            sys.path.insert(0, str(ROOT))
            from bench.synth_vault import generate

            generate(vault, args.entries, seed=1)
        else:
            shutil.copytree(args.vault or ROOT / "vault", vault)
        env = {k: v for k, v in os.environ.items() if not k.startswith("JOURNAL_ME_")}
        env.update(
            JOURNAL_ME_VAULT=str(vault),
            JOURNAL_ME_DATA_DIR=str(tmp / "data"),
            JOURNAL_ME_CONFIG=str(tmp / "config.toml"),
        )
        t0 = time.perf_counter()
        subprocess.run([exe, "index"], env=env, check=True, stdout=subprocess.DEVNULL)
        first_index = time.perf_counter() - t0
        rows = [
            measure("python -c pass (floor)", [sys.executable, "-c", "pass"], env, args.runs),
            measure("grep -ril running (baseline)", ["grep", "-ril", "running", str(vault)], env, args.runs),
            measure("journal-me --help", [exe, "--help"], env, args.runs),
            measure("journal-me search", [exe, "search", args.query, "--no-refresh"], env, args.runs),
            measure("journal-me search (refresh)", [exe, "search", args.query], env, args.runs),
            measure("journal-me entities", [exe, "entities", "--json"], env, args.runs),
            measure("journal-me doctor", [exe, "doctor"], env, args.runs),
            measure("journal-me ask (memory-only)", [exe, "ask", args.query, "--no-save"], env, args.runs),
            measure("journal-me add -", [exe, "add", "-"], env, args.runs, stdin=b"a bench line\n"),
        ]
    grep = rows[1]["median_s"] or 1e-9
    result = {
        "vault": str(args.vault or ("synthetic" if args.entries else "sample")),
        "entries": args.entries,
        "first_index_s": round(first_index, 2),
        "rows": rows,
    }
    print(f"first full index: {first_index:.2f} s")
    print(f"{'command':34} {'median s':>9} {'max s':>7} {'× grep':>7} {'RSS MB':>7}  exit")
    for r in rows:
        print(
            f"{r['name']:34} {r['median_s']:9.3f} {r['max_s']:7.3f} {r['median_s'] / grep:7.1f} "
            f"{r['peak_rss_mb']:7.1f}  {r['exit_codes']}"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
