"""Whole-process CLI timings: what a user waits for, start to exit, with baselines.

Run: ``python bench/bench_cli.py [--vault DIR | --entries N | --realstyle N] [--runs 5] [--json OUT]``

Each command is a fresh ``journal-me`` process (the way people run it), timed from spawn to
exit: median and max wall time of ``--runs`` runs after one warm-up, the median CPU time
(user + sys of the process, ``os.wait4``: what the command costs when the machine is busy,
as a shared CI box is) and the peak RSS. The baselines in the same run are ``grep -ril`` over
the same vault (``rg`` too when installed), ``jrnl`` when it is in the venv, and ``python -c
pass``, the floor any Python command pays, so ratios survive a noisy machine. Peak RSS
includes the forked bench process before ``exec`` (~15 MB): read it as a floor.

Vaults: the bundled sample vault (default), ``--entries N`` synthetic entries
(bench/synth_vault.py), ``--realstyle N`` notes shaped like a real Obsidian vault
(bench/realstyle_vault.py), or ``--vault DIR``. They are copied to a temp folder and indexed
there; with ``--in-place`` (and ``--data DIR``) a vault and data dir prepared earlier are used
as they are (a 10k first index takes minutes): only ``add`` writes to it (one line in
today's note). The user's own data dir and config are never touched.

The "target" column is issue 10's whole-process budget for the command (wall time).
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
# issue 10: whole process, on the 10k synthetic and the real-style vault (sample: search 0.3 s)
TARGETS = {"--help": 0.3, "add": 0.3, "search": 0.5, "doctor": 1.0}
SAMPLE_SEARCH_TARGET = 0.3


def timed(cmd: list[str], env: dict[str, str], stdin: bytes | None = None) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak RSS MB, exit code) of one process run to completion."""
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
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def measure(
    name: str,
    cmd: list[str],
    env: dict[str, str],
    runs: int,
    stdin: bytes | None = None,
    target: float | None = None,
    warm_up: bool = True,
) -> dict[str, Any]:
    if warm_up:
        timed(cmd, env, stdin)  # warm-up (page cache, an index brought up to date)
    times: list[float] = []
    cpu: list[float] = []
    rss: list[float] = []
    codes: set[int] = set()
    for _ in range(runs):
        s, c, r, code = timed(cmd, env, stdin)
        times.append(s)
        cpu.append(c)
        rss.append(r)
        codes.add(code)
    median = statistics.median(times)
    return {
        "name": name,
        "median_s": round(median, 3),
        "max_s": round(max(times), 3),
        "cpu_s": round(statistics.median(cpu), 3),
        "peak_rss_mb": round(max(rss), 1),
        "exit_codes": sorted(codes),
        "target_s": target,
        "holds": None if target is None else median <= target,
    }


def _prepare(args: argparse.Namespace, tmp: Path) -> tuple[Path, Path, str]:
    """(vault, data dir, label) for this run."""
    if args.in_place:
        if not args.vault or not args.data:
            raise SystemExit("--in-place needs --vault and --data")
        return args.vault, args.data, f"{args.vault} (in place)"
    vault = tmp / "vault"
    sys.path.insert(0, str(ROOT))
    if args.entries:
        from bench.synth_vault import generate

        generate(vault, args.entries, seed=1)
        label = f"synthetic {args.entries}"
    elif args.realstyle:
        from bench.realstyle_vault import generate as generate_real

        generate_real(vault, args.realstyle, seed=1)
        label = f"real-style {args.realstyle}"
    else:
        shutil.copytree(args.vault or ROOT / "vault", vault)
        label = str(args.vault or "sample vault")
    return vault, tmp / "data", label


def _commands(exe: str, query: str, target: float) -> list[tuple[str, list[str], bytes | None, float | None]]:
    """(row name, command, stdin, target) of each journal-me command timed."""
    return [
        ("journal-me --help", [exe, "--help"], None, TARGETS["--help"]),
        ("journal-me search --no-refresh", [exe, "search", query, "--no-refresh"], None, target),
        ("journal-me search", [exe, "search", query], None, target),
        ("journal-me entities", [exe, "entities"], None, None),  # what a user types (was --json:
        # it hid 3.6 s of Rich table layout at 6k notes)
        ("journal-me entities --json", [exe, "entities", "--json"], None, None),
        ("journal-me doctor", [exe, "doctor"], None, TARGETS["doctor"]),
        ("journal-me ask (memory-only)", [exe, "ask", query, "--no-save"], None, None),
        ("journal-me add -", [exe, "add", "-"], b"a bench line\n", TARGETS["add"]),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--vault", type=Path, help="a vault to copy (default: the sample vault)")
    ap.add_argument("--entries", type=int, help="generate a synthetic vault of N entries instead")
    ap.add_argument("--realstyle", type=int, help="generate a real-style vault of N notes instead")
    ap.add_argument("--in-place", action="store_true", help="use --vault and --data as they are")
    ap.add_argument("--data", type=Path, help="with --in-place: the vault's data dir")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--query", default="when did I start running?")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument(
        "--exe",
        help="the journal-me to time (default: the venv's); e.g. a script running another checkout, "
        "to compare two versions on the same vault and data dir",
    )
    ap.add_argument(
        "--before-exe",
        help="also time this journal-me (the old code, e.g. a script running a worktree of an earlier "
        "commit) in the same run, each command right before the new one: a before -> after column "
        "that a busy machine affects alike (both must read the same index schema)",
    )
    ap.add_argument("--no-add", action="store_true", help="skip `add` (it writes to the vault)")
    args = ap.parse_args(argv)

    exe = args.exe or shutil.which("journal-me", path=str(Path(sys.executable).parent)) or "journal-me"
    jrnl = Path(sys.executable).parent / "jrnl"
    rg = shutil.which("rg")
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp_s:
        tmp = Path(tmp_s)
        vault, data, label = _prepare(args, tmp)
        # bytecode caches written, as an installed package has them (a shell that sets
        # PYTHONDONTWRITEBYTECODE would otherwise time the compiling of every module)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("JOURNAL_ME_") and k != "PYTHONDONTWRITEBYTECODE"
        }
        env.update(
            JOURNAL_ME_VAULT=str(vault),
            JOURNAL_ME_DATA_DIR=str(data),
            JOURNAL_ME_CONFIG=str(tmp / "config.toml"),
        )
        t0 = time.perf_counter()
        subprocess.run([exe, "index"], env=env, check=True, stdout=subprocess.DEVNULL)
        first_index = time.perf_counter() - t0
        sample = not (args.vault or args.entries or args.realstyle)
        search_target = SAMPLE_SEARCH_TARGET if sample else TARGETS["search"]
        word = "running"
        rows = [
            measure("python -c pass (floor)", [sys.executable, "-c", "pass"], env, args.runs),
            measure(f"grep -ril {word} (baseline)", ["grep", "-ril", word, str(vault)], env, args.runs),
        ]
        if rg:
            rows.append(measure(f"rg -il {word} (baseline)", [rg, "-il", word, str(vault)], env, args.runs))
        if jrnl.exists():
            rows.append(measure("jrnl --help (baseline)", [str(jrnl), "--help"], env, args.runs))
        before = _commands(args.before_exe, args.query, search_target) if args.before_exe else None
        for i, (name, cmd, stdin, target) in enumerate(_commands(exe, args.query, search_target)):
            if args.no_add and cmd[1] == "add":
                continue
            old = None
            if before is not None:
                old = measure(name, before[i][1], env, args.runs, stdin=before[i][2], target=target)
            row = measure(name, cmd, env, args.runs, stdin=stdin, target=target)
            if old is not None:
                row["before"] = {k: old[k] for k in ("median_s", "cpu_s", "peak_rss_mb", "holds")}
            rows.append(row)
        if not args.no_add:
            # the refresh after an add: one changed file to index
            rows.append(
                measure("journal-me search (after add)", [exe, "search", args.query], env, 1, warm_up=False)
            )
    grep = rows[1]["median_s"] or 1e-9
    result = {
        "exe": exe,
        "before_exe": args.before_exe,
        "vault": label,
        "first_index_s": round(first_index, 2),
        "load_avg": os.getloadavg(),
        "cpus": os.cpu_count(),
        "rows": rows,
    }
    print(f"vault: {label}; first full index: {first_index:.2f} s; load average {os.getloadavg()[0]:.1f}")
    print(f"{'command':32} {'median s':>9} {'max s':>7} {'cpu s':>6} {'× grep':>7} {'RSS MB':>7} target")
    for r in rows:
        target = "" if r["target_s"] is None else f"≤{r['target_s']} {'ok' if r['holds'] else 'MISSED'}"
        was = ""
        if "before" in r:
            b = r["before"]
            was = f"  before: {b['median_s']:.3f} s, cpu {b['cpu_s']:.3f}, {b['peak_rss_mb']:.0f} MB"
        print(
            f"{r['name']:32} {r['median_s']:9.3f} {r['max_s']:7.3f} {r['cpu_s']:6.3f} "
            f"{r['median_s'] / grep:7.1f} {r['peak_rss_mb']:7.1f} {target}  exit {r['exit_codes']}{was}"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
