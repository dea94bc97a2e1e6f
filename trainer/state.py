"""Where training keeps its state: the state file and the run directories.

Layout (per vault, under ``settings.vault_data_dir/train``)::

    state.json          last run, last completed run (with the journal fingerprint that makes
                        the nightly skip when nothing changed), last skip, a short history
    train.lock          held by the running job (see ``trainer.guards.TrainLock``)
    runs/<stamp>/       one run's datasets, adapters, reports and run.json (its status)
    cache/              model replies reused across nights (``trainer.cache``)

Crash safety: nothing here is what chats run on — publishing is the model registry's atomic
pointer switch, the very last step. A run killed at any point leaves a run directory whose
``run.json`` still says "running" and a state file that says so too; the next run (holding
the lock, so the dead one cannot still be alive) marks it interrupted and deletes its
directory, then starts clean.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from pathlib import Path
from typing import Any

from journal_me.config import Settings
from journal_me.fsutil import JsonFileError, read_json
from journal_me.models import write_json_atomic
from journal_me.timestamps import file_stamp
from journal_me.timestamps import now_iso as now_iso  # the one timestamp, re-exported

log = logging.getLogger(__name__)

HISTORY_LIMIT = 30
FINISHED = ("published", "refused", "failed", "stopped", "dry-run", "interrupted")


def _read(path: Path, what: str) -> dict[str, Any]:
    """A state JSON file, or {} when missing or unreadable (logged: the worst case is one
    unnecessary training run, but a mangled file is worth a line in the log)."""
    try:
        return read_json(path) or {}
    except JsonFileError as exc:
        log.warning("%s unreadable, read as empty: %s", what, exc)
        return {}


def train_dir(settings: Settings) -> Path:
    return settings.vault_data_dir / "train"


def state_file(settings: Settings) -> Path:
    return train_dir(settings) / "state.json"


def runs_dir(settings: Settings) -> Path:
    return train_dir(settings) / "runs"


def read_state(settings: Settings) -> dict[str, Any]:
    """The state file, or an empty state (a corrupt file is treated as empty, not fatal:
    the worst case is one unnecessary training run)."""
    return _read(state_file(settings), "training state")


def write_state(settings: Settings, state: dict[str, Any]) -> None:
    write_json_atomic(state_file(settings), state)


def record(settings: Settings, state: dict[str, Any], entry: dict[str, Any]) -> None:
    """Append ``entry`` (a finished run or a skip) to the history and save."""
    history = state.setdefault("history", [])
    history.append(entry)
    del history[:-HISTORY_LIMIT]
    write_state(settings, state)


def new_run_dir(settings: Settings) -> Path:
    root = runs_dir(settings)
    root.mkdir(parents=True, exist_ok=True)
    stamp = file_stamp()
    for n in range(100):
        path = root / (stamp if n == 0 else f"{stamp}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"cannot create a run directory under {root}")


def write_run(run_dir: Path, **fields: Any) -> None:
    """Merge ``fields`` into the run's ``run.json``."""
    path = run_dir / "run.json"
    data = _read(path, "run record")
    data.update(fields)
    write_json_atomic(path, data)


def read_run(run_dir: Path) -> dict[str, Any]:
    return _read(run_dir / "run.json", "run record")


def recover(settings: Settings, state: dict[str, Any]) -> list[str]:
    """Clean up after runs that died (call with the lock held). Returns what was done."""
    notes: list[str] = []
    running = state.pop("running", None)
    if isinstance(running, dict):
        step = running.get("step") or "start"
        notes.append(
            f"the run started {running.get('started', '?')} was interrupted during {step}; "
            "the active model was not changed"
        )
        state["last_run"] = {
            "status": "interrupted",
            "started": running.get("started"),
            "finished": now_iso(),
            "step": step,
            "reason": f"interrupted during {step} (killed, crashed or powered off)",
        }
        record(settings, state, dict(state["last_run"]))
    leftovers = [
        *train_dir(settings).glob(".state.json.*.tmp"),
        *(train_dir(settings) / "cache").glob(".cache.*"),
    ]
    for tmp in leftovers:  # temp files of a killed writer (the lock says none is alive)
        with contextlib.suppress(OSError):
            tmp.unlink()
    if leftovers:
        notes.append(f"removed {len(leftovers)} temp file(s) a killed run left")
    root = runs_dir(settings)
    if root.is_dir():
        for run in sorted(root.iterdir()):
            if run.is_dir() and read_run(run).get("status") not in FINISHED:
                shutil.rmtree(run, ignore_errors=True)
                notes.append(f"removed the unfinished run directory {run.name}")
    return notes


def prune_runs(settings: Settings, keep: int, *, current: Path | None = None) -> None:
    """Keep the newest ``keep`` run directories (``current`` included). Older ones go; in
    the kept ones other than ``current`` only the small files stay (the PEFT weights go)."""
    root = runs_dir(settings)
    if not root.is_dir():
        return
    others = sorted((p for p in root.iterdir() if p.is_dir() and p != current), key=lambda p: p.name)
    room = max(0, keep - (1 if current is not None else 0))
    cut = max(0, len(others) - room)
    for old in others[:cut]:
        shutil.rmtree(old, ignore_errors=True)
    for run in others[cut:]:
        for heavy in ("sft", "dpo"):
            shutil.rmtree(run / heavy, ignore_errors=True)
