"""Training: the nightly fine-tune. Past runs and the adapter versions with their eval scores,
the selected version's loss curve, "train now" with live progress, "use this version" and
rollback.

What is shown and how the trainer is run live in :mod:`trainer.status` (no Textual there);
this screen holds the widgets, the bindings and the workers. "Train now" runs
``journal-me train --json-progress`` through :class:`trainer.status.TrainerProcess` in a
thread worker, and every event it yields becomes a message (step, progress with the loss,
done, note, outcome). The command is injectable (``TrainingScreen(command=…)`` or the
``COMMAND`` class attribute) so tests run a fake trainer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Label, ProgressBar, RichLog, Static
from textual.worker import Worker, WorkerState

from journal_me.config import Settings
from journal_me.models import RegistryError
from journal_me.tui.screens.base import MainScreen
from journal_me.tui.widgets.ask_dialog import AskDialog
from journal_me.tui.widgets.loss_plot import LossPlot
from journal_me.tui.workers import ReportsWorkerErrors
from trainer.status import (
    Snapshot,
    TrainerProcess,
    VersionRow,
    change_stamps,
    default_command,
    event_number,
    explain_end,
    has_nvidia_gpu,
    load_snapshot,
    preflight_lines,
    roll_back,
    step_position,
    trainer_env,
    use_version,
    with_allow_cpu,
)

STYLES = Path(__file__).resolve().parent.parent / "styles"
DETAIL_WIDTH = 34  # the runs table's "Details" column; the whole text shows below the table

STATUS_STYLES = {
    "published": "bold green",
    "refused": "yellow",
    "failed": "bold red",
    "interrupted": "red",
    "skipped": "dim",
    "busy": "dim",
    "dry-run": "cyan",
    "running": "bold cyan",
}


def _metric(metrics: Mapping[str, Any], key: str) -> Text:
    value = metrics.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Text(f"{value:.3f}", justify="right")
    return Text("—", style="dim", justify="right")


# --------------------------------------------------------------------------- the screen


class TrainingScreen(ReportsWorkerErrors, MainScreen):
    """Runs, versions, loss curves; train now, stop, use a version, roll back."""

    MODE = "training"
    CSS_PATH = str(STYLES / "training.tcss")  # also in the app's CSS_PATH; read once
    AUTO_FOCUS = "#training-versions"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "train_now", "Train now", id="training-train-now"),
        Binding("f6", "stop_training", "Stop", id="training-stop"),
        Binding("ctrl+u", "use_version", "Use version", id="training-use-version"),
        Binding("ctrl+r", "rollback", "Rollback", id="training-rollback"),
        Binding("ctrl+l", "reload", "Reload", id="training-reload", show=False),
    ]

    COMMAND: ClassVar[Sequence[str] | None] = None
    """The trainer command (``None``: ``journal-me train --json-progress`` on this vault)."""
    STOP_GRACE: ClassVar[float] = 10.0
    """Seconds between SIGTERM (stop at the next optimizer step) and SIGKILL."""
    POLL_INTERVAL: ClassVar[float] = 5.0
    """How often to look whether the nightly job changed the state or the registry."""

    class ActiveModelChanged(Message):
        """The active model changed (published, used, rolled back); bubbles to the app."""

        def __init__(self, label: str) -> None:
            self.label = label
            super().__init__()

    class _Loaded(Message):
        def __init__(self, snapshot: Snapshot, stamps: tuple[float, ...]) -> None:
            self.snapshot, self.stamps = snapshot, stamps
            super().__init__()

    class _Changed(Message):
        """What the screen shows changed on disk."""

    class _RunEvent(Message):
        def __init__(self, event: dict[str, Any]) -> None:
            self.event = event
            super().__init__()

    class _RunEnded(Message):
        def __init__(
            self, returncode: int | None, stderr: list[str], error: str | None, stopped: bool
        ) -> None:
            self.returncode, self.stderr, self.error, self.stopped = returncode, stderr, error, stopped
            super().__init__()

    class _Switched(Message):
        def __init__(self, what: str, label: str | None, error: str | None) -> None:
            self.what, self.label, self.error = what, label, error
            super().__init__()

    def __init__(
        self,
        command: Sequence[str] | None = None,
        *,
        gpu_probe: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__()
        self._command = list(command) if command is not None else None
        self._gpu_probe = gpu_probe or has_nvidia_gpu
        self.snapshot = Snapshot()
        self.running = False
        self.outcome: dict[str, Any] | None = None
        self._trainer: TrainerProcess | None = None  # the run this screen started
        self._allow_cpu = False
        self._live_plot = False
        self._step_index = 0
        self._selected_version: str | None = None
        self._selected_run: str | None = None
        self._stamps: tuple[float, ...] = ()
        self._poll: Timer | None = None
        self._message: tuple[Text, bool] | None = None
        self._problems: list[str] = []

    # -- layout ----------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with Horizontal(id="training-body"):
            with Vertical(id="training-lists"):
                yield Label("Versions", classes="panel-title")
                yield DataTable(id="training-versions", cursor_type="row", zebra_stripes=True)
                yield Label("Runs", classes="panel-title")
                yield DataTable(id="training-runs", cursor_type="row", zebra_stripes=True)
                yield Static(id="training-detail")
            with Vertical(id="training-live"):
                yield Static(id="training-active")
                yield Static(id="training-status")
                with Horizontal(id="training-progress-row", classes="-idle"):
                    yield Label("idle", id="training-step")
                    yield ProgressBar(total=1, show_eta=False, id="training-progress")
                    yield Label("", id="training-loss")
                yield LossPlot(id="training-plot")
                yield RichLog(id="training-log", markup=False, wrap=True, min_width=20, max_lines=400)

    def on_mount(self) -> None:  # MainScreen.on_mount runs too (Textual walks the MRO)
        self.jm.main_screens[self.MODE] = self
        versions = self.query_one("#training-versions", DataTable)
        versions.add_column("", key="active", width=1)
        versions.add_column("Version", key="version")
        versions.add_column("Created", key="created")
        for label, key in (("Score", "score"), ("Facts", "facts"), ("F1", "f1"), ("NLL", "nll")):
            versions.add_column(label, key=key)
        versions.add_column("Base score", key="base_score")
        runs = self.query_one("#training-runs", DataTable)
        runs.add_column("Started", key="started")
        runs.add_column("Outcome", key="status")
        runs.add_column("Took", key="duration")
        runs.add_column("Details", key="detail", width=DETAIL_WIDTH)
        runs.add_column("Data", key="data")
        self.query_one("#training-plot", LossPlot).show("loss", {}, "pick a version")
        self._show_active()
        self._show_status()
        self.reload()
        if self.POLL_INTERVAL > 0:
            self._poll = self.set_interval(self.POLL_INTERVAL, self._poll_changes)

    def on_screen_resume(self) -> None:
        self.reload()

    def on_unmount(self) -> None:
        if self._trainer is not None:
            self._trainer.close(grace=1.0)  # safe: the active model changes only atomically

    @property
    def settings(self) -> Settings:
        return self.jm.settings

    # -- loading ---------------------------------------------------------------------------
    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="training-load", exit_on_error=False)
    def _load(self) -> None:
        stamps = change_stamps(self.settings)  # before reading: a change meanwhile reloads again
        self.post_message(self._Loaded(load_snapshot(self.settings), stamps))

    def _poll_changes(self) -> None:
        if self.is_current:
            self._check_changes()

    @work(thread=True, exclusive=True, group="training-poll", exit_on_error=False)
    def _check_changes(self) -> None:
        """Has the nightly job (or another app) changed the state or the registry?"""
        if change_stamps(self.settings) != self._stamps:
            self.post_message(self._Changed())

    @on(_Changed)
    def _changed(self, _message: _Changed) -> None:
        self.reload()

    @on(_Loaded)
    def _loaded(self, message: _Loaded) -> None:
        self.snapshot = message.snapshot
        self._stamps = message.stamps
        self._fill_versions()
        self._fill_runs()
        self._show_active()
        self._show_status()
        if message.snapshot.problems != self._problems:  # say it once, not at every reload
            self._problems = message.snapshot.problems
            for problem in self._problems:
                self.notify(problem, title="Training", severity="warning", timeout=15, markup=False)
        self.refresh_bindings()

    def _fill_versions(self) -> None:
        table: DataTable[Text] = self.query_one("#training-versions", DataTable)
        wanted = self._selected_version
        table.clear()
        for row in self.snapshot.versions:
            m = row.metrics
            table.add_row(
                Text("●", style="bold green") if row.active else Text(""),
                Text(row.version, style="bold" if row.active else ""),
                Text(row.created, style="dim"),
                _metric(m, "score"),
                _metric(m, "facts"),
                _metric(m, "f1"),
                _metric(m, "nll"),
                _metric(m, "base_score"),
                key=row.version,
            )
        if not self.snapshot.versions:
            self._selected_version = None
            if not self._live_plot:
                self.query_one("#training-plot", LossPlot).show("loss", {}, "no trained version yet")
            return
        index = next((i for i, r in enumerate(self.snapshot.versions) if r.version == wanted), None)
        if index is None:
            index = next((i for i, r in enumerate(self.snapshot.versions) if r.active), 0)
        table.move_cursor(row=index, animate=False)
        self._show_version(self.snapshot.versions[index].version, plot=not self._live_plot)

    def _fill_runs(self) -> None:
        table: DataTable[Text] = self.query_one("#training-runs", DataTable)
        table.clear()
        for row in self.snapshot.runs:
            table.add_row(
                Text(row.started or row.finished or "—", style="dim"),
                Text(row.status, style=STATUS_STYLES.get(row.status, "")),
                Text(row.duration, justify="right"),
                Text(row.detail, no_wrap=True, overflow="ellipsis"),
                Text(row.data, style="dim"),
                key=row.key,
            )
        if not self.snapshot.runs:
            table.add_row(
                Text("—", style="dim"),
                Text("never", style="dim"),
                Text(""),
                Text("no training run yet: f5 trains now", style="dim italic"),
                Text(""),
                key="none",
            )

    # -- the selection ---------------------------------------------------------------------
    def version_row(self, version: str | None) -> VersionRow | None:
        return self.snapshot.version(version)

    @on(DataTable.RowHighlighted, "#training-versions")
    def _version_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key is not None and event.row_key.value is not None:
            version = str(event.row_key.value)
            # the curve of the run just watched stays until another version is picked
            self._show_version(version, plot=not (self._live_plot and version == self._selected_version))

    def _show_version(self, version: str, *, plot: bool = True) -> None:
        row = self.version_row(version)
        if row is None:
            return
        self._selected_version = version
        if plot and not self.running:
            self._live_plot = False
            self.query_one("#training-plot", LossPlot).show(
                f"{version} loss", row.losses, "no loss curve in its manifest"
            )
        self._show_detail()
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#training-runs")
    def _run_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._selected_run = str(event.row_key.value) if event.row_key is not None else None
        self._show_detail()

    def on_descendant_focus(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        """Below the tables: the whole story of the run or version under the cursor (of the
        table that has the focus)."""
        detail = self.query_one("#training-detail", Static)
        if self.query_one("#training-runs", DataTable).has_focus:
            run = self.snapshot.run(self._selected_run)
            if run is None:
                detail.update("")
                return
            text = Text()
            text.append(run.status, style=STATUS_STYLES.get(run.status, "bold"))
            if run.finished:
                text.append(f"  {run.finished}", style="dim")
            text.append(f"\n{run.detail}")
            if run.hint:
                text.append("\nWhat to do: ", style="bold")
                text.append(run.hint)
            if run.run_dir:
                text.append(f"\nRun directory: {run.run_dir}", style="dim")
            detail.update(text)
            return
        version = self.version_row(self._selected_version)
        if version is None:
            detail.update("")
            return
        marker = " (active)" if version.active else ""
        detail.update(Text(version.summary + marker, style="dim"))

    # -- status ----------------------------------------------------------------------------
    def _show_active(self) -> None:
        text = Text()
        text.append("Active model: ", style="bold")
        text.append(self.snapshot.active_label)
        if self.snapshot.previous_label:
            text.append(f"\nRollback returns to {self.snapshot.previous_label}", style="dim")
        self.query_one("#training-active", Static).update(text)

    def _show_status(self, text: Text | None = None, *, error: bool = False) -> None:
        """The message box: this session's run (live, its outcome, its error: kept until the
        next run), else the newest run of the history."""
        if text is not None:
            self._message = (text, error)
        elif self._message is not None:
            text, error = self._message
        else:
            last = self.snapshot.last_run()
            if last is None:
                text = Text("No training run yet: f5 trains now.", style="dim")
            else:
                text = Text.assemble(
                    ("Last run: ", "bold"),
                    (last.status, STATUS_STYLES.get(last.status, "")),
                    (f"  {last.finished}", "dim"),
                    f"\n{last.detail}",
                )
                error = last.status == "failed"
                if last.hint:
                    text.append("\nWhat to do: ", style="bold")
                    text.append(last.hint)
        status = self.query_one("#training-status", Static)
        status.set_class(error, "-error")
        status.update(text)

    def _log(self, text: str | Text) -> None:
        self.query_one("#training-log", RichLog).write(text if isinstance(text, Text) else Text(text))

    # -- train now -------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "train_now":
            return None if self.running else True
        if action == "stop_training":
            return True if self.running else None
        if action == "use_version":
            row = self.version_row(self._selected_version)
            return True if row is not None and not row.active else None
        return True

    def build_command(self, allow_cpu: bool) -> list[str]:
        command = self._command or (list(self.COMMAND) if self.COMMAND else default_command(self.settings))
        return with_allow_cpu(command, allow_cpu)

    def action_train_now(self) -> None:
        if self.running:
            self.notify("Training is already running (f6 stops it).", markup=False)
            return
        if self.settings.train.allow_cpu or self._gpu_probe():
            self.start_training(allow_cpu=False)
            return
        self._ask_cpu("No NVIDIA GPU found on this machine.")

    def _ask_cpu(self, why: str) -> None:
        def answered(answer: str | None) -> None:
            if answer is not None:  # "" is yes
                self.start_training(allow_cpu=True)

        self.app.push_screen(
            AskDialog(
                "Train on the CPU?",
                f"{why}\n\nTraining on the CPU works but is slow: hours for a real 1.5B model "
                "(minutes for the tiny test model). The active model stays in use until the new "
                "adapter passes the eval gate. Set train.allow_cpu = true in the config to stop "
                "this question.",
                yes="Train on CPU",
            ),
            answered,
        )

    def start_training(self, *, allow_cpu: bool) -> None:
        if self.running:
            return
        trainer = TrainerProcess(self.build_command(allow_cpu), trainer_env(self.settings))
        self._trainer = trainer
        self.running = True
        self.outcome = None
        self._allow_cpu = allow_cpu
        self._step_index = 0
        self._live_plot = True
        self.query_one("#training-progress-row").remove_class("-idle")
        self.query_one("#training-plot", LossPlot).start_live("this run")
        self.query_one("#training-step", Label).update("starting…")
        self.query_one("#training-progress", ProgressBar).update(total=None, progress=0)
        self.query_one("#training-loss", Label).update("")
        started = dt.datetime.now().strftime("%H:%M:%S")
        self._log(Text(f"── training started {started}" + (" (CPU)" if allow_cpu else ""), style="bold"))
        self._show_status(Text.assemble(("Training…", "bold cyan"), "\nstarting the trainer"))
        self.refresh_bindings()
        self._run(trainer)

    @work(thread=True, exclusive=True, group="training-run", exit_on_error=False)
    def _run(self, trainer: TrainerProcess) -> None:
        try:
            trainer.start()
        except OSError as exc:
            self.post_message(self._RunEnded(None, [], f"cannot start {trainer.command[0]}: {exc}", False))
            return
        try:
            for event in trainer.events():
                self.post_message(self._RunEvent(event))
        finally:
            returncode = trainer.wait()
            self.post_message(self._RunEnded(returncode, trainer.stderr_tail, None, trainer.stop_requested))

    @on(_RunEvent)
    def _run_event(self, message: _RunEvent) -> None:
        event = message.event
        kind = event.get("event")
        name = str(event.get("name") or "")
        step_label = self.query_one("#training-step", Label)
        bar = self.query_one("#training-progress", ProgressBar)
        if kind == "step":
            self._step_index, where = step_position(name, self._step_index)
            step_label.update(f"{where}{name}")
            bar.update(total=None, progress=0)
            detail = str(event.get("detail") or "")
            self._log(Text.assemble(("▶ ", "cyan"), (name, "bold"), f"  {detail}" if detail else ""))
            self._show_status(
                Text.assemble(
                    ("Training… ", "bold cyan"), f"step {where}{name}", f"\n{detail}" if detail else ""
                )
            )
        elif kind == "progress":
            done, total = event_number(event.get("done")), event_number(event.get("total"))
            if total:
                bar.update(total=total, progress=done or 0)
            loss = event_number(event.get("loss"))
            if loss is not None:
                self.query_one("#training-loss", Label).update(f"loss {loss:.3f}")
                self.query_one("#training-plot", LossPlot).add_point(name, done or 0.0, loss)
        elif kind == "done":
            seconds = event_number(event.get("seconds")) or 0.0
            summary = str(event.get("summary") or "")
            if bar.total is None:
                bar.update(total=1, progress=1)
            else:
                bar.update(progress=bar.total)
            self._log(Text.assemble(("✓ ", "green"), (f"{name:<10}", "bold"), f"{seconds:6.1f}s  ", summary))
        elif kind == "preflight":  # the checks `journal-me train` runs before any work
            for ok, line in preflight_lines(event):
                mark, style = ("✓", "green") if ok else ("✗", "bold red")
                self._log(Text(f"{mark} {line}", style=style))
        elif kind == "note":
            self._log(Text(f"· {event.get('text', '')}", style="yellow"))
        elif kind == "outcome":
            self.outcome = event
        elif kind == "output":
            self._log(Text(str(event.get("text", "")), style="dim"))

    def action_stop_training(self) -> None:
        if not self.running:
            return

        def answered(answer: str | None) -> None:
            if answer is not None:  # "" is yes
                self.stop_training()

        self.app.push_screen(
            AskDialog(
                "Stop training?",
                "This run is discarded; the active model is not changed.",
                yes="Stop training",
            ),
            answered,
        )

    def stop_training(self) -> None:
        """Terminate the trainer (it stops at the next optimizer step), kill it if it lingers."""
        trainer = self._trainer
        if not self.running or trainer is None:
            return
        self.query_one("#training-step", Label).update("stopping…")
        trainer.terminate()  # before it started too: it is then stopped as soon as it runs
        self.set_timer(self.STOP_GRACE, trainer.kill)

    @on(_RunEnded)
    def _run_ended(self, message: _RunEnded) -> None:
        self.running = False
        self._trainer = None
        plot = self.query_one("#training-plot", LossPlot)
        plot.flush()
        bar = self.query_one("#training-progress", ProgressBar)
        if bar.total is None:
            bar.update(total=1, progress=0)
        outcome = self.outcome
        end = explain_end(
            message.returncode, message.stderr, error=message.error, stopped=message.stopped, outcome=outcome
        )
        if end.kind == "stopped":
            self.query_one("#training-step", Label).update("stopped")
            self._log(Text("■ stopped — the active model is unchanged", style="yellow"))
            self._show_status(Text.assemble(("Stopped. ", "bold yellow"), end.why))
            self.notify("Training stopped; the active model is unchanged.", markup=False)
        elif end.kind == "outcome" and outcome is not None:
            self._show_outcome(outcome)
        else:
            self._failed(end.title, end.why, end.hint)
        self.refresh_bindings()
        self.reload()

    def _show_outcome(self, outcome: Mapping[str, Any]) -> None:
        status = str(outcome.get("status") or "?")
        reason = str(outcome.get("reason") or "")
        version = str(outcome.get("version") or "")
        step_label = self.query_one("#training-step", Label)
        step_label.update(status)
        if status == "failed":
            step = str(outcome.get("step") or "")
            hint = str(outcome.get("hint") or "")
            self._failed(
                f"Training failed at {step}" if step else "Training failed",
                reason,
                hint,
                str(outcome.get("run_dir") or ""),
            )
            if step == "setup" and "--allow-cpu" in hint and not self._allow_cpu:
                self._ask_cpu(reason)
            return
        self._log(Text(f"= {status}: {reason}", style=STATUS_STYLES.get(status, "bold")))
        if status == "published":
            self._selected_version = version or self._selected_version
            self._show_status(
                Text.assemble((f"Published {version}", "bold green"), f" (now active)\n{reason}")
            )
            self.notify(f"{version} published and now active.", title="Training", markup=False)
            self._model_changed(version)
        elif status == "refused":
            self._show_status(Text.assemble(("Not published", "bold yellow"), f"\n{reason}"))
            self.notify(reason, title="Training", severity="warning", timeout=10, markup=False)
        else:
            self._show_status(Text.assemble((status.capitalize(), "bold"), f"\n{reason}"))
            self.notify(f"{status}: {reason}", title="Training", markup=False)

    def _failed(self, title: str, why: str, hint: str, run_dir: str = "") -> None:
        text = Text()
        text.append(title, style="bold")
        text.append(f"\n{why}")
        if hint:
            text.append("\nWhat to do: ", style="bold")
            text.append(hint)
        if run_dir:
            text.append(f"\nRun directory: {run_dir}", style="dim")
        self._show_status(text, error=True)
        self._log(Text(f"✗ {title}: {why}", style="bold red"))
        if hint:
            self._log(Text(f"  what to do: {hint}"))
        self.query_one("#training-step", Label).update("failed")
        self.notify(f"{title}: {why}", title="Training", severity="error", timeout=15, markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # ReportsWorkerErrors' handler runs too (Textual calls the handlers of the whole MRO)
        worker = event.worker
        # the worker posts _RunEnded from its ``finally``; this covers a failure before that
        ended = event.state in (WorkerState.ERROR, WorkerState.CANCELLED)
        trainer = self._trainer
        if (
            worker.group == "training-run"
            and ended
            and self.running
            and (trainer is None or not trainer.alive)
        ):
            self.running = False
            self._trainer = None
            self.refresh_bindings()

    # -- versions --------------------------------------------------------------------------
    def action_use_version(self) -> None:
        row = self.version_row(self._selected_version)
        if row is None:
            self.notify("Pick a version first.", markup=False)
            return
        if row.active:
            self.notify(f"{row.version} is already active.", markup=False)
            return
        self._switch("use", row.version)

    def action_rollback(self) -> None:
        previous = self.snapshot.previous_label
        if previous is None:
            self.notify("Nothing to roll back to: no earlier model.", severity="warning", markup=False)
            return

        def answered(answer: str | None) -> None:
            if answer is not None:  # "" is yes
                self._switch("rollback", None)

        self.app.push_screen(
            AskDialog(
                "Roll back?",
                f"Chats now run on {self.snapshot.active_label}.\nRoll back to {previous}?\n\n"
                "No version is deleted; you can use any of them again later.",
                yes="Roll back",
            ),
            answered,
        )

    @work(thread=True, exclusive=True, group="training-registry", exit_on_error=False)
    def _switch(self, what: str, version: str | None) -> None:
        try:
            label = (
                roll_back(self.settings) if what == "rollback" else use_version(self.settings, str(version))
            )
        except (RegistryError, OSError) as exc:
            self.post_message(self._Switched(what, None, str(exc)))
            return
        self.post_message(self._Switched(what, label, None))

    @on(_Switched)
    def _switched(self, message: _Switched) -> None:
        if message.error is not None:
            verb = "Roll back" if message.what == "rollback" else "Use version"
            self.notify(f"{verb} failed: {message.error}", title="Training", severity="error", markup=False)
            return
        label = message.label or "no model"
        self._log(Text(f"⇄ now running {label}", style="bold"))
        self.notify(f"Chats now run on {label}.", title="Model", markup=False)
        self._model_changed(label)
        self.reload()

    def _model_changed(self, label: str) -> None:
        """Tell the app (its model status, open chats) that the active model changed."""
        refresh = getattr(self.app, "refresh_model_status", None)
        if callable(refresh):
            refresh()
        self.post_message(self.ActiveModelChanged(label))

    def action_reload(self) -> None:
        self.reload()


__all__ = ["TrainingScreen"]
