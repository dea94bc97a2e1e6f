"""The hourly reminders timer: golden files for the three backends, install/remove next to the
nightly one without touching it (fake scheduler tools; nothing on this machine is touched)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from trainer.schedule import CommandResult, Paths, Scheduler, ScheduleSpec
from trainer.schedule import render_cron as nightly_cron
from trainer.schedule_remind import (
    RemindScheduler,
    remind_command,
    render_cron,
    render_launchd,
    render_systemd_service,
    render_systemd_timer,
)

GOLDEN = Path(__file__).parent / "golden"
SPEC = ScheduleSpec(
    command=(
        "/opt/journal me/venv/bin/python",
        "-m",
        "journal_me.cli",
        "--vault",
        "/home/elena/journal",
        "remind",
        "--notify",
        "--quiet",
    ),
    env={"JOURNAL_ME_DATA_DIR": "/home/elena/.local/share/journal-me"},
    log_file=Path("/home/elena/.local/share/journal-me/remind.log"),
)


class FakeTools:
    def __init__(self, crontab: str | None = "") -> None:
        self.crontab = crontab
        self.calls: list[list[str]] = []

    def __call__(self, args: Sequence[str], stdin: str | None) -> CommandResult:
        self.calls.append(list(args))
        if list(args) == ["crontab", "-l"]:
            return CommandResult(0, self.crontab) if self.crontab is not None else CommandResult(127)
        if list(args) == ["crontab", "-"]:
            self.crontab = stdin
        return CommandResult(0)


@pytest.mark.parametrize(
    ("render", "golden"),
    [
        (render_systemd_service, "journal-me-remind.service"),
        (render_systemd_timer, "journal-me-remind.timer"),
        (render_cron, "crontab-remind.txt"),
        (render_launchd, "com.journal-me.remind.plist"),
    ],
)
def test_rendered_files_match_golden(render: object, golden: str) -> None:
    assert callable(render)
    assert render(SPEC) == (GOLDEN / golden).read_text(encoding="utf-8")


def test_remind_command_runs_remind_not_training() -> None:
    cmd = remind_command(Path("/tmp/v"), None)
    assert cmd[-3:] == ("remind", "--notify", "--quiet") and "train" not in cmd


def test_cron_install_keeps_the_nightly_line_and_adds_the_session_bus(tmp_path: Path) -> None:
    tools = FakeTools(crontab="MAILTO=me\n")
    paths = Paths(systemd_dir=tmp_path / "systemd", launchd_dir=tmp_path / "launchd")
    Scheduler("cron", paths=paths, runner=tools).install(ScheduleSpec(command=("x", "train", "--nightly")))
    RemindScheduler("cron", paths=paths, runner=tools, uid=1000).install(SPEC)
    RemindScheduler("cron", paths=paths, runner=tools, uid=1000).install(SPEC)  # idempotent
    assert tools.crontab is not None
    assert tools.crontab.count("remind --notify") == 1 and "train --nightly" in tools.crontab
    assert "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus" in tools.crontab
    assert "0 * * * *" in tools.crontab
    RemindScheduler("cron", paths=paths, runner=tools).remove()
    assert tools.crontab == "MAILTO=me\n" + nightly_cron(ScheduleSpec(command=("x", "train", "--nightly")))


def test_systemd_install_and_remove_leave_the_nightly_units(tmp_path: Path) -> None:
    tools = FakeTools()
    paths = Paths(systemd_dir=tmp_path / "systemd", launchd_dir=tmp_path / "launchd")
    paths.systemd_dir.mkdir(parents=True)
    paths.timer.write_text("nightly")
    remind = RemindScheduler("systemd", paths=paths, runner=tools)
    remind.install(SPEC)
    assert remind.timer.read_text() == render_systemd_timer(SPEC)
    assert ["systemctl", "--user", "enable", "--now", "journal-me-remind.timer"] in tools.calls
    remind.remove()
    assert not remind.timer.exists() and not remind.service.exists() and paths.timer.exists()


def test_cli_schedule_install_remind_dry_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from journal_me.cli import main

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    vault = tmp_path / "vault"
    vault.mkdir()
    argv = ["--vault", str(vault), "schedule", "install", "--remind", "--backend", "systemd", "--dry-run"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "OnCalendar=hourly" in out and f"--vault {vault.resolve()} remind --notify --quiet" in out
    assert not (tmp_path / "xdg").exists()
    assert os.environ.get("XDG_CONFIG_HOME") == str(tmp_path / "xdg")
