"""trainer.status: the Training screen's view model and trainer client, without Textual.

The step list is the pipeline's own, the module loads neither Textual nor the training
stack, the client streams a real child process's events and stops it, and the rows are
built from a real state file and registry in tmp."""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from journal_me.config import Settings, load_settings
from journal_me.models import ModelRegistry
from trainer import state as train_state
from trainer import status
from trainer.status import (
    RunEnd,
    TrainerProcess,
    event_number,
    explain_end,
    ordered_stages,
    preflight_lines,
    run_rows,
    step_position,
)

REPO = Path(__file__).resolve().parents[2]
SCREEN = REPO / "journal_me" / "tui" / "screens" / "training.py"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    vault = tmp_path / "vault"
    vault.mkdir()
    return load_settings(vault=vault)


# --------------------------------------------------------------------------- one source


def test_steps_are_the_pipelines_and_the_screen_has_no_copy() -> None:
    from trainer.runtypes import STEPS as PIPELINE_STEPS

    assert status.STEPS is PIPELINE_STEPS
    assert status.STEPS[0] == "synthesis" and status.STEPS[-1] == "publish"
    # the screen names no step list of its own: no tuple/list literal of step names
    tree = ast.parse(SCREEN.read_text(encoding="utf-8"))
    literals = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Tuple | ast.List)
        and {"sft", "dpo"} <= {e.value for e in node.elts if isinstance(e, ast.Constant)}
    ]
    assert literals == [], "the Training screen copies the pipeline's steps"
    assert not any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "STEPS" for t in node.targets)
        for node in ast.walk(tree)
    )


def test_the_status_module_loads_neither_textual_nor_the_training_stack() -> None:
    code = (
        "import sys, trainer.status\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'torch', 'transformers', 'trl')"
        " or m in ('trainer.runtypes', 'trainer.evaluate', 'trainer.synth')]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_screen_keeps_only_widgets_its_logic_is_in_the_core() -> None:
    """What moved stays moved: the screen defines no module-level helpers but ``_metric``
    (a Rich cell), and starts no process itself."""
    tree = ast.parse(SCREEN.read_text(encoding="utf-8"))
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert functions == ["_metric"] and classes == ["TrainingScreen"]
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
    }
    assert not imported & {"subprocess", "threading", "json", "os", "shutil"}


# --------------------------------------------------------------------------- the events


def test_step_position_counts_the_pipelines_steps() -> None:
    total = len(status.STEPS)
    assert step_position("synthesis", 0) == (1, f"1/{total} ")
    assert step_position("sft", 1) == (3, f"3/{total} ")
    assert step_position("publish", 6) == (total, f"{total}/{total} ")
    assert step_position("setup", 3) == (3, "")  # not a pipeline step: position kept, no prefix


def test_event_numbers_and_preflight_lines() -> None:
    assert event_number(3) == 3.0 and event_number(0.25) == 0.25
    for not_a_number in (True, None, "3", [1]):
        assert event_number(not_a_number) is None
    event = {
        "event": "preflight",
        "checks": [
            {"name": "disk", "ok": True, "detail": "40 GB free"},
            "garbage",
            {"name": "gpu", "ok": False, "detail": "none"},
        ],
    }
    assert preflight_lines(event) == [(True, "preflight disk: 40 GB free"), (False, "preflight gpu: none")]
    assert preflight_lines({"event": "preflight", "checks": "x"}) == []
    assert status.parse_event('  {"event": "note", "text": "hi"}\n') == {"event": "note", "text": "hi"}
    assert status.parse_event('{"event": 3}') is None and status.parse_event("[1]") is None


def test_explain_end_tells_the_four_endings_apart() -> None:
    assert explain_end(None, [], error="cannot start x: no such file").kind == "error"
    stopped = explain_end(-15, [], stopped=True, outcome={"status": "failed"})
    assert stopped == RunEnd("stopped", "Stopped", "The active model is unchanged.")
    # stopped, but it had published first: the outcome wins
    assert explain_end(0, [], stopped=True, outcome={"status": "published"}).kind == "outcome"
    assert explain_end(0, [], outcome={"status": "refused"}).kind == "outcome"
    lines = [f"line {i}" for i in range(10)] + ["", "ImportError: no trl"]
    crashed = explain_end(1, lines)
    assert crashed.kind == "crashed" and crashed.title == "The trainer exited with code 1"
    assert crashed.why.splitlines() == [
        "line 5",
        "line 6",
        "line 7",
        "line 8",
        "line 9",
        "ImportError: no trl",
    ]
    assert "journal-me doctor" in crashed.hint
    assert explain_end(1, []).why == "it printed no result"


# --------------------------------------------------------------------------- the client

CHILD = r"""
import json, signal, sys, time
mode = sys.argv[1]
if mode == "ignore-term":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print(json.dumps({"event": "step", "name": "sft", "detail": ""}), flush=True)
print("", flush=True)
print("chatter from a library", flush=True)
for i in range(50):
    print(f"warning {i}", file=sys.stderr, flush=True)
print(json.dumps({"event": "progress", "name": "sft", "done": 1, "total": 2, "loss": 1.5}), flush=True)
if mode != "quick":
    print("ready", flush=True)
    time.sleep(60)
sys.exit(3)
"""


def _child(tmp_path: Path, mode: str) -> list[str]:
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    return [sys.executable, str(script), mode]


def test_trainer_process_streams_events_and_keeps_the_stderr_tail(tmp_path: Path) -> None:
    trainer = TrainerProcess(_child(tmp_path, "quick"), dict(os.environ), stderr_lines=5)
    trainer.start()
    events = list(trainer.events())
    assert trainer.wait() == 3 and not trainer.alive
    assert events == [
        {"event": "step", "name": "sft", "detail": ""},
        {"event": "output", "text": "chatter from a library"},  # blank lines dropped
        {"event": "progress", "name": "sft", "done": 1, "total": 2, "loss": 1.5},
    ]
    assert trainer.stderr_tail == [f"warning {i}" for i in range(45, 50)]
    assert not trainer.stop_requested


def test_trainer_process_terminate_and_close(tmp_path: Path) -> None:
    # a stop that comes before the child exists stops it as soon as it does
    early = TrainerProcess(_child(tmp_path, "sleep"))
    early.terminate()
    early.start()
    list(early.events())
    assert early.wait() == -signal.SIGTERM and early.stop_requested

    # a child that ignores SIGTERM is killed after the grace period
    stubborn = TrainerProcess(_child(tmp_path, "ignore-term"))
    stubborn.start()
    for event in stubborn.events():
        if event.get("text") == "ready":
            break
    started = time.monotonic()
    stubborn.close(grace=0.5)
    assert stubborn.wait() == -signal.SIGKILL and time.monotonic() - started < 10
    stubborn.kill()  # already dead: no error

    missing = TrainerProcess([str(tmp_path / "no-such-trainer")])
    with pytest.raises(OSError):
        missing.start()
    assert missing.wait() is None and list(missing.events()) == [] and not missing.alive


def test_commands_and_environment(settings: Settings) -> None:
    command = status.default_command(settings)
    assert command[:3] == [sys.executable, "-m", "journal_me.cli"] and command[-2:] == [
        "train",
        "--json-progress",
    ]
    assert status.with_allow_cpu(command, True)[-1] == "--allow-cpu"
    assert status.with_allow_cpu([*command, "--allow-cpu"], True).count("--allow-cpu") == 1
    assert "--allow-cpu" not in status.with_allow_cpu(command, False)
    env = status.trainer_env(settings, {"PATH": "/bin"})
    assert env == {"PATH": "/bin", "JOURNAL_ME_DATA_DIR": str(settings.data_root), "PYTHONUNBUFFERED": "1"}


# --------------------------------------------------------------------------- what is shown


def test_duration_and_time_texts() -> None:
    assert status.short_time("2026-11-02T03:30:12+01:00") == "2026-11-02 03:30"
    assert [status.duration_text(s) for s in (None, -1, 42, 600, 3 * 3600 + 5 * 60)] == [
        "",
        "",
        "42 s",
        "10 min",
        "3 h 05",
    ]
    naive_and_aware = {"started": "2026-11-01T03:30:00", "finished": "2026-11-01T03:42:10+00:00"}
    assert status.run_duration(naive_and_aware) == ""
    assert status.run_duration({"started": "x", "finished": "y"}) == ""
    assert ordered_stages(["zeta", "dpo", "sft"]) == ["sft", "dpo", "zeta"]


def test_run_rows_running_dead_skipped_and_dry_run(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "data_report.json").write_text(
        json.dumps({"filter": {"train": 5, "eval": 2}}), encoding="utf-8"
    )
    history = [
        {"status": "dry-run", "finished": "2026-10-01T03:00:00+00:00", "run_dir": str(run_dir)},
        {"status": "refused", "finished": "2026-10-02T03:00:00+00:00", "reason": "score 0.3 < 0.4"},
    ]
    state: dict[str, Any] = {
        "running": {"pid": os.getpid(), "started": "2026-11-02T03:30:00+00:00", "step": "dpo"},
        "history": [*history, "not an entry"],
        "last_check": {"time": "2026-10-03T03:00:00+00:00", "status": "skipped", "reason": "nothing new"},
    }
    rows = run_rows(state, {})
    assert [r.key for r in rows] == ["running", "last-check", "run-1", "run-0"]
    assert (
        rows[0].status == "running" and f"pid {os.getpid()}" in rows[0].detail and "at dpo" in rows[0].detail
    )
    assert rows[1].detail == "nothing new"
    assert rows[2].detail == "score 0.3 < 0.4"
    assert rows[3].detail == f"datasets in {run_dir}" and rows[3].data == "5 train · 2 eval"

    # a pid that is gone: the run died; an older skip than the newest run is not listed
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state["running"] = {"pid": dead.pid, "step": None}
    state["last_check"]["time"] = "2026-09-01T00:00:00+00:00"
    rows = run_rows(state, {})
    assert rows[0].status == "interrupted" and "stopped during start" in rows[0].detail
    assert [r.key for r in rows] == ["running", "run-1", "run-0"]
    assert run_rows({"running": {"pid": True}}, {})[0].status == "interrupted"  # not a pid


def test_load_snapshot_reports_a_broken_registry_instead_of_raising(settings: Settings) -> None:
    train_state.write_state(
        settings, {"history": [{"status": "failed", "step": "sft", "reason": "OOM", "hint": "smaller"}]}
    )
    empty = status.load_snapshot(settings)
    assert empty.versions == [] and empty.active_label == "no model" and empty.problems == []
    assert empty.last_run() is not None and empty.run("run-0") is empty.last_run()
    assert empty.runs[0].detail == "failed at sft: OOM" and empty.runs[0].hint == "smaller"

    registry = ModelRegistry(settings)
    registry.pointer_file.parent.mkdir(parents=True, exist_ok=True)
    registry.pointer_file.write_text("{not json", encoding="utf-8")
    broken = status.load_snapshot(settings)
    assert len(broken.problems) == 1 and broken.problems[0].startswith("model registry:")
    assert [r.status for r in broken.runs] == ["failed"]  # the runs still show


def test_change_stamps_follow_the_state_file(settings: Settings) -> None:
    before = status.change_stamps(settings)
    assert before == (0.0, 0.0, 0.0)
    train_state.write_state(settings, {"history": []})
    after = status.change_stamps(settings)
    assert after[0] > 0 and after[1:] == before[1:]
