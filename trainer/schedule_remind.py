"""Run ``journal-me remind --notify --quiet`` every hour: the reminders' timer.

The same three backends as the nightly schedule (``trainer.schedule``), under their own names
(``journal-me-remind.{service,timer}``, ``com.journal-me.remind``, a ``# journal-me-remind``
crontab marker), so installing or removing one never touches the other. ``remind`` delivers
each due task once a day, so an hourly timer that fires twice is harmless. Cron jobs get the
user's D-Bus session address, which ``notify-send`` needs and cron does not pass.
"""

from __future__ import annotations

import plistlib
import shlex
from pathlib import Path

from trainer.schedule import (
    Planned,
    Scheduler,
    ScheduleSpec,
    _systemd_quote,
    default_command,
)

UNIT = "journal-me-remind"
LAUNCHD_LABEL = "com.journal-me.remind"
CRON_MARKER = "# journal-me-remind"

__all__ = [
    "CRON_MARKER",
    "LAUNCHD_LABEL",
    "UNIT",
    "RemindScheduler",
    "remind_command",
    "render_cron",
    "render_launchd",
    "render_systemd_service",
    "render_systemd_timer",
]


def remind_command(vault: Path, config_file: Path | None) -> tuple[str, ...]:
    base = default_command(vault, config_file)
    assert base[-2:] == ("train", "--nightly")
    return (*base[:-2], "remind", "--notify", "--quiet")


def render_systemd_service(spec: ScheduleSpec) -> str:
    lines = [
        "[Unit]",
        "Description=journal-me reminders (tasks due now, as a desktop notification)",
        "",
        "[Service]",
        "Type=oneshot",
        "ExecStart=" + " ".join(_systemd_quote(a) for a in spec.command),
        "TimeoutStartSec=5min",
        "Environment=PYTHONUNBUFFERED=1",
    ]
    lines += [f"Environment={_systemd_quote(f'{k}={v}')}" for k, v in sorted(spec.env.items())]
    return "\n".join(lines) + "\n"


def render_systemd_timer(spec: ScheduleSpec) -> str:
    return (
        "[Unit]\n"
        "Description=Run journal-me reminders every hour\n"
        "\n"
        "[Timer]\n"
        "OnCalendar=hourly\n"
        "OnStartupSec=2min\n"
        "Persistent=true\n"
        f"Unit={UNIT}.service\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )


def render_cron(spec: ScheduleSpec) -> str:
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(spec.env.items()))
    cmd = " ".join(shlex.quote(a) for a in spec.command)
    if spec.log_file is not None:
        cmd += f" >> {shlex.quote(str(spec.log_file))} 2>&1"
    line = f"{spec.at.minute} * * * * {env + ' ' if env else ''}{cmd}".replace("%", "\\%")
    comment = (
        f"{CRON_MARKER} (managed by `journal-me schedule install --remind`; "
        "remove with `journal-me schedule remove --remind`)"
    )
    return f"{comment}\n{line} {CRON_MARKER}\n"


def render_launchd(spec: ScheduleSpec) -> str:
    plist: dict[str, object] = {
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": list(spec.command),
        "StartInterval": 3600,
        "RunAtLoad": True,
    }
    if spec.env:
        plist["EnvironmentVariables"] = dict(sorted(spec.env.items()))
    if spec.log_file is not None:
        plist["StandardOutPath"] = str(spec.log_file)
        plist["StandardErrorPath"] = str(spec.log_file)
    return plistlib.dumps(plist, sort_keys=True).decode("utf-8")


class RemindScheduler(Scheduler):
    """Install and remove the hourly reminders timer (``install`` is the nightly one's)."""

    @property
    def service(self) -> Path:
        return self.paths.systemd_dir / f"{UNIT}.service"

    @property
    def timer(self) -> Path:
        return self.paths.systemd_dir / f"{UNIT}.timer"

    @property
    def plist(self) -> Path:
        return self.paths.launchd_dir / f"{LAUNCHD_LABEL}.plist"

    def with_session_bus(self, spec: ScheduleSpec) -> ScheduleSpec:
        """cron runs outside the desktop session: point notify-send at the user's bus."""
        if self.backend != "cron" or "DBUS_SESSION_BUS_ADDRESS" in spec.env:
            return spec
        env = {**spec.env, "DBUS_SESSION_BUS_ADDRESS": f"unix:path=/run/user/{self.uid}/bus"}
        return ScheduleSpec(command=spec.command, at=spec.at, env=env, log_file=spec.log_file)

    def plan_install(self, spec: ScheduleSpec) -> Planned:
        spec = self.with_session_bus(spec)
        if self.backend == "systemd":
            return Planned(
                files={self.service: render_systemd_service(spec), self.timer: render_systemd_timer(spec)},
                crontab=None,
                commands=[
                    ["systemctl", "--user", "daemon-reload"],
                    ["systemctl", "--user", "enable", "--now", f"{UNIT}.timer"],
                ],
            )
        if self.backend == "launchd":
            target = f"gui/{self.uid}"
            return Planned(
                files={self.plist: render_launchd(spec)},
                crontab=None,
                commands=[
                    ["launchctl", "bootout", target, str(self.plist)],
                    ["launchctl", "bootstrap", target, str(self.plist)],
                ],
            )
        kept = _without_marker(self._crontab())
        new = (kept.rstrip("\n") + "\n" if kept.strip() else "") + render_cron(spec)
        return Planned(files={}, crontab=new, commands=[["crontab", "-"]])

    def remove(self, *, dry_run: bool = False) -> list[str]:
        actions: list[str] = []
        if self.backend == "systemd":
            cmd = ["systemctl", "--user", "disable", "--now", f"{UNIT}.timer"]
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
            if CRON_MARKER in current:
                actions.append("remove the journal-me reminder lines from the crontab")
                if not dry_run:
                    self._check(self.runner(["crontab", "-"], _without_marker(current)), "crontab -")
        return actions or ["nothing installed"]


def _without_marker(crontab: str) -> str:
    return "".join(ln for ln in crontab.splitlines(keepends=True) if CRON_MARKER not in ln)
