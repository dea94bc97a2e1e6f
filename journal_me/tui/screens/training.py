"""Training: the nightly fine-tune. Past runs and the adapter versions with their eval scores,
the selected version's loss curve, "train now" with live progress, "use this version" and
rollback.

"Train now" runs ``journal-me train --json-progress`` as a subprocess from a thread worker:
torch and llama.cpp stay out of the app's process, stopping is terminating the process
(always safe: the active model changes only at the registry's atomic switch), and every
JSON line becomes a message (step, progress with the loss, done, note, outcome). The
command is injectable (``TrainingScreen(command=…)`` or the ``COMMAND`` class attribute) so
tests run a fake trainer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar

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
from journal_me.models import ActiveModel, Adapter, ModelRegistry, RegistryError
from journal_me.tui.screens.base import MainScreen
from journal_me.tui.widgets.ask_dialog import AskDialog
from journal_me.tui.widgets.loss_plot import LossPlot, ordered_stages
from journal_me.tui.workers import ReportsWorkerErrors
from trainer.state import read_state, state_file

STYLES = Path(__file__).resolve().parent.parent / "styles"

# the pipeline's steps, in order (trainer.runtypes.STEPS; not imported: it pulls in the
# retriever and the eval code, which the app does not need to draw a progress bar)
STEPS: tuple[str, ...] = ("synthesis", "filter", "sft", "dpo", "export", "gate", "publish")
STDERR_LINES = 40
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


# --------------------------------------------------------------------------- the command


def default_command(settings: Settings) -> list[str]:
    """This interpreter running the CLI on the app's vault and config (no PATH needed)."""
    cmd = [sys.executable, "-m", "journal_me.cli", "--vault", str(settings.vault.expanduser().resolve())]
    if settings.config_file is not None:
        cmd += ["--config", str(settings.config_file)]
    return [*cmd, "train", "--json-progress"]


def has_nvidia_gpu() -> bool:
    """A cheap guess (no torch import): is there an NVIDIA driver at all? The trainer makes
    the real check and says so when a GPU it finds is not usable."""
    return shutil.which("nvidia-smi") is not None


def parse_event(line: str) -> dict[str, Any] | None:
    """One line of ``--json-progress`` output, or None when it is not an event."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("event"), str):
        return data
    return None


# --------------------------------------------------------------------------- what is shown


@dataclass(frozen=True)
class RunRow:
    """One line of the runs table (a finished run, a skip, or a run in progress)."""

    key: str
    status: str
    started: str = ""
    finished: str = ""
    duration: str = ""
    data: str = ""
    detail: str = ""  # the outcome in words: reason, "at sft: why"
    hint: str = ""
    run_dir: str = ""
    version: str = ""


@dataclass(frozen=True)
class VersionRow:
    version: str
    created: str
    base: str
    metrics: Mapping[str, Any]
    losses: dict[str, list[float]]
    summary: str
    active: bool


@dataclass(frozen=True)
class Snapshot:
    runs: list[RunRow] = field(default_factory=list)
    versions: list[VersionRow] = field(default_factory=list)
    active_label: str = "no model"
    previous_label: str | None = None  # what rollback returns to
    problems: list[str] = field(default_factory=list)


def short_time(value: Any) -> str:
    """``2026-11-02T03:30:12+01:00`` → ``2026-11-02 03:30``."""
    text = str(value or "")
    return text[:16].replace("T", " ")


def _parse_time(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def duration_text(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return ""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours} h {rest // 60:02d}"


def run_duration(entry: Mapping[str, Any]) -> str:
    start, end = _parse_time(entry.get("started")), _parse_time(entry.get("finished"))
    if start is None or end is None:
        return ""
    try:
        return duration_text((end - start).total_seconds())
    except TypeError:  # one naive, one aware
        return ""


def data_counts(report: Mapping[str, Any]) -> str:
    """``434 train · 24 eval · 200 pairs`` from a run's data report (or manifest report)."""
    parts: list[str] = []
    filt = report.get("filter")
    if isinstance(filt, Mapping):
        if isinstance(filt.get("train"), int):
            parts.append(f"{filt['train']} train")
        if isinstance(filt.get("eval"), int):
            parts.append(f"{filt['eval']} eval")
    pairs = report.get("dpo_pairs")
    if isinstance(pairs, Mapping) and isinstance(pairs.get("pairs"), int):
        parts.append(f"{pairs['pairs']} pairs")
    return " · ".join(parts)


def _read_json(path: Path) -> Mapping[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, Mapping) else {}


def _report(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    report = manifest.get("report")
    return report if isinstance(report, Mapping) else {}


def adapter_losses(adapter: Adapter) -> dict[str, list[float]]:
    losses = _report(adapter.manifest).get("losses")
    if not isinstance(losses, Mapping):
        return {}
    curves = {
        str(stage): [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        for stage, values in losses.items()
        if isinstance(values, list)
    }
    return {stage: curves[stage] for stage in ordered_stages(curves)}


def version_summary(adapter: Adapter) -> str:
    """What a version was made of, in one paragraph."""
    report = _report(adapter.manifest)
    parts = [f"{adapter.version} for {adapter.base or '?'}"]
    trainer = adapter.manifest.get("trainer")
    if isinstance(trainer, Mapping) and trainer.get("backend"):
        parts.append(f"{trainer['backend']} backend")
    counts = data_counts(report)
    if counts:
        parts.append(counts)
    for stage, values in adapter_losses(adapter).items():
        if values:
            parts.append(f"{stage} loss {values[0]:.3f} → {values[-1]:.3f} ({len(values)} steps)")
    durations = report.get("durations")
    if isinstance(durations, Mapping):
        total = sum(float(v) for v in durations.values() if isinstance(v, int | float))
        if total:
            parts.append(f"trained in {duration_text(total)}")
    source = adapter.manifest.get("source")
    if source and source != "journal-me train":
        parts.append(f"from {source}")
    return " · ".join(parts)


def pointer_label(state: Mapping[str, Any]) -> str:
    base = state.get("base")
    if not base:
        return "no model"
    adapter = state.get("adapter")
    return f"{base} + {adapter}" if adapter else f"{base} (no adapter)"


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, not ours
        return True
    return True


def _run_rows(state: Mapping[str, Any], manifests: Mapping[str, Mapping[str, Any]]) -> list[RunRow]:
    rows: list[RunRow] = []
    running = state.get("running")
    if isinstance(running, Mapping):
        alive = _pid_alive(running.get("pid"))
        step = running.get("step") or "start"
        rows.append(
            RunRow(
                key="running",
                status="running" if alive else "interrupted",
                started=short_time(running.get("started")),
                detail=(
                    f"running now (pid {running.get('pid')}), at {step}"
                    if alive
                    else f"stopped during {step} (killed or crashed); the next run cleans up"
                ),
                run_dir=str(running.get("run_dir") or ""),
            )
        )
    raw = state.get("history")
    history = [e for e in raw if isinstance(e, Mapping)] if isinstance(raw, list) else []
    latest = max((str(e.get("finished") or "") for e in history), default="")
    check = state.get("last_check")
    if isinstance(check, Mapping) and str(check.get("time") or "") > latest:
        rows.append(
            RunRow(
                key="last-check",
                status=str(check.get("status") or "skipped"),
                finished=short_time(check.get("time")),
                detail=str(check.get("reason") or ""),
            )
        )
    for i, entry in reversed(list(enumerate(history))):
        status = str(entry.get("status") or "?")
        version = str(entry.get("version") or "")
        run_dir = str(entry.get("run_dir") or "")
        report: Mapping[str, Any] = {}
        if run_dir:
            report = _read_json(Path(run_dir) / "data_report.json")
        if not report and version in manifests:
            report = _report(manifests[version])
        reason = str(entry.get("reason") or "")
        step = entry.get("step")
        if status == "failed" and step:
            detail = f"failed at {step}: {reason}"
        elif status == "published" and version:
            detail = f"published {version}: {reason}"
        else:
            detail = reason or (f"datasets in {run_dir}" if status == "dry-run" and run_dir else "")
        rows.append(
            RunRow(
                key=f"run-{i}",
                status=status,
                started=short_time(entry.get("started")),
                finished=short_time(entry.get("finished")),
                duration=run_duration(entry),
                data=data_counts(report),
                detail=detail,
                hint=str(entry.get("hint") or ""),
                run_dir=run_dir,
                version=version,
            )
        )
    return rows


def load_snapshot(settings: Settings) -> Snapshot:
    """Runs (the trainer's state) and versions (the registry). Never raises: what cannot be
    read is listed in ``problems``."""
    problems: list[str] = []
    versions: list[VersionRow] = []
    manifests: dict[str, Mapping[str, Any]] = {}
    active_label = "no model"
    previous: str | None = None
    try:
        registry = ModelRegistry(settings)
        active: ActiveModel = registry.active()
        active_label = active.label + (" (no adapter)" if active.base and not active.adapter else "")
        adapters = registry.adapters()
        history = registry.history()
        if history:
            previous = pointer_label(history[-1])
        for adapter in reversed(adapters):
            manifests[adapter.version] = adapter.manifest
            versions.append(
                VersionRow(
                    version=adapter.version,
                    created=short_time(adapter.created),
                    base=adapter.base,
                    metrics=adapter.metrics,
                    losses=adapter_losses(adapter),
                    summary=version_summary(adapter),
                    active=active.adapter is not None and active.adapter.version == adapter.version,
                )
            )
    except (RegistryError, OSError) as exc:
        problems.append(f"model registry: {exc}")
    state = read_state(settings)
    return Snapshot(
        runs=_run_rows(state, manifests),
        versions=versions,
        active_label=active_label,
        previous_label=previous,
        problems=problems,
    )


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
        def __init__(self, snapshot: Snapshot) -> None:
            self.snapshot = snapshot
            super().__init__()

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
        self._proc: subprocess.Popen[str] | None = None
        self._stop_requested = False
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
        proc = self._proc
        if proc is not None and proc.poll() is None:
            self._stop_requested = True
            proc.terminate()
            try:
                proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                proc.kill()  # safe: the active model changes only at the atomic switch

    @property
    def settings(self) -> Settings:
        return self.jm.settings

    # -- loading ---------------------------------------------------------------------------
    def reload(self) -> None:
        self._stamps = self._change_stamps()
        self._load()

    @work(thread=True, exclusive=True, group="training-load", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(self._Loaded(load_snapshot(self.settings)))

    def _change_stamps(self) -> tuple[float, ...]:
        stamps: list[float] = []
        registry = ModelRegistry(self.settings)
        for path in (state_file(self.settings), registry.pointer_file, registry.adapters_dir):
            try:
                stamps.append(path.stat().st_mtime)
            except OSError:
                stamps.append(0.0)
        return tuple(stamps)

    def _poll_changes(self) -> None:
        if self.is_current and self._change_stamps() != self._stamps:
            self.reload()

    @on(_Loaded)
    def _loaded(self, message: _Loaded) -> None:
        self.snapshot = message.snapshot
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
        return next((r for r in self.snapshot.versions if r.version == version), None)

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
            run = next((r for r in self.snapshot.runs if r.key == self._selected_run), None)
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
            last = next((r for r in self.snapshot.runs if r.key.startswith("run-")), None)
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
        return [*command, "--allow-cpu"] if allow_cpu and "--allow-cpu" not in command else list(command)

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
        command = self.build_command(allow_cpu)
        env = dict(os.environ)
        env["JOURNAL_ME_DATA_DIR"] = str(self.settings.data_root)
        env["PYTHONUNBUFFERED"] = "1"
        self.running = True
        self.outcome = None
        self._stop_requested = False
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
        self._run(command, env)

    @work(thread=True, exclusive=True, group="training-run", exit_on_error=False)
    def _run(self, command: list[str], env: dict[str, str]) -> None:
        stderr: deque[str] = deque(maxlen=STDERR_LINES)
        try:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                env=env,
            )
        except OSError as exc:
            self.post_message(self._RunEnded(None, [], f"cannot start {command[0]}: {exc}", False))
            return
        self._proc = proc
        if self._stop_requested:
            proc.terminate()
        reader = threading.Thread(target=_drain, args=(proc.stderr, stderr), daemon=True)
        reader.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if not line.strip():
                    continue
                event = parse_event(line)
                self.post_message(self._RunEvent(event or {"event": "output", "text": line.rstrip()}))
        finally:
            returncode = proc.wait()
            reader.join(timeout=2.0)
            self._proc = None
            self.post_message(self._RunEnded(returncode, list(stderr), None, self._stop_requested))

    @on(_RunEvent)
    def _run_event(self, message: _RunEvent) -> None:
        event = message.event
        kind = event.get("event")
        name = str(event.get("name") or "")
        step_label = self.query_one("#training-step", Label)
        bar = self.query_one("#training-progress", ProgressBar)
        if kind == "step":
            self._step_index = STEPS.index(name) + 1 if name in STEPS else self._step_index
            where = f"{self._step_index}/{len(STEPS)} " if name in STEPS else ""
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
            done, total = _number(event.get("done")), _number(event.get("total"))
            if total:
                bar.update(total=total, progress=done or 0)
            loss = event.get("loss")
            if isinstance(loss, int | float) and not isinstance(loss, bool):
                self.query_one("#training-loss", Label).update(f"loss {loss:.3f}")
                self.query_one("#training-plot", LossPlot).add_point(name, float(done or 0), float(loss))
        elif kind == "done":
            seconds = _number(event.get("seconds")) or 0.0
            summary = str(event.get("summary") or "")
            if bar.total is None:
                bar.update(total=1, progress=1)
            else:
                bar.update(progress=bar.total)
            self._log(Text.assemble(("✓ ", "green"), (f"{name:<10}", "bold"), f"{seconds:6.1f}s  ", summary))
        elif kind == "preflight":  # the checks `journal-me train` runs before any work
            for check in [c for c in event.get("checks") or [] if isinstance(c, dict)]:
                mark, style = ("✓", "green") if check.get("ok") else ("✗", "bold red")
                line = f"{mark} preflight {check.get('name', '')}: {check.get('detail', '')}"
                self._log(Text(line, style=style))
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
        if not self.running:
            return
        self._stop_requested = True
        self.query_one("#training-step", Label).update("stopping…")
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.terminate()
            self.set_timer(self.STOP_GRACE, lambda: self._kill(proc))

    @staticmethod
    def _kill(proc: subprocess.Popen[str]) -> None:
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.kill()

    @on(_RunEnded)
    def _run_ended(self, message: _RunEnded) -> None:
        self.running = False
        self._proc = None
        plot = self.query_one("#training-plot", LossPlot)
        plot.flush()
        bar = self.query_one("#training-progress", ProgressBar)
        if bar.total is None:
            bar.update(total=1, progress=0)
        outcome = self.outcome
        if message.error is not None:
            self._failed("The trainer could not start", message.error, "check the set-up: journal-me doctor")
        elif message.stopped and (outcome is None or outcome.get("status") == "failed"):
            self.query_one("#training-step", Label).update("stopped")
            self._log(Text("■ stopped — the active model is unchanged", style="yellow"))
            self._show_status(Text.assemble(("Stopped. ", "bold yellow"), "The active model is unchanged."))
            self.notify("Training stopped; the active model is unchanged.", markup=False)
        elif outcome is not None:
            self._show_outcome(outcome)
        else:
            tail = [line for line in message.stderr if line.strip()][-6:]
            why = "\n".join(tail) or "it printed no result"
            self._failed(
                f"The trainer exited with code {message.returncode}",
                why,
                "run `journal-me train` in a terminal to see it all; `journal-me doctor` checks the set-up",
            )
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
        if worker.group == "training-run" and ended and self.running and self._proc is None:
            self.running = False
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
        registry = ModelRegistry(self.settings)
        try:
            active = registry.rollback() if what == "rollback" else registry.activate_adapter(str(version))
        except (RegistryError, OSError) as exc:
            self.post_message(self._Switched(what, None, str(exc)))
            return
        self.post_message(self._Switched(what, active.label, None))

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


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _drain(stream: IO[str] | None, into: deque[str]) -> None:
    """Read the trainer's stderr (so its pipe never fills), keeping the last lines."""
    if stream is None:
        return
    with contextlib.suppress(OSError, ValueError):
        for line in stream:
            into.append(line.rstrip())


__all__ = [
    "Snapshot",
    "TrainingScreen",
    "default_command",
    "load_snapshot",
    "parse_event",
]
