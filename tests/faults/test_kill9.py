"""`kill -9` at random points of add, save_entry, index --rebuild, train and publish (issue 15).

Promise: whatever moment a process dies, every write it reported done is on disk, no file is
torn or unparseable, the index, the registry and the training state load, and the next start
leaves no temp file or unfinished folder behind. Bounded loops; the whole module runs in
about a minute and a half on two cores. See tests/faults/conftest.py for the counts.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
from pathlib import Path

from .conftest import Counts, FaultEnv, invalid_json, leftover_files, run_and_kill

ADD_KILLS = 6
CLI_ADD_KILLS = 3
SAVE_KILLS = 6
REBUILD_KILLS = 5
PUBLISH_KILLS = 6
TRAIN_KILLS = 2

ADD_DRIVER = r"""
import datetime as dt, sys
from journal_me.api import open_vault
first = int(sys.argv[1])
journal = open_vault()
print("ready", flush=True)
for i in range(first, first + 400):
    journal.append(f"fault-add {i:05d} {'lorem ' * (i % 9)}END", dt.date(2026, 1, 1 + i % 4))
    print(f"ok {i}", flush=True)
"""

SAVE_DRIVER = r"""
import sys
from journal_me.api import open_vault
rel, first = sys.argv[1], int(sys.argv[2])
journal = open_vault()
print("ready", flush=True)
for i in range(first, first + 400):
    text, digest = journal.read_text(rel)
    result = journal.save_entry(rel, text + f"save {i:05d} END\n", digest)
    assert result.saved and not result.conflict_rel, result
    print(f"ok {i}", flush=True)
"""

PUBLISH_DRIVER = r"""
import sys
from journal_me.config import load_settings
from journal_me.models import ModelRegistry
registry = ModelRegistry(load_settings())
print("ready", flush=True)
for _ in range(400):
    added = registry.add_adapter(sys.argv[1], {"source": "fault test"}, activate=True)
    print(f"ok {added.version}", flush=True)
"""

ADD_LINE = re.compile(r"^fault-add (\d{5}) (?:lorem )*END$")
CLI_LINE = re.compile(r"^fault-cli (\d{5}) END$")


def _markers(vault: Path, word: str, line_re: re.Pattern[str]) -> tuple[list[int], int]:
    """(ids found, torn lines) of the marker lines in every entry; an unreadable file or a
    marker line that does not match in full counts as torn."""
    found: list[int] = []
    torn = 0
    for path in vault.rglob("*.md"):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            torn += 1
            continue
        for line in text.splitlines():
            if word in line:
                match = line_re.match(line.strip())
                if match:
                    found.append(int(match.group(1)))
                else:
                    torn += 1
    return found, torn


def _next_start(env: FaultEnv) -> None:
    """What the next `journal-me` start does: open the vault and bring the index up to date."""
    from journal_me.api import open_vault

    journal = open_vault(settings=env.settings())
    try:
        journal.reindex()
    finally:
        journal.close()


def _check_adds(
    env: FaultEnv, counts: Counts, confirmed: set[int], word: str, line_re: re.Pattern[str]
) -> None:
    found, torn = _markers(env.vault, word, line_re)
    counts.confirmed = len(confirmed)
    counts.present = len(confirmed & set(found))
    duplicates = len(found) - len(set(found))  # a write applied twice is not a clean write
    counts.invalid += torn + duplicates + len(invalid_json(env.data))


def _finish(env: FaultEnv, counts: Counts) -> None:
    """The next start, some time later: temp files a live writer could still own (younger
    than ten minutes) are left alone by design, so age them first."""
    import os
    import time

    old = time.time() - 3600
    for tmp in leftover_files(env.vault, env.data):
        os.utime(tmp, (old, old))
    _next_start(env)
    counts.leftovers += len(leftover_files(env.vault, env.data))
    counts.invalid += len(invalid_json(env.data))


def _assert_no_loss(counts: Counts) -> None:
    assert counts.attempts > 0
    assert (counts.lost, counts.invalid, counts.leftovers) == (0, 0, 0), counts


# --------------------------------------------------------------------------- add


def test_kill_9_add(fault_env: FaultEnv, counts: Counts, rng: random.Random) -> None:
    confirmed: set[int] = set()
    first = 0
    for _ in range(ADD_KILLS):
        killed = run_and_kill(
            fault_env.driver(ADD_DRIVER, str(first)),
            fault_env.environ(),
            delay=rng.uniform(0.0, 0.8),
            after_ready=True,
        )
        counts.attempts += 1
        confirmed |= {int(c) for c in killed.confirmed}
        found, _torn = _markers(fault_env.vault, "fault-add", ADD_LINE)
        first = max([first - 1, *found, *confirmed]) + 1
    _check_adds(fault_env, counts, confirmed, "fault-add", ADD_LINE)
    # the CLI command itself, killed anywhere between start and exit
    timing = subprocess.run(
        fault_env.cli("add", "fault-cli 99999 END"), env=fault_env.environ(), capture_output=True, timeout=60
    )
    assert timing.returncode == 0, timing.stderr
    cli_confirmed: set[int] = {99999}
    for n in range(CLI_ADD_KILLS):
        killed = run_and_kill(
            fault_env.cli("add", f"fault-cli {n:05d} END"),
            fault_env.environ(),
            delay=rng.uniform(0.3, 2.5),
            after_ready=False,
        )
        counts.attempts += 1
        if killed.finished and killed.returncode == 0:
            cli_confirmed.add(n)
    cli_counts = Counts("cli")
    _check_adds(fault_env, cli_counts, cli_confirmed, "fault-cli", CLI_LINE)
    counts.confirmed += cli_counts.confirmed
    counts.present += cli_counts.present
    counts.invalid += cli_counts.invalid
    _finish(fault_env, counts)
    assert counts.confirmed > 0
    _assert_no_loss(counts)


# --------------------------------------------------------------------------- save_entry


def test_kill_9_save_entry(fault_env: FaultEnv, counts: Counts, rng: random.Random) -> None:
    rel = "journal/2025/" + sorted(p.name for p in (fault_env.vault / "journal/2025").glob("*.md"))[0]
    path = fault_env.vault / rel
    original = path.read_text(encoding="utf-8")
    confirmed: set[int] = set()
    last = -1
    # random kills inside the first saves, and a last one late enough that saves were
    # confirmed even on a loaded machine (a first save there can take over a second)
    delays = [rng.uniform(0.0, 0.8) for _ in range(SAVE_KILLS - 1)] + [3.0]
    for delay in delays:
        killed = run_and_kill(
            fault_env.driver(SAVE_DRIVER, rel, str(last + 1)),
            fault_env.environ(),
            delay=delay,
            after_ready=True,
        )
        counts.attempts += 1
        confirmed |= {int(c) for c in killed.confirmed}
        # the file is exactly one of the versions written: the original plus saves 0..last
        text = path.read_text(encoding="utf-8")
        saved = [int(m) for m in re.findall(r"^save (\d{5}) END$", text, flags=re.M)]
        last = saved[-1] if saved else -1
        if text != original + "".join(f"save {i:05d} END\n" for i in range(last + 1)):
            counts.invalid += 1
    counts.confirmed = len(confirmed)
    counts.present = len({i for i in confirmed if i <= last})
    counts.invalid += len(invalid_json(fault_env.data))
    conflicts = [p for p in fault_env.vault.rglob("*.md") if ".conflict-" in p.name]
    counts.invalid += len(conflicts)  # nobody else wrote: a conflict copy would be spurious
    _finish(fault_env, counts)
    assert counts.confirmed > 0
    _assert_no_loss(counts)


# --------------------------------------------------------------------------- index --rebuild


def _search_works(env: FaultEnv, word: str, rel: str) -> bool:
    from journal_me.api import open_vault

    journal = open_vault(settings=env.settings())
    try:
        journal.reindex()  # the next start catches up (a killed rebuild is redone)
        hits = journal.search(word)
        return not journal.index_incomplete and any(getattr(h, "rel", None) == rel for h in hits)
    finally:
        journal.close()


def test_kill_9_index_rebuild(fault_env: FaultEnv, counts: Counts, rng: random.Random) -> None:
    import time

    marker = fault_env.vault / "notes" / "quokka.md"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("The zanzibarquokka walk by the canal.\n", encoding="utf-8")
    started = time.monotonic()
    full = subprocess.run(
        fault_env.cli("index", "--rebuild"), env=fault_env.environ(), capture_output=True, timeout=120
    )
    took = time.monotonic() - started
    assert full.returncode == 0, full.stderr
    for _ in range(REBUILD_KILLS):
        run_and_kill(
            fault_env.cli("index", "--rebuild"),
            fault_env.environ(),
            delay=rng.uniform(0.3, 1.0) * took,
            after_ready=False,
        )
        counts.attempts += 1
        counts.confirmed += 1  # every entry of the vault is a write the index must keep
        if _search_works(fault_env, "zanzibarquokka", "notes/quokka.md"):
            counts.present += 1
        else:
            counts.invalid += 1
    _finish(fault_env, counts)
    _assert_no_loss(counts)


# --------------------------------------------------------------------------- publish


def test_kill_9_publish(fault_env: FaultEnv, counts: Counts, rng: random.Random, tmp_path: Path) -> None:
    from journal_me.models import ModelRegistry
    from trainer.tiny_gguf import build_tiny_adapter, build_tiny_gguf

    base = build_tiny_gguf(tmp_path / "tiny.gguf")
    adapter = build_tiny_adapter(tmp_path / "tiny-lora.gguf")
    registry = ModelRegistry(fault_env.settings())
    registry.register_base(base, name="tiny")
    registry.use("tiny")
    confirmed: set[str] = set()
    for _ in range(PUBLISH_KILLS):
        run = run_and_kill(
            fault_env.driver(PUBLISH_DRIVER, str(adapter)),
            fault_env.environ(),
            delay=rng.uniform(0.0, 0.6),
            after_ready=True,
        )
        counts.attempts += 1
        confirmed |= set(run.confirmed)
        fresh = ModelRegistry(fault_env.settings())
        fresh.clean_leftovers()  # what the next start does (once per process)
        try:
            active = fresh.active()
            published = {a.version: a for a in fresh.adapters()}
        except Exception:
            counts.invalid += 1
            continue
        versions = sorted(published)
        ok_sizes = all(a.gguf.stat().st_size == adapter.stat().st_size for a in published.values())
        # the newest adapter is active, or the one before it (killed between add and activate)
        allowed: list[str | None] = [None, *versions][-2:]
        active_version = active.adapter.version if active.adapter else None
        if not ok_sizes or active.base is None or active_version not in allowed:
            counts.invalid += 1
        counts.present = len(confirmed & set(published))
        unfinished = [d for d in fresh.adapters_dir.iterdir() if d.name not in published]
        counts.leftovers += len(unfinished)
    counts.confirmed = len(confirmed)
    _finish(fault_env, counts)
    assert counts.confirmed > 0
    _assert_no_loss(counts)


# --------------------------------------------------------------------------- train


def test_kill_9_train(fault_env: FaultEnv, counts: Counts, rng: random.Random) -> None:
    """`train` (tiny, bounded) killed during synthesis, filtering or training: the active
    model is untouched and the next run's start cleans the dead run up."""
    from journal_me.models import ModelRegistry
    from trainer import guards, state
    from trainer.export import convert_base_to_gguf
    from trainer.tiny import build_tiny_model

    hf = build_tiny_model(fault_env.root / "hf", "llama", max_positions=1024)
    gguf = convert_base_to_gguf(hf, fault_env.root / "tiny.gguf")
    settings = fault_env.settings()
    registry = ModelRegistry(settings)
    registry.register_base(gguf, name="tiny", hf_dir=hf)
    registry.use("tiny")
    pointer = registry.pointer_file.read_bytes()
    for _ in range(TRAIN_KILLS):
        run_and_kill(
            fault_env.cli("train", "--allow-cpu", "--max-steps", "2", "--synth", "templates"),
            fault_env.environ(),
            delay=rng.uniform(2.0, 9.0),
            after_ready=False,
        )
        counts.attempts += 1
        counts.confirmed += 1  # the active model is the write that must survive
        try:
            raw = json.loads(state.state_file(settings).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raw = {}
        except ValueError:
            counts.invalid += 1
            raw = {}
        if (
            registry.pointer_file.read_bytes() == pointer
            and ModelRegistry(settings).active().base is not None
        ):
            counts.present += 1
        # the next run's start: it holds the lock, so the dead run cannot be alive
        with guards.TrainLock(state.train_dir(settings) / "train.lock") as lock:
            assert lock.acquire()
            state.recover(settings, raw if isinstance(raw, dict) else {})
        runs = state.runs_dir(settings)
        if runs.is_dir():
            counts.leftovers += sum(
                1 for r in runs.iterdir() if state.read_run(r).get("status") not in state.FINISHED
            )
    _finish(fault_env, counts)
    _assert_no_loss(counts)
