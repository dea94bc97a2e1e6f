"""How cost grows with the vault: 1k / 5k / 10k / 20k real-style notes.

For each size, on a vault from ``bench/realstyle_vault.py`` (same seed, so the 5k vault's
notes look like the 1k vault's, only more of them):

- first index: ``journal-me index`` as a whole process on an empty data dir: wall time, CPU
  time (the process and its index sub-writers), peak memory (PSS) of the process tree (sampled every
  0.1 s: the parent plus its sub-writers, summed);
- data dir size after it, and the vault's text size (``.md`` bytes) for the ratio;
- search p95, warm, in process: one process opens the vault, runs the queries once, then
  times ``--rounds`` rounds of them (``Journal.search(limit=10)``);
- CLI start: ``journal-me search <word> --no-refresh`` as a whole process, median and p95 of
  ``--cli-runs`` runs after one warm-up.

Then a least-squares fit of log(cost) on log(n) for each column (the exponent: 1.0 is linear,
~0 is flat) and a log-log plot. Everything runs under a temp folder (``JOURNAL_ME_DATA_DIR``,
``JOURNAL_ME_CONFIG`` pointed there); generated vaults are kept in ``--vaults`` for reruns.

Run: ``.venv/bin/python bench/bench_scale.py --sizes 1000 5000 10000 20000 --write-docs``
(``--write-docs`` writes docs/scaling.md and docs/scaling.svg; JSON goes to bench/out/).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.realstyle_vault import END_DATE, PEOPLE, PLACES, TOPICS, generate  # noqa: E402

EXE = [sys.executable, "-m", "journal_me.cli"]


def queries(seed: int = 7, n: int = 40) -> list[str]:
    """Questions a user of such a vault asks: people, places, topics, plain words."""
    rng = random.Random(seed)
    people = [name for name, _ in PEOPLE[:25]]
    forms = [
        lambda: f"what did I talk about with {rng.choice(people)}",
        lambda: f"notes on {rng.choice(TOPICS)}",
        lambda: f"the trip to {rng.choice(PLACES)}",
        lambda: f"{rng.choice(people)} and {rng.choice(TOPICS)}",
        lambda: f"when did I last write about {rng.choice(TOPICS)}?",
        lambda: f"meeting notes {rng.choice(PLACES)} project",
    ]
    return [rng.choice(forms)() for _ in range(n)]


def env_for(vault: Path, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOURNAL_ME_")}
    env.update(
        JOURNAL_ME_VAULT=str(vault),
        JOURNAL_ME_DATA_DIR=str(data),
        JOURNAL_ME_CONFIG=str(data.parent / "no-config.toml"),
    )
    return env


def _tree_rss(pid: int) -> int:
    """Memory of a process and all its descendants (0 once gone): PSS where Linux gives it
    (a forked sub-writer shares its parent's pages; RSS would count them twice), else RSS."""
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            try:
                total += p.memory_full_info().pss
            except (AttributeError, psutil.AccessDenied):
                total += p.memory_info().rss
    return total


def run_measured(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a command: wall, CPU (with its waited-for children), peak tree RSS, exit code."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=tempfile.gettempdir(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = 0
    loads: list[float] = []  # 1-minute load average, every second: wall times mean little at 10+
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        ticks = 0
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            if ticks % 10 == 0:
                loads.append(os.getloadavg()[0])
            ticks += 1
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": max(peak, usage.ru_maxrss * 1024) / 1e6,
        "rc": proc.returncode,
        "stderr_tail": err[-400:].decode("utf-8", "replace"),
        "load_mean": statistics.mean(loads) if loads else os.getloadavg()[0],
        "load_max": max(loads) if loads else os.getloadavg()[0],
    }


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def search_bench(vault: Path, data: Path, rounds: int) -> dict[str, Any]:
    """Warm in-process search latency (run in a fresh process, see ``--_search``)."""
    code = [*EXE[:1], str(Path(__file__).resolve()), "--_search", str(vault), str(data), str(rounds)]
    out = subprocess.run(code, env=env_for(vault, data), capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _search_child(vault: Path, rounds: int) -> None:
    from journal_me.api import open_vault

    journal = open_vault(vault)
    qs = queries()
    t0 = time.perf_counter()
    journal.search(qs[0], limit=10, today=END_DATE)
    first = time.perf_counter() - t0
    for q in qs:  # warm: the searcher, the numpy arrays of each segment
        journal.search(q, limit=10, today=END_DATE)
    times: list[float] = []
    cpu: list[float] = []  # on a shared machine the wall time is mostly other people's load
    hits = 0
    for _ in range(rounds):
        for q in qs:
            t, c = time.perf_counter(), time.process_time()
            found = journal.search(q, limit=10, today=END_DATE)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            hits += len(found)
    fast, why = journal._index.fast_path_status()
    print(
        json.dumps(
            {
                "first_ms": first * 1e3,
                "p50_ms": pct(times, 50) * 1e3,
                "p95_ms": pct(times, 95) * 1e3,
                "cpu_p50_ms": pct(cpu, 50) * 1e3,
                "cpu_p95_ms": pct(cpu, 95) * 1e3,
                "queries": len(qs) * rounds,
                "mean_hits": hits / max(1, len(times)),
                "fast_path": fast,
                "fast_path_why": why,
            }
        )
    )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def cli_start(vault: Path, data: Path, runs: int) -> dict[str, Any]:
    env = env_for(vault, data)
    cmd = [*EXE, "search", "lantern", "--no-refresh"]
    run_measured(cmd, env)  # warm-up: page cache
    rows = [run_measured(cmd, env) for _ in range(runs)]
    walls = [r["wall_s"] for r in rows]
    return {
        "median_s": statistics.median(walls),
        "p95_s": pct(walls, 95),
        "cpu_median_s": statistics.median(r["cpu_s"] for r in rows),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in rows),
        "rc": max(r["rc"] for r in rows),
    }


def slope(ns: list[int], ys: list[float]) -> float | None:
    """Least-squares exponent b of y = a * n^b (None with fewer than two usable points)."""
    pts = [(math.log(n), math.log(y)) for n, y in zip(ns, ys, strict=True) if y and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / den if den else None


def measure_size(n: int, seed: int, vaults: Path, tmp: Path, rounds: int, cli_runs: int) -> dict[str, Any]:
    vault = vaults / f"realstyle-{n}-s{seed}"
    if not vault.exists() or not any(vault.iterdir()):
        t0 = time.perf_counter()
        generate(vault, n, seed)
        print(f"[{n}] generated in {time.perf_counter() - t0:.1f}s", flush=True)
    text = sum(p.stat().st_size for p in vault.rglob("*.md"))
    data = tmp / f"data-{n}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    index = run_measured([*EXE, "index"], env_for(vault, data))
    if index["rc"] != 0:
        raise RuntimeError(f"index failed at {n}: {index['stderr_tail']}")
    size = dir_bytes(data)
    print(
        f"[{n}] index {index['wall_s']:.1f}s wall, {index['cpu_s']:.1f}s CPU, "
        f"{index['peak_rss_mb']:.0f} MB peak, load {index['load_mean']:.1f} (max {index['load_max']:.1f}); "
        f"data {size / 1e6:.1f} MB for {text / 1e6:.1f} MB text",
        flush=True,
    )
    parts = {
        p.name: dir_bytes(p) if p.is_dir() else p.stat().st_size
        for d in data.rglob("graph.sqlite3")
        for p in [d]
    }
    for d in data.rglob("index"):
        if d.is_dir():
            parts["index"] = dir_bytes(d)
    search = search_bench(vault, data, rounds)
    print(f"[{n}] search p95 {search['p95_ms']:.1f} ms (fast path {search['fast_path']})", flush=True)
    cli = cli_start(vault, data, cli_runs)
    print(f"[{n}] CLI search --no-refresh median {cli['median_s']:.2f}s", flush=True)
    return {
        "notes": n,
        "vault_text_bytes": text,
        "index": index,
        "data_dir_bytes": size,
        "data_parts_bytes": parts,
        "search": search,
        "cli_start": cli,
    }


COLUMNS: list[tuple[str, str, Any]] = [
    ("first index, wall (s)", "index_wall", lambda r: r["index"]["wall_s"]),
    ("load during the index (mean)", "index_load", lambda r: r["index"].get("load_mean", float("nan"))),
    ("first index, CPU (s)", "index_cpu", lambda r: r["index"]["cpu_s"]),
    ("index peak memory, tree (MB)", "index_rss", lambda r: r["index"]["peak_rss_mb"]),
    ("data dir (MB)", "data_mb", lambda r: r["data_dir_bytes"] / 1e6),
    ("search p95, warm (ms)", "search_p95", lambda r: r["search"]["p95_ms"]),
    ("search p95, warm, CPU (ms)", "search_cpu_p95", lambda r: r["search"].get("cpu_p95_ms", float("nan"))),
    ("CLI search --no-refresh, median (s)", "cli_median", lambda r: r["cli_start"]["median_s"]),
]


def table(rows: list[dict[str, Any]]) -> str:
    ns = [r["notes"] for r in rows]
    head = "| notes | text (MB) | " + " | ".join(c[0] for c in COLUMNS) + " | data / text |"
    lines = [head, "| " + " | ".join(["---"] * (len(COLUMNS) + 3)) + " |"]
    for r in rows:
        cells = [f"{r['notes']:,}", f"{r['vault_text_bytes'] / 1e6:.1f}"]
        cells += [f"{fn(r):.3g}" if fn(r) < 100 else f"{fn(r):.0f}" for _, _, fn in COLUMNS]
        cells.append(f"{r['data_dir_bytes'] / r['vault_text_bytes']:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    exps = []
    for _, _, fn in COLUMNS:
        b = slope(ns, [fn(r) for r in rows])
        exps.append("–" if b is None else f"n^{b:.2f}")
    lines.append("| growth (log-log fit) | | " + " | ".join(exps) + " | |")
    return "\n".join(lines)


def svg(rows: list[dict[str, Any]]) -> str:
    """A log-log plot of every column against n, each normalised to its value at the
    smallest n (so all fit one axis), written by hand: no plotting library is installed."""
    width, height, pad = 720, 440, 60
    ns = [r["notes"] for r in rows]
    series = []
    for label, key, fn in COLUMNS:
        if key == "index_load":  # the machine, not a cost
            continue
        ys = [fn(r) for r in rows]
        if ys[0] > 0:
            series.append((label, [y / ys[0] for y in ys]))
    xs = [math.log10(n) for n in ns]
    all_y = [math.log10(y) for _, ys in series for y in ys if y > 0] + [0.0, math.log10(ns[-1] / ns[0])]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = min(all_y) - 0.1, max(all_y) + 0.1

    def px(x: float) -> float:
        return pad + (x - x0) / (x1 - x0) * (width - 2 * pad)

    def py(y: float) -> float:
        return height - pad - (y - y0) / (y1 - y0) * (height - 2 * pad)

    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">journal-me cost vs notes '
        "(log-log, each series / its value at the smallest n)</text>",
    ]
    # axes, ticks at each n and each power of ten on y
    out.append(
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="black"/>'
    )
    out.append(f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="black"/>')
    for n, x in zip(ns, xs, strict=True):
        out.append(f'<text x="{px(x):.1f}" y="{height - pad + 16}" text-anchor="middle">{n:,}</text>')
    for e in range(math.floor(y0), math.ceil(y1) + 1):
        if y0 <= e <= y1:
            out.append(
                f'<line x1="{pad - 4}" y1="{py(e):.1f}" x2="{width - pad}" y2="{py(e):.1f}" stroke="#ddd"/>'
            )
            out.append(f'<text x="{pad - 8}" y="{py(e) + 4:.1f}" text-anchor="end">{10**e:g}x</text>')
    # the O(n) reference line
    out.append(
        f'<line x1="{px(xs[0]):.1f}" y1="{py(0):.1f}" x2="{px(xs[-1]):.1f}" '
        f'y2="{py(math.log10(ns[-1] / ns[0])):.1f}" stroke="#999" stroke-dasharray="5,4"/>'
    )
    out.append(
        f'<text x="{px(xs[-1]) - 4:.1f}" y="{py(math.log10(ns[-1] / ns[0])) - 6:.1f}" '
        'text-anchor="end" fill="#666">O(n)</text>'
    )
    for i, (label, ys) in enumerate(series):
        color = colors[i % len(colors)]
        pts = " ".join(f"{px(x):.1f},{py(math.log10(y)):.1f}" for x, y in zip(xs, ys, strict=True) if y > 0)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>')
        ly = pad + 16 * i
        out.append(
            f'<line x1="{pad + 10}" y1="{ly}" x2="{pad + 30}" y2="{ly}" stroke="{color}" stroke-width="2"/>'
        )
        out.append(f'<text x="{pad + 36}" y="{ly + 4}">{label}</text>')
    out.append(f'<text x="{width / 2}" y="{height - 14}" text-anchor="middle">notes (log scale)</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--_search"]:
        _search_child(Path(argv[1]), int(argv[3]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000, 20000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds over the 40 queries")
    ap.add_argument("--cli-runs", type=int, default=5)
    ap.add_argument("--vaults", type=Path, default=Path(tempfile.gettempdir()) / "journal-me-scale-vaults")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--write-docs", action="store_true", help="write docs/scaling.md and docs/scaling.svg")
    args = ap.parse_args(argv)
    rows: list[dict[str, Any]] = []
    started = dt.datetime.now().isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix="journal-me-scale-") as tmp:
        for n in sorted(args.sizes):
            rows.append(measure_size(n, args.seed, args.vaults, Path(tmp), args.rounds, args.cli_runs))
            result = {
                "started": started,
                "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load": os.getloadavg()},
                "rows": rows,
            }
            args.out.mkdir(parents=True, exist_ok=True)
            stamp = started.replace(":", "").replace("-", "")
            (args.out / f"scale-{stamp}.json").write_text(json.dumps(result, indent=1))
    print(table(rows))
    if args.write_docs and len(rows) >= 2:
        (ROOT / "docs" / "scaling.svg").write_text(svg(rows), encoding="utf-8")
        print("wrote docs/scaling.svg (the table goes into docs/scaling.md by hand, with the run's notes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
