"""Parse benchmark: entity extraction and ``vault.parse_entry`` per MB, and a 1,000,000-line file.

Run: ``python bench/bench_parse.py [--sizes 0.5,1,2,5] [--lines 1000000] [--seed 1] [--profile]``

Seconds are CPU seconds of this process (``time.process_time``): the machines these run on
are shared, and wall time moves with the neighbours' load.

The text is generated like a long one-file-per-year journal: dated headings, paragraphs,
lists, blockquotes and callouts, fenced code, tables, ``[[links]]`` (with aliases, headings
and embeds), ``#tags``, ``@mentions``, and prose in several scripts (Latin with accents,
Cyrillic, Greek, CJK, Arabic). Each line of output is one measurement; the per-MB figures
should stay flat as the size grows (linear cost). Last, a file of ``--lines`` short lines at
about the vault's 5 MiB cap (bodies over ``markup.FAST_PARSE_LINES`` lines are read by the
line scanner, not markdown-it). ``--profile`` prints the top functions of that parse.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from journal_me.memory.entities import extract_mentions
from journal_me.vault import parse_entry

NAMES = ["Priya", "Sam Okafor", "Dev", "Mira", "Tom", "Aisha", "Theo", "Graham", "Lily"]
PLACES = ["Leith", "Water of Leith", "Arthur's Seat", "Broughton Street", "Tidewater Labs", "Stanage Edge"]
PROSE = [
    "Walked to {p} with {n} after work; the light was gold on the water.",
    "{n} said the meeting ran long, so we got chips near {p} and talked about the move.",
    "Slept badly again. Coffee, then a slow morning with the window open.",
    "Café au lait à {p}, très calme. Ça fait du bien de ralentir un peu.",
    "Heute mit {n} in {p} gewesen, es hat die ganze Zeit geregnet. Schön trotzdem.",
    "Сегодня гуляли у реки, {n} рассказывал про новую работу.",
    "Σήμερα ήπιαμε καφέ με τον {n} κοντά στο λιμάνι.",
    "今日は{n}と駅前の本屋に行った。雨が止まなかった。",
    "ذهبنا إلى السوق مع {n} واشترينا الخبز والزيتون.",
    "Ran 10k along the canal, legs heavy but kept going. #running",
    "Texted [[{n}]] about Saturday; @Mira is in too. #friends",
    "Read three chapters of the novel {n} lent me. [[Books#To read|reading list]]",
]


def real_style_text(n_bytes: int, seed: int = 1) -> str:
    """Markdown shaped like a long diary file, about ``n_bytes`` of UTF-8."""
    rng = random.Random(seed)
    day = dt.date(2020, 1, 1)
    out: list[str] = []
    size = 0

    def emit(block: str) -> None:
        nonlocal size
        out.append(block)
        size += len(block.encode("utf-8")) + 2

    while size < n_bytes:
        emit(f"## {day.isoformat()} {day.strftime('%A')}")
        day += dt.timedelta(days=1)
        for _ in range(rng.randint(1, 4)):
            kind = rng.random()
            fill = {"n": rng.choice(NAMES), "p": rng.choice(PLACES)}
            if kind < 0.55:
                emit(" ".join(rng.choice(PROSE).format(**fill) for _ in range(rng.randint(1, 5))))
            elif kind < 0.7:
                emit("\n".join(f"- {rng.choice(PROSE).format(**fill)}" for _ in range(rng.randint(2, 5))))
            elif kind < 0.78:
                emit(f"> [!note]- {fill['n']}\n> {rng.choice(PROSE).format(**fill)}")
            elif kind < 0.84:
                emit(f"```python\ntotal = {rng.randint(1, 999)}  # #not-a-tag\nprint(total)\n```")
            elif kind < 0.9:
                emit(f"| who | where |\n|---|---|\n| [[{fill['n']}\\|{fill['n'][:3]}]] | {fill['p']} |")
            elif kind < 0.95:
                emit(f"![[IMG_{rng.randint(1000, 9999)}.jpg]] [[#{day.isoformat()}]] #photo")
            else:
                emit(f"1. {rng.choice(PROSE).format(**fill)}\n2. ask {fill['n']} about {fill['p']}")
    return "\n\n".join(out)


def _parse(text: str) -> float:
    raw = text.encode("utf-8")
    t0 = time.process_time()
    parse_entry("big.md", raw, path=Path("/bench/big.md"), mtime=0.0)
    return time.process_time() - t0


def _extract(text: str) -> float:
    entry = parse_entry("big.md", text.encode("utf-8"), path=Path("/bench/big.md"), mtime=0.0)
    t0 = time.process_time()
    extract_mentions(entry)
    return time.process_time() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="0.5,1,2,5", help="MB sizes, comma separated")
    ap.add_argument("--lines", type=int, default=1_000_000, help="lines of the big file (0: skip)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args(argv)

    print(f"{'what':<12}{'MB':>8}{'lines':>10}{'seconds':>10}{'s/MB':>8}")
    for mb in [float(s) for s in args.sizes.split(",") if s.strip()]:
        text = real_style_text(int(mb * 1_000_000), args.seed)
        real_mb = len(text.encode("utf-8")) / 1e6
        lines = text.count("\n") + 1
        for what, fn in (("extraction", _extract), ("parse_entry", _parse)):
            sec = fn(text)
            print(f"{what:<12}{real_mb:>8.2f}{lines:>10}{sec:>10.2f}{sec / real_mb:>8.2f}", flush=True)
    if args.lines:
        # a file at the vault's size cap (5 MiB) with a million lines: short lines, as in a
        # long log or a list-heavy diary; every kind of block, fences left open and closed
        rng = random.Random(args.seed)
        pool = [
            "- ok",
            "",
            "Tea with @Mira.",
            "- [[Sam]] #walk",
            "## Mon",
            "> hm",
            "1. x",
            "Rain",
            "```",
            "| a |",
        ]
        text = "\n".join(rng.choice(pool) for _ in range(args.lines))
        real_mb = len(text.encode("utf-8")) / 1e6
        prof = cProfile.Profile() if args.profile else None
        if prof:
            prof.enable()
        sec = _parse(text)
        if prof:
            prof.disable()
        print(f"{'1M lines':<12}{real_mb:>8.2f}{args.lines:>10}{sec:>10.2f}{sec / real_mb:>8.2f}", flush=True)
        sec = _extract(text)
        print(
            f"{'  extraction':<12}{real_mb:>8.2f}{args.lines:>10}{sec:>10.2f}{sec / real_mb:>8.2f}",
            flush=True,
        )
        if prof:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
