"""The Training screen: runs and versions from a registry and trainer state made in tmp,
"train now" against a fake trainer that prints canned ``--json-progress`` lines (no torch),
a failing run, stopping, the CPU question, rollback and "use this version"."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.coordinate import Coordinate
from textual.pilot import Pilot
from textual.widgets import DataTable, Label, ProgressBar, RichLog, Static

from journal_me.config import Settings
from journal_me.models import ModelRegistry
from journal_me.tui import modes
from journal_me.tui.app import JournalMeApp
from journal_me.tui.screens.training import TrainingScreen
from journal_me.tui.widgets.ask_dialog import AskDialog
from journal_me.tui.widgets.loss_plot import LossPlot, curves_from_losses
from trainer import state as train_state
from trainer.status import STEPS, data_counts, default_command, load_snapshot, parse_event
from trainer.tiny_gguf import build_tiny_adapter, build_tiny_gguf

from .conftest import SIZE, no_blink, settle, wait_until

Snap = Callable[..., bool]

SFT_1 = [6.3, 6.1, 5.9, 5.8]
DPO_1 = [0.69, 0.66]
SFT_2 = [6.2, 5.7, 5.3, 5.1, 5.0]
DPO_2 = [0.69, 0.61, 0.55]

FAKE_TRAINER = r"""
import json, os, sys, time

def emit(**event):
    print(json.dumps(event), flush=True)

mode = sys.argv[1]
with open(sys.argv[2], "w") as out:  # what we were run with
    json.dump(sys.argv[3:], out)
emit(event="note", text="the run started 2026-11-01T03:30 was interrupted during sft")
emit(event="step", name="synthesis", detail="")
for i in range(1, 4):
    emit(event="progress", name="synthesis", done=i, total=3, loss=None)
emit(event="done", name="synthesis", seconds=0.2, summary="30 examples (memory_qa 30)")
emit(event="step", name="filter", detail="")
emit(event="done", name="filter", seconds=0.1, summary="24 to train, 6 held out for the gate")
print("some library chatter on stdout", flush=True)
emit(event="step", name="sft", detail="24 conversations")
emit(event="progress", name="sft", done=0, total=12, loss=None)
if mode == "fail":
    emit(event="progress", name="sft", done=1, total=12, loss=6.2)
    print("Traceback (most recent call last): ... torch.OutOfMemoryError", file=sys.stderr)
    emit(event="note", text="run directory: /tmp/runs/x")
    emit(event="outcome", status="failed", reason="out of GPU memory during SFT", version=None,
         step="sft", hint="pick a smaller base model, or set train.batch_size = 1",
         run_dir="/tmp/runs/x")
    sys.exit(1)
if mode == "crash":
    print("journal-me: the training extra is not installed: pip install 'journal-me[train]'",
          file=sys.stderr)
    sys.exit(1)
if mode == "hang":
    time.sleep(60)
hold = os.environ.get("FAKE_TRAINER_HOLD")  # a file: pause mid-SFT until it exists
for i in range(1, 13):
    emit(event="progress", name="sft", done=i, total=12, loss=6.5 - i * 0.1)
    time.sleep(0.05)
    while hold and i == 3 and not os.path.exists(hold):
        time.sleep(0.02)
emit(event="done", name="sft", seconds=1.5, summary="12 steps (peft), loss 6.400 → 5.300")
emit(event="step", name="dpo", detail="8 preference pairs")
for i in range(1, 7):
    emit(event="progress", name="dpo", done=i, total=6, loss=0.7 - i * 0.02)
emit(event="done", name="dpo", seconds=0.8, summary="6 steps (peft)")
for name in ("export", "gate", "publish"):
    emit(event="step", name=name, detail="")
    emit(event="done", name=name, seconds=0.1, summary="ok")
if mode == "publish":
    from journal_me.config import load_settings
    from journal_me.models import ModelRegistry
    settings = load_settings(vault=sys.argv[3])
    ModelRegistry(settings).add_adapter(
        sys.argv[4], {"metrics": {"score": 0.5, "nll": 4.9}, "report": {"losses": {"sft": [6.4, 5.3]}}}
    )
emit(event="outcome", status="published", reason="score 0.500 vs 0.420", version="v0003",
     step=None, hint=None, run_dir="/tmp/runs/y")
"""


@pytest.fixture(autouse=True)
def training_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mode tabs name every mode; add "training" until the app registers it."""
    if not any(spec.name == "training" for spec in modes.MODE_SPECS):
        spec = modes.ModeSpec("training", "Training", "f9", TrainingScreen, "the nightly fine-tune")
        monkeypatch.setattr(modes, "MODE_SPECS", (*modes.MODE_SPECS, spec))


def _report(sft: list[float], dpo: list[float], train: int) -> dict[str, Any]:
    return {
        "losses": {"sft": sft, "dpo": dpo},
        "filter": {"train": train, "eval": 6},
        "dpo_pairs": {"pairs": 12},
        "durations": {"synthesis": 3.0, "sft": 30.0, "dpo": 20.0},
    }


@pytest.fixture
def trained(settings: Settings, tmp_path: Path) -> Settings:
    """A tiny base, two published adapters (v0002 active) and a trainer state with history."""
    registry = ModelRegistry(settings)
    base = build_tiny_gguf(tmp_path / "tiny.gguf")
    registry.use(str(base))
    for seed, (sft, dpo, score) in enumerate(((SFT_1, DPO_1, 0.42), (SFT_2, DPO_2, 0.47)), start=1):
        adapter = build_tiny_adapter(tmp_path / f"a{seed}.gguf", seed=seed)
        registry.add_adapter(
            adapter,
            {
                "source": "journal-me train",
                "created": f"2026-1{seed - 1}-0{seed}T03:40:00+00:00",
                "metrics": {
                    "score": score,
                    "facts": 0.3,
                    "f1": 0.5,
                    "nll": 5.9 - seed / 10,
                    "base_score": 0.3,
                },
                "report": _report(sft, dpo, 40 + seed),
                "trainer": {"backend": "peft"},
            },
            activate=True,
        )
    run_dir = train_state.runs_dir(settings) / "20261101-033000"
    run_dir.mkdir(parents=True)
    (run_dir / "data_report.json").write_text(
        json.dumps({"filter": {"train": 434, "eval": 24}, "dpo_pairs": {"pairs": 200}}), encoding="utf-8"
    )
    st: dict[str, Any] = {}
    train_state.record(
        settings,
        st,
        {
            "status": "published",
            "started": "2026-10-30T03:30:00+00:00",
            "finished": "2026-10-30T03:31:23+00:00",
            "reason": "score 0.42",
            "version": "v0001",
        },
    )
    train_state.record(
        settings,
        st,
        {
            "status": "failed",
            "finished": "2026-10-31T03:30:40+00:00",
            "step": "sft",
            "reason": "out of GPU memory during SFT",
            "hint": "pick a smaller base model",
            "run_dir": None,
        },
    )
    train_state.record(
        settings,
        st,
        {
            "status": "published",
            "started": "2026-11-01T03:30:00+00:00",
            "finished": "2026-11-01T03:42:10+00:00",
            "reason": "score 0.47",
            "version": "v0002",
            "run_dir": str(run_dir),
        },
    )
    st["last_check"] = {
        "time": "2026-11-02T03:30:00+00:00",
        "status": "skipped",
        "reason": "no new or changed entries since the last run",
    }
    train_state.write_state(settings, st)
    return settings


@pytest.fixture
def fake_trainer(tmp_path: Path) -> Callable[[str], tuple[list[str], Path]]:
    script = tmp_path / "fake_trainer.py"
    script.write_text(FAKE_TRAINER, encoding="utf-8")

    def command(mode: str, *extra: str) -> tuple[list[str], Path]:
        argv_file = tmp_path / f"argv-{mode}.json"
        return [sys.executable, str(script), mode, str(argv_file), *extra], argv_file

    return command


async def open_training(pilot: Pilot[Any], **kwargs: Any) -> TrainingScreen:
    await settle(pilot)
    screen = TrainingScreen(**kwargs)
    await pilot.app.push_screen(screen)
    await wait_until(pilot, lambda: screen.snapshot.runs != [], what="runs loaded")
    await settle(pilot)
    return screen


def table(screen: TrainingScreen, name: str) -> DataTable[Text]:
    return screen.query_one(f"#training-{name}", DataTable)


def cell(t: DataTable[Text], row: int, column: str) -> str:
    return str(t.get_cell_at(Coordinate(row, t.get_column_index(column))))


def plain(widget: Static) -> str:
    return str(widget.render())


def top(app: JournalMeApp) -> object:
    return app.screen


def log_text(screen: TrainingScreen) -> str:
    return "\n".join(strip.text for strip in screen.query_one("#training-log", RichLog).lines)


@pytest.fixture
def app(make_app: Callable[..., JournalMeApp]) -> Iterator[JournalMeApp]:
    yield make_app()


# --------------------------------------------------------------------------- pure parts


def test_parse_event_and_helpers(trained: Settings) -> None:
    assert parse_event('{"event": "step", "name": "sft"}\n') == {"event": "step", "name": "sft"}
    assert parse_event("Traceback (most recent call last):") is None
    assert parse_event('{"no": "event"}') is None
    assert parse_event("{broken") is None
    assert data_counts({"filter": {"train": 3, "eval": 2}, "dpo_pairs": {"pairs": 1}}) == (
        "3 train · 2 eval · 1 pairs"
    )
    curves = curves_from_losses({"dpo": [0.7, 0.6], "sft": [6.0, 5.0, 4.0]})
    assert list(curves) == ["sft", "dpo"] and curves["dpo"][0] == (4.0, 0.7)  # DPO follows SFT

    from trainer.runtypes import STEPS as TRAINER_STEPS

    assert STEPS == TRAINER_STEPS
    command = default_command(trained)
    assert command[:3] == [sys.executable, "-m", "journal_me.cli"]
    assert command[-2:] == ["train", "--json-progress"] and str(trained.vault.resolve()) in command

    snap = load_snapshot(trained)
    assert [v.version for v in snap.versions] == ["v0002", "v0001"]
    assert snap.versions[0].active and not snap.versions[1].active
    assert snap.active_label.endswith("+ v0002")
    assert snap.previous_label is not None and snap.previous_label.endswith("+ v0001")
    assert [r.status for r in snap.runs] == ["skipped", "published", "failed", "published"]
    newest = snap.runs[1]
    assert newest.duration == "12 min" and newest.data == "434 train · 24 eval · 200 pairs"
    assert snap.runs[3].data == "41 train · 6 eval · 12 pairs"  # from v0001's manifest
    assert snap.runs[2].detail.startswith("failed at sft: out of GPU memory")


# --------------------------------------------------------------------------- the screen


async def test_runs_and_versions_shown(app: JournalMeApp, trained: Settings) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_training(pilot)
        versions = table(screen, "versions")
        assert versions.row_count == 2
        assert cell(versions, 0, "version") == "v0002" and cell(versions, 0, "active") == "●"
        assert cell(versions, 1, "active") == "" and cell(versions, 1, "score") == "0.420"
        assert cell(versions, 1, "created") == "2026-10-01 03:40"
        runs = table(screen, "runs")
        assert runs.row_count == 4
        assert [cell(runs, i, "status") for i in range(4)] == ["skipped", "published", "failed", "published"]
        assert "434 train" in cell(runs, 1, "data")
        active = plain(screen.query_one("#training-active", Static))
        assert "Active model: tiny + v0002" in active and "Rollback returns to tiny + v0001" in active
        status = plain(screen.query_one("#training-status", Static))
        assert "Last run: published" in status and "v0002" in status

        # the active version's loss curve, then the other one's when it is highlighted
        plot = screen.query_one("#training-plot", LossPlot)
        assert plot.point_count == len(SFT_2) + len(DPO_2)
        versions.focus()
        await pilot.press("down")
        await settle(pilot)
        assert plot.point_count == len(SFT_1) + len(DPO_1) and plot.plot_title == "v0001 loss"
        detail = plain(screen.query_one("#training-detail", Static))
        assert "v0001" in detail and "41 train" in detail
        assert "sft loss 6.300 → 5.800 (4 steps) · dpo loss 0.690 → 0.660" in detail

        # a failed run's detail says which step, why and what to do
        runs.focus()
        runs.move_cursor(row=2)
        await settle(pilot)
        detail = plain(screen.query_one("#training-detail", Static))
        assert "failed at sft" in detail and "What to do: pick a smaller base model" in detail


async def test_train_now_streams_progress(
    app: JournalMeApp,
    trained: Settings,
    fake_trainer: Callable[..., tuple[list[str], Path]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    new_adapter = build_tiny_adapter(tmp_path / "new.gguf", seed=7)
    command, argv_file = fake_trainer("publish", str(trained.vault), str(new_adapter))
    refreshed: list[int] = []
    # the fake run pauses after three SFT points until we have looked at it running (on a
    # loaded machine it could otherwise finish before the checks below)
    hold = tmp_path / "go"
    monkeypatch.setenv("FAKE_TRAINER_HOLD", str(hold))
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(app, "refresh_model_status", lambda: refreshed.append(1), raising=False)
        screen = await open_training(pilot, command=command, gpu_probe=lambda: True)
        plot = screen.query_one("#training-plot", LossPlot)
        await pilot.press("f5")
        await wait_until(pilot, lambda: plot.point_count >= 3, what="live loss points")
        assert screen.running and plot.plot_title == "this run"  # drawn while it runs
        assert "sft" in str(screen.query_one("#training-step", Label).render())
        assert screen.check_action("train_now", ()) is None and screen.check_action("stop_training", ())
        hold.touch()
        await wait_until(pilot, lambda: not screen.running, timeout=20, what="the run to end")
        await settle(pilot)
        assert plot.plot_title == "this run"  # kept after the run, until another pick

        assert json.loads(argv_file.read_text()) == [str(trained.vault), str(new_adapter)]  # no --allow-cpu
        assert screen.outcome is not None and screen.outcome["status"] == "published"
        assert plot.point_count == 12 + 6  # every loss reported (progress without a loss is not a point)
        assert set(plot.curves) == {"sft", "dpo"} and plot.curves["dpo"][0][0] == 12 + 1
        assert plot.redraws < plot.point_count  # throttled
        assert str(screen.query_one("#training-loss", Label).render()) == "loss 0.580"
        bar = screen.query_one("#training-progress", ProgressBar)
        assert bar.total is not None and bar.progress == bar.total
        log = log_text(screen)
        for expected in ("▶ synthesis", "✓ sft", "· the run started", "some library chatter", "= published"):
            assert expected in log
        assert "Published v0003" in plain(screen.query_one("#training-status", Static))
        # the table reloaded: the new version is there and active; the app was told
        await wait_until(pilot, lambda: table(screen, "versions").row_count == 3, what="v0003 listed")
        assert cell(table(screen, "versions"), 0, "version") == "v0003"
        assert cell(table(screen, "versions"), 0, "active") == "●"
        assert refreshed
        assert plot.point_count == 12 + 6
        table(screen, "versions").focus()
        await pilot.press("down")
        await settle(pilot)
        assert plot.plot_title == "v0002 loss" and plot.point_count == len(SFT_2) + len(DPO_2)


async def test_failing_run_shows_the_error(
    app: JournalMeApp, trained: Settings, fake_trainer: Callable[..., tuple[list[str], Path]]
) -> None:
    command, _ = fake_trainer("fail")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_training(pilot, command=command, gpu_probe=lambda: True)
        await pilot.press("f5")
        await wait_until(pilot, lambda: not screen.running, timeout=20, what="the run to end")
        await settle(pilot)
        status = screen.query_one("#training-status", Static)
        text = plain(status)
        assert status.has_class("-error")
        assert "Training failed at sft" in text and "out of GPU memory during SFT" in text
        assert "What to do: pick a smaller base model" in text and "/tmp/runs/x" in text
        assert "✗ Training failed at sft" in log_text(screen)
        assert str(screen.query_one("#training-step", Label).render()) == "failed"
        assert any(n.severity == "error" and "out of GPU memory" in n.message for n in app._notifications)
        assert ModelRegistry(trained).active().adapter.version == "v0002"  # type: ignore[union-attr]
        # nothing is stuck: train now is offered again
        assert screen.check_action("train_now", ()) is True


async def test_crash_without_outcome_shows_stderr(
    app: JournalMeApp, trained: Settings, fake_trainer: Callable[..., tuple[list[str], Path]]
) -> None:
    command, _ = fake_trainer("crash")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_training(pilot, command=command, gpu_probe=lambda: True)
        await pilot.press("f5")
        await wait_until(pilot, lambda: not screen.running, timeout=20, what="the run to end")
        text = plain(screen.query_one("#training-status", Static))
        assert "exited with code 1" in text and "pip install 'journal-me[train]'" in text
        assert "What to do:" in text


async def test_missing_trainer_binary_is_reported(app: JournalMeApp, trained: Settings) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_training(pilot, command=["/nonexistent/journal-me"], gpu_probe=lambda: True)
        await pilot.press("f5")
        await wait_until(pilot, lambda: not screen.running, what="the run to end")
        assert "could not start" in plain(screen.query_one("#training-status", Static))


async def test_no_gpu_asks_before_training_on_cpu(
    app: JournalMeApp, trained: Settings, fake_trainer: Callable[..., tuple[list[str], Path]]
) -> None:
    command, argv_file = fake_trainer("ok")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_training(pilot, command=command, gpu_probe=lambda: False)
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, AskDialog) and not screen.running
        await pilot.press("escape")  # no: nothing starts
        await settle(pilot)
        assert top(app) is screen and not screen.running and not argv_file.exists()
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: not screen.running and screen.outcome is not None, timeout=20)
        assert json.loads(argv_file.read_text()) == ["--allow-cpu"]


async def test_stop_terminates_the_trainer(
    app: JournalMeApp, trained: Settings, fake_trainer: Callable[..., tuple[list[str], Path]]
) -> None:
    command, _ = fake_trainer("hang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_training(pilot, command=command, gpu_probe=lambda: True)
        await pilot.press("f5")
        await wait_until(pilot, lambda: "sft" in log_text(screen), what="the sft step")
        await pilot.press("f6")
        await pilot.pause(0.1)  # not settle(): it waits for every worker, the trainer's too
        assert isinstance(app.screen, AskDialog)
        await pilot.click("#ask-yes")
        await wait_until(pilot, lambda: not screen.running, timeout=10, what="the trainer to stop")
        assert "Stopped" in plain(screen.query_one("#training-status", Static))
        assert "stopped — the active model is unchanged" in log_text(screen)


async def test_rollback_and_use_version(
    app: JournalMeApp, trained: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = ModelRegistry(trained)
    changed: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_training(pilot)
        monkeypatch.setattr(app, "refresh_model_status", lambda: changed.append("refresh"), raising=False)

        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, AskDialog)
        await pilot.press("escape")  # cancelled: nothing changes
        await settle(pilot)
        assert registry.active().adapter.version == "v0002"  # type: ignore[union-attr]

        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: cell(table(screen, "versions"), 1, "active") == "●", what="marker")
        assert registry.active().adapter.version == "v0001"  # type: ignore[union-attr]
        assert changed == ["refresh"]
        assert "tiny + v0001" in plain(screen.query_one("#training-active", Static))

        # use this version: v0002 again, from the table
        versions = table(screen, "versions")
        versions.focus()
        versions.move_cursor(row=0)
        await settle(pilot)
        assert screen.check_action("use_version", ()) is True
        await pilot.press("ctrl+u")
        await wait_until(pilot, lambda: cell(table(screen, "versions"), 0, "active") == "●", what="marker")
        assert registry.active().adapter.version == "v0002"  # type: ignore[union-attr]
        assert changed == ["refresh", "refresh"]
        assert screen.check_action("use_version", ()) is None  # already active


async def test_empty_state(app: JournalMeApp, settings: Settings) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = TrainingScreen()
        await app.push_screen(screen)
        await settle(pilot)
        runs = table(screen, "runs")
        assert runs.row_count == 1 and "no training run yet" in cell(runs, 0, "detail")
        assert table(screen, "versions").row_count == 0
        assert "no model" in plain(screen.query_one("#training-active", Static))
        assert "No training run yet" in plain(screen.query_one("#training-status", Static))
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert any("Nothing to roll back" in n.message for n in app._notifications)


# --------------------------------------------------------------------------- the snapshot


def test_training_snapshot(
    snap_compare: Snap, make_app: Callable[..., JournalMeApp], trained: Settings
) -> None:
    """Versions with their scores, the runs, the active model, the last run and v0002's
    loss curve — after the worker filled the tables and the throttled plot drew them."""

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await open_training(pilot)
        plot = screen.query_one("#training-plot", LossPlot)
        await wait_until(pilot, lambda: table(screen, "versions").row_count == 2, what="versions")
        await wait_until(pilot, lambda: table(screen, "runs").row_count == 4, what="runs")
        await wait_until(pilot, lambda: plot.point_count == len(SFT_2) + len(DPO_2), what="the curve")
        await pilot.pause(2 * plot.redraw_interval)  # the plot redraws at most this often
        await settle(pilot, rounds=6)
        no_blink(pilot.app)  # type: ignore[arg-type]
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)
