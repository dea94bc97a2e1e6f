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
UNIT = "journal-me-nightly"
LAUNCHD_LABEL = "com.journal-me.nightly"
CRON_MARKER = "# journal-me-nightly"

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


def render_systemd_service(spec: ScheduleSpec) -> str:
    lines = [
        "[Unit]",
        "Description=journal-me nightly training (a LoRA adapter from your journal)",
        "",
        "[Service]",
        "Type=oneshot",
        "ExecStart=" + " ".join(_systemd_quote(a) for a in spec.command),
        "Nice=10",
        "IOSchedulingClass=idle",
        "TimeoutStartSec=6h",
        "Environment=PYTHONUNBUFFERED=1",
    ]
    lines += [f"Environment={_systemd_quote(f'{k}={v}')}" for k, v in sorted(spec.env.items())]
    return "\n".join(lines) + "\n"


def render_systemd_timer(spec: ScheduleSpec) -> str:
    return (
        "[Unit]\n"
        f"Description=Run journal-me nightly training at {spec.at:%H:%M}\n"
        "\n"
        "[Timer]\n"
        f"OnCalendar=*-*-* {spec.at:%H:%M}:00\n"
        "Persistent=true\n"
        f"Unit={UNIT}.service\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )


def render_cron(spec: ScheduleSpec) -> str:
    """Two lines: an explanatory comment and the entry, both carrying the marker."""
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(spec.env.items()))
    cmd = " ".join(shlex.quote(a) for a in spec.command)
    if spec.log_file is not None:
        cmd += f" >> {shlex.quote(str(spec.log_file))} 2>&1"
    line = f"{spec.at.minute} {spec.at.hour} * * * {env + ' ' if env else ''}{cmd}".replace("%", "\\%")
    comment = f"{CRON_MARKER} (managed by `journal-me schedule`; remove with `journal-me schedule remove`)"
    return f"{comment}\n{line} {CRON_MARKER}\n"


def render_launchd(spec: ScheduleSpec) -> str:
    plist: dict[str, object] = {
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": list(spec.command),
        "StartCalendarInterval": {"Hour": spec.at.hour, "Minute": spec.at.minute},
        "Nice": 10,
        "LowPriorityIO": True,
        "RunAtLoad": False,
    }
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
    systemd_dir: Path
    launchd_dir: Path

    @classmethod
    def default(cls) -> Paths:
        home = Path.home()
        config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
        return cls(systemd_dir=config / "systemd" / "user", launchd_dir=home / "Library" / "LaunchAgents")

    @property
    def service(self) -> Path:
        return self.systemd_dir / f"{UNIT}.service"

    @property
    def timer(self) -> Path:
        return self.systemd_dir / f"{UNIT}.timer"

    @property
    def plist(self) -> Path:
        return self.launchd_dir / f"{LAUNCHD_LABEL}.plist"


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
    """Install, inspect and remove the nightly schedule on one backend."""

    def __init__(
        self,
        backend: Backend | None = None,
        *,
        paths: Paths | None = None,
        runner: Runner = run_command,
        uid: int | None = None,
    ) -> None:
        self.runner = runner
        self.backend: Backend = backend or detect_backend(runner=runner)
        self.paths = paths or Paths.default()
        self.uid = os.getuid() if uid is None and hasattr(os, "getuid") else (uid or 0)

    # -- plan ----------------------------------------------------------------------------
    def plan_install(self, spec: ScheduleSpec) -> Planned:
        if self.backend == "systemd":
            return Planned(
                files={
                    self.paths.service: render_systemd_service(spec),
                    self.paths.timer: render_systemd_timer(spec),
                },
                crontab=None,
                commands=[
                    ["systemctl", "--user", "daemon-reload"],
                    ["systemctl", "--user", "enable", "--now", f"{UNIT}.timer"],
                ],
            )
        if self.backend == "launchd":
            target = f"gui/{self.uid}"
            return Planned(
                files={self.paths.plist: render_launchd(spec)},
                crontab=None,
                commands=[
                    ["launchctl", "bootout", target, str(self.paths.plist)],
                    ["launchctl", "bootstrap", target, str(self.paths.plist)],
                ],
            )
        current = self._crontab()
        kept = _without_marker(current)
        new = (kept.rstrip("\n") + "\n" if kept.strip() else "") + render_cron(spec)
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
            cmd = ["systemctl", "--user", "disable", "--now", f"{UNIT}.timer"]
            actions.append("run " + " ".join(cmd))
            if not dry_run:
                self.runner(cmd, None)
            for path in (self.paths.timer, self.paths.service):
                if path.exists():
                    actions.append(f"delete {path}")
                    if not dry_run:
                        path.unlink()
            if not dry_run:
                self.runner(["systemctl", "--user", "daemon-reload"], None)
        elif self.backend == "launchd":
            cmd = ["launchctl", "bootout", f"gui/{self.uid}", str(self.paths.plist)]
            actions.append("run " + " ".join(cmd))
            if not dry_run:
                self.runner(cmd, None)
            if self.paths.plist.exists():
                actions.append(f"delete {self.paths.plist}")
                if not dry_run:
                    self.paths.plist.unlink()
        else:
            current = self._crontab()
            if CRON_MARKER in current:
                actions.append("remove the journal-me lines from the crontab")
                if not dry_run:
                    self._check(self.runner(["crontab", "-"], _without_marker(current)), "crontab -")
        return actions or ["nothing installed"]

    def status(self) -> ScheduleStatus:
        if self.backend == "systemd":
            return self._systemd_status()
        if self.backend == "launchd":
            installed = self.paths.plist.is_file()
            at = _plist_at(self.paths.plist) if installed else None
            return ScheduleStatus("launchd", installed, at=at, next_run=_next_daily(at))
        line = next((ln for ln in self._crontab().splitlines() if ln.endswith(CRON_MARKER)), None)
        at = None
        if line:
            minute, hour = line.split()[:2]
            if minute.isdigit() and hour.isdigit():
                at = f"{int(hour):02d}:{int(minute):02d}"
        return ScheduleStatus("cron", line is not None, at=at, next_run=_next_daily(at))

    # -- helpers -------------------------------------------------------------------------
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
        installed = self.paths.timer.is_file()
        at = None
        if installed:
            m = re.search(r"OnCalendar=\S+ (\d{2}:\d{2})", self.paths.timer.read_text(encoding="utf-8"))
            at = m.group(1) if m else None
        result = self.runner(
            [
                "systemctl",
                "--user",
                "show",
                f"{UNIT}.timer",
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


def _without_marker(crontab: str) -> str:
    return "".join(ln for ln in crontab.splitlines(keepends=True) if CRON_MARKER not in ln)


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
