"""A newcomer's whole-process run of journal-me on a real vault, as a user types it.

Run: ``python bench/newcomer_run.py VAULT_DIR [--work DIR] [--query Q ...] [--ask Q] [--keep-data]``

Every command is a fresh ``journal-me`` process with ``JOURNAL_ME_VAULT`` (a copy of the vault,
since ``add`` writes one line into today's note), ``JOURNAL_ME_DATA_DIR`` and
``JOURNAL_ME_CONFIG`` (an empty file) pointing into ``--work`` (a temp dir by default): the
user's own data dir and config are never touched. In order: ``--help``, the first ``index``,
``search`` for each query (English plus other languages: pick words the vault has), ``doctor``,
``entities --type person`` and ``--type topic`` (top 30), ``ask`` (memory-only when no model is
installed), ``chats list`` and ``chats show`` of that conversation (the CLI has no command that
prints a search hit), ``add``, and ``search`` once more (the refresh after ``add``).

Each row: exit code, wall seconds, CPU seconds (user + sys of the process and its children,
``os.wait4``: what the command costs on a busy machine), peak RSS and the 1-minute load average
at its start. Outputs go to ``WORK/out/NN-name.{out,err}`` to be read as a user would; a
traceback on stderr is flagged in the table. At the end: the vault's ``.md`` bytes against
the data dir's size.

The default queries fit the obsidian-help vault (``git show`` its ``.md`` files into a folder).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_QUERIES = [
    "how do I sync my vault between devices",
    "keyboard shortcut command palette",
    "import notes from Evernote",
    "Tastenkürzel",  # German
    "プラグイン",  # Japanese
]
DEFAULT_ASK = "How do I publish my notes to a website?"


@dataclass
class Row:
    name: str
    code: int
    wall: float
    cpu: float
    rss_mb: float
    load1: float
    traceback: bool


def journal_me() -> list[str]:
    exe = Path(sys.executable).with_name("journal-me")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "journal_me"]


def run(name: str, args: list[str], env: dict[str, str], out_dir: Path, n: int) -> tuple[Row, str]:
    """One fresh process; its stdout and stderr are kept under out_dir."""
    stem = out_dir / f"{n:02d}-{name.replace(' ', '_').replace('/', '_')[:40]}"
    load1 = os.getloadavg()[0]
    t0 = time.perf_counter()
    with open(f"{stem}.out", "wb") as fo, open(f"{stem}.err", "wb") as fe:
        proc = subprocess.Popen(journal_me() + args, env=env, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe)
        _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = Path(f"{stem}.err").read_text("utf-8", "replace")
    out = Path(f"{stem}.out").read_text("utf-8", "replace")
    row = Row(
        name,
        os.waitstatus_to_exitcode(status),
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        load1,
        "Traceback (most recent call last)" in err or "Traceback (most recent call last)" in out,
    )
    return row, out


def tree_bytes(path: Path, suffix: str | None = None) -> int:
    total = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink() and (suffix is None or p.suffix == suffix):
            total += p.stat().st_size
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("vault", type=Path)
    ap.add_argument("--work", type=Path, help="where the vault copy, data dir and outputs go")
    ap.add_argument(
        "--query", action="append", help="a search query (repeatable; default: 5 for obsidian-help)"
    )
    ap.add_argument("--ask", default=DEFAULT_ASK)
    ap.add_argument("--in-place", action="store_true", help="use VAULT as it is (add writes to it)")
    a = ap.parse_args(argv)
    work = a.work or Path(tempfile.mkdtemp(prefix="jm-newcomer-"))
    work.mkdir(parents=True, exist_ok=True)
    vault = a.vault.resolve()
    if not a.in_place:
        copy = work / "vault"
        if copy.exists():
            shutil.rmtree(copy)
        shutil.copytree(vault, copy, symlinks=True)
        vault = copy
    data = work / "data"
    if data.exists():
        shutil.rmtree(data)
    out_dir = work / "out"
    out_dir.mkdir(exist_ok=True)
    config = work / "config.toml"
    config.write_text("", "utf-8")
    env = dict(os.environ)
    env.update(JOURNAL_ME_VAULT=str(vault), JOURNAL_ME_DATA_DIR=str(data), JOURNAL_ME_CONFIG=str(config))

    notes = sum(1 for _ in vault.rglob("*.md"))
    queries = a.query or DEFAULT_QUERIES
    steps: list[tuple[str, list[str]]] = [("--help", ["--help"]), ("index", ["index"])]
    steps += [(f"search {q}", ["search", q]) for q in queries]
    steps += [
        ("doctor", ["doctor"]),
        ("entities person", ["entities", "--type", "person", "--limit", "30"]),
        ("entities topic", ["entities", "--type", "topic", "--limit", "30"]),
        ("ask", ["ask", a.ask]),
        ("chats list", ["chats", "list"]),
    ]
    rows: list[Row] = []
    n = 0
    for name, args in steps:
        n += 1
        row, out = run(name, args, env, out_dir, n)
        rows.append(row)
        if name == "chats list":
            ids = [line.split()[0] for line in out.splitlines() if line.strip()]
            if ids:
                n += 1
                rows.append(run("chats show", ["chats", "show", ids[-1]], env, out_dir, n)[0])
    for name, args in [
        ("add", ["add", "newcomer run: tried journal-me on the Obsidian help vault"]),
        (f"search {queries[0]} (after add)", ["search", queries[0]]),
    ]:
        n += 1
        rows.append(run(name, args, env, out_dir, n)[0])

    print(f"vault: {a.vault}  ({notes} .md files before add)  cores: {os.cpu_count()}")
    print(f"{'command':<44} {'rc':>3} {'wall s':>8} {'cpu s':>8} {'RSS MB':>7} {'load1':>6}  tb")
    for r in rows:
        tb = "TRACEBACK" if r.traceback else ""
        print(
            f"{r.name[:44]:<44} {r.code:>3} {r.wall:>8.2f} {r.cpu:>8.2f} {r.rss_mb:>7.0f}"
            f" {r.load1:>6.1f}  {tb}"
        )
    md = tree_bytes(vault, ".md")
    dd = tree_bytes(data) if data.exists() else 0
    print(f"vault .md bytes: {md / 1e6:.1f} MB   data dir: {dd / 1e6:.1f} MB   ratio: {dd / max(md, 1):.2f}x")
    if data.exists():
        files = [p for p in data.rglob("*") if p.is_file() and not p.is_symlink()]
        for p in sorted(files, key=lambda p: -p.stat().st_size)[:8]:  # the largest files
            print(f"  {str(p.relative_to(data))[-60:]:<60} {p.stat().st_size / 1e6:8.1f} MB")
    print(f"outputs: {out_dir}")
    return 1 if any(r.code != 0 or r.traceback for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
