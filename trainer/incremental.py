"""Nightly runs continue the active adapter on what is new, plus a replay of older examples.

Re-training on the whole journal every night costs the same as the first night and grows
with the journal; on a CPU it does not fit in a night. So a nightly run, when the active
adapter was trained here on the same base (its PEFT weights are kept in
``train/peft/<version>/`` with the entries it saw, see :func:`keep_trained`):

- trains on the examples built from entries that are **new or changed** since that adapter
  (an example is new when any of its sources is),
- plus a **replay** sample of the older examples (``replay_ratio`` × the new ones, at least
  ``min_replay``; a different sample each night), so the adapter does not forget,
- starting from that adapter's weights instead of a fresh LoRA.

The eval gate still compares the result with the active adapter and decides. A manual
``journal-me train`` (or a rollback to a version without kept weights, a changed base or LoRA
shape) trains from scratch on everything.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from journal_me.fsutil import JsonFileError, read_json
from trainer.dataset import Example

log = logging.getLogger(__name__)

TRAINED_FILE = "trained.json"
KEEP_VERSIONS = 3


@dataclass(frozen=True)
class IncrementalConfig:
    replay_ratio: float = 1.0
    min_replay: int = 8


@dataclass(frozen=True)
class Previous:
    """The active adapter a nightly run continues: its PEFT dir and what it was trained on."""

    version: str
    peft_dir: Path
    entries: Mapping[str, str]  # rel -> digest of the entries it learned from, when it did


@dataclass(frozen=True)
class Selection:
    train: list[Example]
    new: int
    replay: int
    available: int
    continued: str | None  # the version continued, None: a fresh LoRA on everything
    peft_dir: Path | None = None  # its kept PEFT weights
    entries: Mapping[str, str] = field(default_factory=dict)  # learned from, rel -> digest

    def to_json(self) -> dict[str, Any]:
        return {
            "continued": self.continued,
            "new": self.new,
            "replay": self.replay,
            "trained": len(self.train),
            "available": self.available,
        }


def peft_root(train_dir: Path) -> Path:
    return train_dir / "peft"


def _shape(base: str, hf_dir: Path, lora_r: int, lora_alpha: int) -> dict[str, Any]:
    return {"base": base, "hf_dir": str(hf_dir), "lora_r": lora_r, "lora_alpha": lora_alpha}


def keep_trained(
    train_dir: Path,
    version: str,
    adapter_dir: Path,
    entries: Mapping[str, str],
    *,
    base: str,
    hf_dir: Path,
    lora_r: int,
    lora_alpha: int,
) -> Path:
    """Keep the published adapter's PEFT weights (and the entries it saw) for tomorrow."""
    root = peft_root(train_dir)
    dest = root / version
    tmp = root / f".{version}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(adapter_dir, tmp, ignore=shutil.ignore_patterns("_trainer"))
    record = {**_shape(base, hf_dir, lora_r, lora_alpha), "entries": dict(entries)}
    (tmp / TRAINED_FILE).write_text(json.dumps(record), encoding="utf-8")
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    kept = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name
    )
    for old in kept[:-KEEP_VERSIONS]:
        shutil.rmtree(old, ignore_errors=True)
    return dest


def previous(
    train_dir: Path, version: str | None, *, base: str, hf_dir: Path, lora_r: int, lora_alpha: int
) -> Previous | None:
    """The kept adapter ``version`` if a run can continue it (same base and LoRA shape)."""
    if version is None:
        return None
    path = peft_root(train_dir) / version
    try:
        record = read_json(path / TRAINED_FILE)
    except JsonFileError as exc:  # train afresh, but say why
        log.warning("cannot continue adapter %s: %s", version, exc)
        return None
    if record is None or not (path / "adapter_config.json").is_file():
        return None
    if any(record.get(k) != v for k, v in _shape(base, hf_dir, lora_r, lora_alpha).items()):
        return None
    entries = record.get("entries")
    if not isinstance(entries, dict):
        return None
    return Previous(version, path, {str(k): str(v) for k, v in entries.items()})


def _order(example_id: str, salt: str) -> str:
    return hashlib.sha1(f"{salt}\x1f{example_id}".encode()).hexdigest()


def select(
    examples: Sequence[Example],
    prev: Previous | None,
    entries_now: Mapping[str, str],
    *,
    salt: str,
    config: IncrementalConfig | None = None,
) -> Selection:
    """New examples (a source ``prev`` never learned from, or changed since) plus a replay
    sample of the others. ``entries_now``: rel -> digest of the public entries now."""
    if prev is None:
        return Selection(
            list(examples), len(examples), 0, len(examples), None, None, _covered({}, examples, entries_now)
        )
    config = config or IncrementalConfig()
    changed = {rel for rel, digest in entries_now.items() if prev.entries.get(rel) != digest}
    new = [e for e in examples if any(s in changed for s in e.sources)]
    old = [e for e in examples if not any(s in changed for s in e.sources)]
    want = 0 if not new else max(config.min_replay, round(config.replay_ratio * len(new)))
    replay = sorted(old, key=lambda e: _order(e.id, salt))[: min(want, len(old))]
    chosen = {e.id for e in (*new, *replay)}
    train = [e for e in examples if e.id in chosen]  # the filter's order
    covered = _covered(prev.entries, train, entries_now)
    return Selection(train, len(new), len(replay), len(examples), prev.version, prev.peft_dir, covered)


def _covered(
    before: Mapping[str, str], trained: Sequence[Example], entries_now: Mapping[str, str]
) -> dict[str, str]:
    """The entries an adapter has learned from (rel -> digest when it did): those it had
    before plus the sources trained now. An entry it never saw (held out until the journal
    grew, or written since) is therefore new next time."""
    covered = dict(before)
    for e in trained:
        covered.update({rel: entries_now[rel] for rel in e.sources if rel in entries_now})
    return covered
