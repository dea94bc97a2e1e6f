"""Run ``journal-me train --nightly`` every night: a systemd user timer, else cron, or launchd.

- **systemd** (``systemctl --user`` works): a oneshot service and a timer with
  ``Persistent=true``, so a night the machine was off is caught up at the next boot. Logs go
  to the journal (``journalctl --user -u journal-me-nightly``). User timers run while the
  user has a session, or always with ``loginctl enable-linger``.
- **cron**: one crontab line, marked with a comment so ``remove`` finds it and nothing else;
  output appended to a log file. Cron does not catch up missed nights.
- **launchd** (macOS): a LaunchAgent with ``StartCalendarInterval``; launchd runs a missed
  interval when the Mac wakes.

The job itself is idempotent (lock, skips with a reason), so a timer that fires twice or a
manual run at the same time is harmless. Rendering is separate from installing so the files
are golden-tested and ``install --dry-run`` can print exactly what would be written.

Each scheduled job is a :class:`Job` (its names on every backend, daily or hourly); the
nightly training is :data:`NIGHTLY`, the hourly reminders are ``trainer.schedule_remind.REMIND``.
One renderer and one :class:`Scheduler` serve both, and each job keeps its own files and
crontab marker, so installing or removing one never touches the other.
"""

from __future__ import annotations

import datetime as dt
import os
import plistlib
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Backend = Literal["systemd", "cron", "launchd"]

NOTHING_INSTALLED = "nothing installed"  # what ``remove`` says when there was nothing to remove

Runner = Callable[[Sequence[str], str | None], "CommandResult"]


class ScheduleError(RuntimeError):
    """Installing, inspecting or removing the schedule failed; the message says how to fix it."""


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str = ""
    stderr: str = ""


def run_command(args: Sequence[str], stdin: str | None = None) -> CommandResult:
    """Run a scheduler tool (systemctl, crontab, launchctl); missing tools are rc 127."""
    try:
        done = subprocess.run(
            list(args), input=stdin, capture_output=True, text=True, timeout=30, check=False
        )
    except FileNotFoundError:
        return CommandResult(127, "", f"{args[0]}: not found")
    except (OSError, subprocess.SubprocessError) as exc:
        return CommandResult(1, "", str(exc))
    return CommandResult(done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True)
class Job:
    """One scheduled job: its names on each backend and how often it runs."""

    unit: str  # the systemd unit's stem; the crontab marker is "# <unit>"
    launchd_label: str
    title: str  # "journal-me nightly training"
    purpose: str  # the service's description, in brackets after the title
    cron_comment: str  # after the marker on the crontab's comment line
    cron_lines: str  # what its crontab lines are called: "journal-me", "journal-me reminder"
    timeout: str  # systemd TimeoutStartSec
    hourly: bool = False  # every hour at the spec's minute; else daily at the spec's time
    low_priority: bool = False  # nice 10 and idle I/O (the GPU/CPU-heavy training)
    session_bus: bool = False  # cron: point notify-send at the user's D-Bus session

    @property
    def cron_marker(self) -> str:
        return f"# {self.unit}"


NIGHTLY = Job(
    unit="journal-me-nightly",
    launchd_label="com.journal-me.nightly",
    title="journal-me nightly training",
    purpose="a LoRA adapter from your journal",
    cron_comment="(managed by `journal-me schedule`; remove with `journal-me schedule remove`)",
    cron_lines="journal-me",
    timeout="6h",
    low_priority=True,
)


@dataclass(frozen=True)
class ScheduleSpec:
    """What to run and when."""

    command: tuple[str, ...]
    at: dt.time = dt.time(3, 30)
    env: Mapping[str, str] = field(default_factory=dict)
    log_file: Path | None = None  # cron and launchd; systemd logs to the journal


def parse_at(text: str) -> dt.time:
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", text)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ScheduleError(f"--at {text!r}: give a time of day as HH:MM, e.g. 03:30")
    return dt.time(int(m.group(1)), int(m.group(2)))


def default_command(vault: Path, config_file: Path | None) -> tuple[str, ...]:
    """This interpreter running the CLI (robust inside a venv, no PATH needed)."""
    cmd = [sys.executable, "-m", "journal_me.cli", "--vault", str(vault.expanduser().resolve())]
    if config_file is not None:
        cmd += ["--config", str(config_file)]
    return (*cmd, "train", "--nightly")


# --------------------------------------------------------------------------- rendering


def _systemd_quote(arg: str) -> str:
    escaped = arg.replace("%", "%%")
    if re.search(r"[\s\"'\\;]", escaped) or not escaped:
        escaped = '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return escaped


def render_systemd_service(spec: ScheduleSpec, job: Job = NIGHTLY) -> str:
    lines = [
        "[Unit]",
        f"Description={job.title} ({job.purpose})",
        "",
        "[Service]",
        "Type=oneshot",
        "ExecStart=" + " ".join(_systemd_quote(a) for a in spec.command),
    ]
    if job.low_priority:
        lines += ["Nice=10", "IOSchedulingClass=idle"]
    lines += [f"TimeoutStartSec={job.timeout}", "Environment=PYTHONUNBUFFERED=1"]
    lines += [f"Environment={_systemd_quote(f'{k}={v}')}" for k, v in sorted(spec.env.items())]
    return "\n".join(lines) + "\n"


def render_systemd_timer(spec: ScheduleSpec, job: Job = NIGHTLY) -> str:
    if job.hourly:
        when, calendar = "every hour", ["OnCalendar=hourly", "OnStartupSec=2min"]
    else:
        when, calendar = f"at {spec.at:%H:%M}", [f"OnCalendar=*-*-* {spec.at:%H:%M}:00"]
    lines = [
        "[Unit]",
        f"Description=Run {job.title} {when}",
        "",
        "[Timer]",
        *calendar,
        "Persistent=true",
        f"Unit={job.unit}.service",
        "",
        "[Install]",
        "WantedBy=timers.target",
    ]
    return "\n".join(lines) + "\n"


def render_cron(spec: ScheduleSpec, job: Job = NIGHTLY) -> str:
    """Two lines: an explanatory comment and the entry, both carrying the job's marker."""
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(spec.env.items()))
    cmd = " ".join(shlex.quote(a) for a in spec.command)
    if spec.log_file is not None:
        cmd += f" >> {shlex.quote(str(spec.log_file))} 2>&1"
    hour = "*" if job.hourly else str(spec.at.hour)
    line = f"{spec.at.minute} {hour} * * * {env + ' ' if env else ''}{cmd}".replace("%", "\\%")
    return f"{job.cron_marker} {job.cron_comment}\n{line} {job.cron_marker}\n"


def render_launchd(spec: ScheduleSpec, job: Job = NIGHTLY) -> str:
    plist: dict[str, object] = {"Label": job.launchd_label, "ProgramArguments": list(spec.command)}
    if job.hourly:
        plist.update(StartInterval=3600, RunAtLoad=True)
    else:
        plist.update(StartCalendarInterval={"Hour": spec.at.hour, "Minute": spec.at.minute}, RunAtLoad=False)
    if job.low_priority:
        plist.update(Nice=10, LowPriorityIO=True)
    if spec.env:
        plist["EnvironmentVariables"] = dict(sorted(spec.env.items()))
    if spec.log_file is not None:
        plist["StandardOutPath"] = str(spec.log_file)
        plist["StandardErrorPath"] = str(spec.log_file)
    return plistlib.dumps(plist, sort_keys=True).decode("utf-8")


# --------------------------------------------------------------------------- where and how


def detect_backend(platform: str = sys.platform, runner: Runner = run_command) -> Backend:
    """launchd on macOS; systemd when a user manager answers; else cron."""
    if platform == "darwin":
        return "launchd"
    if runner(["systemctl", "--user", "show-environment"], None).returncode == 0:
        return "systemd"
    return "cron"


@dataclass(frozen=True)
class Paths:
    """Where the unit files go; each job's files are named for it (``Scheduler.timer`` …)."""

    systemd_dir: Path
    launchd_dir: Path

    @classmethod
    def default(cls) -> Paths:
        home = Path.home()
        config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
        return cls(systemd_dir=config / "systemd" / "user", launchd_dir=home / "Library" / "LaunchAgents")


@dataclass(frozen=True)
class Planned:
    """One file to write (or a crontab to replace) and the commands that activate it."""

    files: dict[Path, str]
    crontab: str | None
    commands: list[list[str]]


@dataclass
class ScheduleStatus:
    backend: Backend
    installed: bool
    at: str | None = None  # "03:30"
    next_run: str | None = None
    last_trigger: str | None = None
    detail: str = ""


class Scheduler:
    """Install, inspect and remove one job's schedule (the nightly training) on one backend."""

    job: Job = NIGHTLY

    def __init__(
        self,
        backend: Backend | None = None,
        *,
        paths: Paths | None = None,
        runner: Runner | None = None,  # None: the real tools (looked up now, so tests can patch it)
        uid: int | None = None,
    ) -> None:
        self.runner: Runner = runner or run_command
        self.backend: Backend = backend or detect_backend(runner=self.runner)
        self.paths = paths or Paths.default()
        self.uid = os.getuid() if uid is None and hasattr(os, "getuid") else (uid or 0)

    @property
    def service(self) -> Path:
        return self.paths.systemd_dir / f"{self.job.unit}.service"

    @property
    def timer(self) -> Path:
        return self.paths.systemd_dir / f"{self.job.unit}.timer"

    @property
    def plist(self) -> Path:
        return self.paths.launchd_dir / f"{self.job.launchd_label}.plist"

    # -- plan ----------------------------------------------------------------------------
    def with_session_bus(self, spec: ScheduleSpec) -> ScheduleSpec:
        """cron runs outside the desktop session: point notify-send at the user's bus."""
        if not self.job.session_bus or self.backend != "cron" or "DBUS_SESSION_BUS_ADDRESS" in spec.env:
            return spec
        env = {**spec.env, "DBUS_SESSION_BUS_ADDRESS": f"unix:path=/run/user/{self.uid}/bus"}
        return ScheduleSpec(command=spec.command, at=spec.at, env=env, log_file=spec.log_file)

    def plan_install(self, spec: ScheduleSpec) -> Planned:
        spec, job = self.with_session_bus(spec), self.job
        if self.backend == "systemd":
            return Planned(
                files={
                    self.service: render_systemd_service(spec, job),
                    self.timer: render_systemd_timer(spec, job),
                },
                crontab=None,
                commands=[
                    ["systemctl", "--user", "daemon-reload"],
                    ["systemctl", "--user", "enable", "--now", f"{job.unit}.timer"],
                ],
            )
        if self.backend == "launchd":
            target = f"gui/{self.uid}"
            return Planned(
                files={self.plist: render_launchd(spec, job)},
                crontab=None,
                commands=[
                    ["launchctl", "bootout", target, str(self.plist)],
                    ["launchctl", "bootstrap", target, str(self.plist)],
                ],
            )
        kept = self._without_marker(self._crontab())
        new = (kept.rstrip("\n") + "\n" if kept.strip() else "") + render_cron(spec, job)
        return Planned(files={}, crontab=new, commands=[["crontab", "-"]])

    # -- act -----------------------------------------------------------------------------
    def install(self, spec: ScheduleSpec) -> list[str]:
        """Write and activate; returns what was done, line by line."""
        plan = self.plan_install(spec)
        done: list[str] = []
        for path, text in plan.files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            done.append(f"wrote {path}")
        if spec.log_file is not None:
            spec.log_file.parent.mkdir(parents=True, exist_ok=True)
        if plan.crontab is not None:
            self._crontab(required=True)
            self._check(self.runner(["crontab", "-"], plan.crontab), "crontab -")
            done.append("installed the crontab entry")
            return done
        for cmd in plan.commands:
            result = self.runner(cmd, None)
            if cmd[:2] == ["launchctl", "bootout"]:
                continue  # not loaded yet: fine
            self._check(result, " ".join(cmd))
            done.append("ran " + " ".join(cmd))
        return done

    def remove(self, *, dry_run: bool = False) -> list[str]:
        actions: list[str] = []
        if self.backend == "systemd":
            cmd = ["systemctl", "--user", "disable", "--now", f"{self.job.unit}.timer"]
            actions.append("run " + " ".join(cmd))
            if not dry_run:
                self.runner(cmd, None)
            for path in (self.timer, self.service):
                if path.exists():
                    actions.append(f"delete {path}")
                    if not dry_run:
                        path.unlink()
            if not dry_run:
                self.runner(["systemctl", "--user", "daemon-reload"], None)
        elif self.backend == "launchd":
            cmd = ["launchctl", "bootout", f"gui/{self.uid}", str(self.plist)]
            actions.append("run " + " ".join(cmd))
            if not dry_run:
                self.runner(cmd, None)
            if self.plist.exists():
                actions.append(f"delete {self.plist}")
                if not dry_run:
                    self.plist.unlink()
        else:
            current = self._crontab()
            if self.job.cron_marker in current:
                actions.append(f"remove the {self.job.cron_lines} lines from the crontab")
                if not dry_run:
                    self._check(self.runner(["crontab", "-"], self._without_marker(current)), "crontab -")
        return actions or [NOTHING_INSTALLED]

    def status(self) -> ScheduleStatus:
        if self.backend == "systemd":
            return self._systemd_status()
        if self.backend == "launchd":
            installed = self.plist.is_file()
            at = _plist_at(self.plist) if installed else None
            return ScheduleStatus("launchd", installed, at=at, next_run=_next_daily(at))
        marker = self.job.cron_marker
        line = next((ln for ln in self._crontab().splitlines() if ln.endswith(marker)), None)
        at = None
        if line:
            minute, hour = line.split()[:2]
            if minute.isdigit() and hour.isdigit():
                at = f"{int(hour):02d}:{int(minute):02d}"
        return ScheduleStatus("cron", line is not None, at=at, next_run=_next_daily(at))

    # -- helpers -------------------------------------------------------------------------
    def _without_marker(self, crontab: str) -> str:
        marker = self.job.cron_marker
        return "".join(ln for ln in crontab.splitlines(keepends=True) if marker not in ln)

    def _crontab(self, *, required: bool = False) -> str:
        """The user's crontab ("" when they have none). ``required``: fail if cron is missing
        (installing); planning and status just see an empty one."""
        result = self.runner(["crontab", "-l"], None)
        if result.returncode == 127 and required:
            raise ScheduleError(
                "crontab is not installed and no systemd user manager answers — install cron "
                "(e.g. apt install cron), or run `journal-me train --nightly` from your own scheduler"
            )
        return result.stdout if result.returncode == 0 else ""  # "no crontab for user" → empty

    def _check(self, result: CommandResult, what: str) -> None:
        if result.returncode != 0:
            raise ScheduleError(
                f"`{what}` failed: {(result.stderr or result.stdout).strip() or result.returncode}"
            )

    def _systemd_status(self) -> ScheduleStatus:
        installed = self.timer.is_file()
        at = None
        if installed:
            m = re.search(r"OnCalendar=\S+ (\d{2}:\d{2})", self.timer.read_text(encoding="utf-8"))
            at = m.group(1) if m else None
        result = self.runner(
            [
                "systemctl",
                "--user",
                "show",
                f"{self.job.unit}.timer",
                "--property=NextElapseUSecRealtime,LastTriggerUSec,ActiveState",
            ],
            None,
        )
        props = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
        next_run = props.get("NextElapseUSecRealtime") or _next_daily(at)
        last = props.get("LastTriggerUSec") or None
        detail = f"timer {props['ActiveState']}" if props.get("ActiveState") else ""
        return ScheduleStatus(
            "systemd", installed, at=at, next_run=next_run or None, last_trigger=last, detail=detail
        )


def _plist_at(path: Path) -> str | None:
    try:
        data = plistlib.loads(path.read_bytes())
        interval = data["StartCalendarInterval"]
        return f"{int(interval['Hour']):02d}:{int(interval['Minute']):02d}"
    except (OSError, ValueError, KeyError, TypeError, plistlib.InvalidFileException):
        return None


def _next_daily(at: str | None, now: dt.datetime | None = None) -> str | None:
    if not at:
        return None
    hour, minute = (int(x) for x in at.split(":"))
    now = now or dt.datetime.now()
    nxt = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if nxt <= now:
        nxt += dt.timedelta(days=1)
    return nxt.strftime("%Y-%m-%d %H:%M")
