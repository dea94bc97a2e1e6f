"""The pre-run checks: the lock, battery detection, the state file's crash recovery."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from journal_me.config import Settings, load_settings
from trainer import guards, state


def _supply(root: Path, name: str, **files: str) -> None:
    (root / name).mkdir(parents=True)
    for key, value in files.items():
        (root / name / key).write_text(value + "\n")


def test_battery_detection_from_sysfs(tmp_path: Path) -> None:
    assert not guards.on_battery(tmp_path / "missing")  # a desktop: no power_supply at all
    _supply(tmp_path, "BAT0", type="Battery", status="Discharging")
    assert guards.on_battery(tmp_path)
    _supply(tmp_path, "AC", type="Mains", online="1")
    assert not guards.on_battery(tmp_path)


def test_the_lock_is_exclusive_and_says_who_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "train.lock"
    first, second = guards.TrainLock(path), guards.TrainLock(path)
    assert first.acquire()
    assert not second.acquire()
    assert second.holder().startswith("pid ")
    first.release()
    assert second.acquire()
    second.release()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "vault").mkdir()
    return load_settings(vault=tmp_path / "vault", env={"JOURNAL_ME_DATA_DIR": str(tmp_path / "data")})


def test_recover_marks_a_dead_run_and_removes_its_directory(settings: Settings) -> None:
    dead = state.new_run_dir(settings)
    state.write_run(dead, status="running", pid=999999)
    done = state.new_run_dir(settings)
    state.write_run(done, status="published")
    st = {"running": {"pid": 999999, "started": "2026-11-01T03:30:00", "run_dir": str(dead), "step": "dpo"}}
    notes = state.recover(settings, st)
    assert any("interrupted during dpo" in n for n in notes)
    assert not dead.exists() and done.exists()
    saved = json.loads(state.state_file(settings).read_text())
    assert saved["last_run"]["status"] == "interrupted" and "running" not in saved


def test_prune_keeps_recent_runs_and_drops_their_weights(settings: Settings) -> None:
    runs = []
    for i in range(5):
        run = state.runs_dir(settings) / f"2026110{i}-033000"
        (run / "sft").mkdir(parents=True)
        state.write_run(run, status="refused")
        runs.append(run)
    state.prune_runs(settings, keep=3, current=runs[-1])
    assert [r.exists() for r in runs] == [False, False, True, True, True]
    assert not (runs[2] / "sft").exists() and (runs[-1] / "sft").exists()
    assert (runs[2] / "run.json").exists()


def test_a_corrupt_state_file_is_treated_as_empty(settings: Settings) -> None:
    path = state.state_file(settings)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert state.read_state(settings) == {}


def test_a_missing_vault_fails_with_the_reason(tmp_path: Path) -> None:
    from trainer.nightly import TrainOptions, run_training

    settings = load_settings(vault=tmp_path / "nowhere", env={"JOURNAL_ME_DATA_DIR": str(tmp_path / "d")})
    outcome = run_training(settings, TrainOptions(dry_run=True))
    assert (outcome.status, outcome.step, outcome.exit_code) == ("failed", "setup", 1)
    assert "vault folder not found" in outcome.reason and "--vault" in (outcome.hint or "")
