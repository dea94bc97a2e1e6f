"""What the Training screen shows and how it runs the trainer, without Textual.

Two parts, both usable from any front end (the app's Training screen is one):

- the *view model*: :func:`load_snapshot` reads the trainer's state file and the model
  registry into plain rows (past runs, adapter versions with their eval scores and loss
  curves, the active model and what a rollback returns to) and never raises; plus the
  small formatting helpers those rows are made with.
- the *client*: :class:`TrainerProcess` runs ``journal-me train --json-progress`` as a
  child process — torch and llama.cpp stay out of the caller's process, and stopping is
  terminating it (always safe: the active model changes only at the registry's atomic
  switch) — and yields every line it prints as an event (:func:`parse_event`);
  :func:`step_position`, :func:`event_number` and :func:`explain_end` turn those events
  into what a progress display says.

The step names and their order are :data:`trainer.steps.STEPS`, the pipeline's own list.
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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from journal_me.config import Settings
from journal_me.models import ActiveModel, Adapter, ModelRegistry, RegistryError
from trainer.state import read_state, state_file
from trainer.steps import STEPS

STDERR_LINES = 40  # the trainer's last stderr lines kept to explain a crash


# --------------------------------------------------------------------------- the command


def default_command(settings: Settings) -> list[str]:
    """This interpreter running the CLI on the app's vault and config (no PATH needed)."""
    cmd = [sys.executable, "-m", "journal_me.cli", "--vault", str(settings.vault.expanduser().resolve())]
    if settings.config_file is not None:
        cmd += ["--config", str(settings.config_file)]
    return [*cmd, "train", "--json-progress"]


def with_allow_cpu(command: Sequence[str], allow_cpu: bool) -> list[str]:
    """``command``, plus ``--allow-cpu`` (once) when the user agreed to train on the CPU."""
    return [*command, "--allow-cpu"] if allow_cpu and "--allow-cpu" not in command else list(command)


def trainer_env(settings: Settings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: this process's, on the same data dir, unbuffered output."""
    env = dict(os.environ if base is None else base)
    env["JOURNAL_ME_DATA_DIR"] = str(settings.data_root)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def has_nvidia_gpu() -> bool:
    """A cheap guess (no torch import): is there an NVIDIA driver at all? The trainer makes
    the real check and says so when a GPU it finds is not usable."""
    return shutil.which("nvidia-smi") is not None


# --------------------------------------------------------------------------- the events


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


def event_number(value: Any) -> float | None:
    """A number field of an event (``done``, ``total``, ``loss``, ``seconds``); booleans,
    strings and missing values are None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def step_position(name: str, current: int) -> tuple[int, str]:
    """A ``step`` event for ``name`` while at step ``current`` (1-based, 0 before the first):
    the new position and its label prefix, ``"3/7 "`` (unknown names keep the position and
    have no prefix)."""
    if name not in STEPS:
        return current, ""
    index = STEPS.index(name) + 1
    return index, f"{index}/{len(STEPS)} "


def preflight_lines(event: Mapping[str, Any]) -> list[tuple[bool, str]]:
    """A ``preflight`` event's checks as ``(ok, "preflight NAME: detail")``."""
    checks = event.get("checks")
    if not isinstance(checks, list):
        return []
    return [
        (bool(c.get("ok")), f"preflight {c.get('name', '')}: {c.get('detail', '')}")
        for c in checks
        if isinstance(c, Mapping)
    ]


EndKind = Literal["error", "stopped", "outcome", "crashed"]


@dataclass(frozen=True)
class RunEnd:
    """How a run the caller started ended, in words: ``outcome`` carries the trainer's own
    ``outcome`` event; the others say what happened without one."""

    kind: EndKind
    title: str = ""
    why: str = ""
    hint: str = ""


def explain_end(
    returncode: int | None,
    stderr: Sequence[str],
    *,
    error: str | None = None,
    stopped: bool = False,
    outcome: Mapping[str, Any] | None = None,
) -> RunEnd:
    """Why the trainer process ended: it could not start (``error``), the user stopped it
    (and it said nothing better than "failed"), it reported an outcome, or it exited
    without one (then the last lines of its stderr say why)."""
    if error is not None:
        return RunEnd("error", "The trainer could not start", error, "check the set-up: journal-me doctor")
    if stopped and (outcome is None or outcome.get("status") == "failed"):
        return RunEnd("stopped", "Stopped", "The active model is unchanged.")
    if outcome is not None:
        return RunEnd("outcome")
    tail = [line for line in stderr if line.strip()][-6:]
    return RunEnd(
        "crashed",
        f"The trainer exited with code {returncode}",
        "\n".join(tail) or "it printed no result",
        "run `journal-me train` in a terminal to see it all; `journal-me doctor` checks the set-up",
    )


# --------------------------------------------------------------------------- the client


class TrainerProcess:
    """The trainer as a child process: start it, read its events, stop it.

    :meth:`start` and :meth:`events` block (run them in a worker thread);
    :meth:`terminate`, :meth:`kill` and :meth:`close` may be called from any thread, even
    before :meth:`start` (the child is then terminated as soon as it exists).
    """

    def __init__(
        self,
        command: Sequence[str],
        env: Mapping[str, str] | None = None,
        *,
        stderr_lines: int = STDERR_LINES,
    ) -> None:
        self.command = list(command)
        self.env = dict(env) if env is not None else None
        self.stop_requested = False
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: deque[str] = deque(maxlen=stderr_lines)
        self._reader: threading.Thread | None = None

    def start(self) -> None:
        """Start the child; ``OSError`` when it cannot be run (no such file, not executable)."""
        proc = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
            env=self.env,
        )
        self._proc = proc
        self._reader = threading.Thread(target=_drain, args=(proc.stderr, self._stderr), daemon=True)
        self._reader.start()
        if self.stop_requested:  # a stop came while it was starting
            self.terminate()

    def events(self) -> Iterator[dict[str, Any]]:
        """Every non-blank stdout line, as it comes: an event, or ``{"event": "output",
        "text": line}`` for anything else (library chatter). Ends when the child closes
        its stdout (it exited)."""
        proc = self._proc
        if proc is None or proc.stdout is None:
            return
        for line in proc.stdout:
            if line.strip():
                yield parse_event(line) or {"event": "output", "text": line.rstrip()}

    def wait(self) -> int | None:
        """Wait for the child to exit: its return code (None if it never started)."""
        proc = self._proc
        if proc is None:
            return None
        returncode = proc.wait()
        if self._reader is not None:
            self._reader.join(timeout=2.0)
        return returncode

    @property
    def alive(self) -> bool:
        proc = self._proc
        return proc is not None and proc.poll() is None

    @property
    def stderr_tail(self) -> list[str]:
        """The last lines the child wrote to stderr."""
        return list(self._stderr)

    def terminate(self) -> None:
        """Ask the child to stop (SIGTERM: the trainer stops at the next step boundary)."""
        self.stop_requested = True
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.terminate()

    def kill(self) -> None:
        """Kill a child that did not stop (safe: the active model changes only atomically)."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.kill()

    def close(self, grace: float = 1.0) -> None:
        """Terminate, wait up to ``grace`` seconds, then kill."""
        if not self.alive:
            return
        self.terminate()
        proc = self._proc
        try:
            if proc is not None:
                proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()


def _drain(stream: IO[str] | None, into: deque[str]) -> None:
    """Read the trainer's stderr (so its pipe never fills), keeping the last lines."""
    if stream is None:
        return
    with contextlib.suppress(OSError, ValueError):
        for line in stream:
            into.append(line.rstrip())


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

    def version(self, name: str | None) -> VersionRow | None:
        return next((r for r in self.versions if r.version == name), None)

    def run(self, key: str | None) -> RunRow | None:
        return next((r for r in self.runs if r.key == key), None)

    def last_run(self) -> RunRow | None:
        """The newest finished run of the history (not a skip, not the one running now)."""
        return next((r for r in self.runs if r.key.startswith("run-")), None)


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


def _json_or_empty(path: Path) -> Mapping[str, Any]:
    """A JSON object from ``path``; ``{}`` when it is missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, Mapping) else {}


def _report(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    report = manifest.get("report")
    return report if isinstance(report, Mapping) else {}


def ordered_stages(stages: Iterable[str]) -> list[str]:
    """Stage names in pipeline order (``sft`` before ``dpo``), unknown ones after, sorted."""
    names = list(stages)
    return [s for s in STEPS if s in names] + sorted(s for s in names if s not in STEPS)


def adapter_losses(adapter: Adapter) -> dict[str, list[float]]:
    """The loss per logged step of each stage, from the adapter's manifest (numbers only)."""
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
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, not ours
        return True
    return True


def run_rows(state: Mapping[str, Any], manifests: Mapping[str, Mapping[str, Any]]) -> list[RunRow]:
    """The runs table from the trainer's state, newest first: the run in progress (or the
    one that died), the last skip when it is newer than every run, then the history.
    ``manifests`` (version → manifest) fills in the data counts of runs whose directory
    is gone."""
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
            report = _json_or_empty(Path(run_dir) / "data_report.json")
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
    return Snapshot(
        runs=run_rows(read_state(settings), manifests),
        versions=versions,
        active_label=active_label,
        previous_label=previous,
        problems=problems,
    )


def change_stamps(settings: Settings) -> tuple[float, ...]:
    """Modification times of what :func:`load_snapshot` reads (the state file, the active
    pointer, the adapters folder; 0 for a missing one): when they change, load again."""
    registry = ModelRegistry(settings)
    stamps: list[float] = []
    for path in (state_file(settings), registry.pointer_file, registry.adapters_dir):
        try:
            stamps.append(path.stat().st_mtime)
        except OSError:
            stamps.append(0.0)
    return tuple(stamps)


def use_version(settings: Settings, version: str) -> str:
    """Make adapter ``version`` the active one; the new active model's label.
    ``RegistryError``/``OSError`` when it cannot be switched."""
    return ModelRegistry(settings).activate_adapter(version).label


def roll_back(settings: Settings) -> str:
    """Return to the model that was active before; the new active model's label."""
    return ModelRegistry(settings).rollback().label


__all__ = [
    "STEPS",
    "RunEnd",
    "RunRow",
    "Snapshot",
    "TrainerProcess",
    "VersionRow",
    "adapter_losses",
    "change_stamps",
    "data_counts",
    "default_command",
    "duration_text",
    "event_number",
    "explain_end",
    "has_nvidia_gpu",
    "load_snapshot",
    "ordered_stages",
    "parse_event",
    "pointer_label",
    "preflight_lines",
    "roll_back",
    "run_duration",
    "run_rows",
    "short_time",
    "step_position",
    "trainer_env",
    "use_version",
    "version_summary",
    "with_allow_cpu",
]
