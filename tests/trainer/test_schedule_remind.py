"""The hourly reminders timer: golden files for the three backends, install/remove next to the
nightly one without touching it (fake scheduler tools; nothing on this machine is touched)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from trainer.schedule import (
    CommandResult,
    Job,
    Paths,
    Scheduler,
    ScheduleSpec,
    render_cron,
    render_launchd,
    render_systemd_service,
    render_systemd_timer,
)
from trainer.schedule_remind import REMIND, RemindScheduler, remind_command

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
def test_rendered_files_match_golden(render: Callable[[ScheduleSpec, Job], str], golden: str) -> None:
    assert render(SPEC, REMIND) == (GOLDEN / golden).read_text(encoding="utf-8")


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
    assert tools.crontab == "MAILTO=me\n" + render_cron(ScheduleSpec(command=("x", "train", "--nightly")))


def test_systemd_install_and_remove_leave_the_nightly_units(tmp_path: Path) -> None:
    tools = FakeTools()
    paths = Paths(systemd_dir=tmp_path / "systemd", launchd_dir=tmp_path / "launchd")
    paths.systemd_dir.mkdir(parents=True)
    nightly = Scheduler("systemd", paths=paths, runner=tools)
    nightly.timer.write_text("nightly")
    remind = RemindScheduler("systemd", paths=paths, runner=tools)
    remind.install(SPEC)
    assert remind.timer.read_text() == render_systemd_timer(SPEC, REMIND)
    assert ["systemctl", "--user", "enable", "--now", "journal-me-remind.timer"] in tools.calls
    remind.remove()
    assert not remind.timer.exists() and not remind.service.exists() and nightly.timer.exists()


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


def test_each_job_reports_its_own_status(tmp_path: Path) -> None:
    """The reminders' status reads the reminders' files and crontab line, not the nightly's."""
    paths = Paths(systemd_dir=tmp_path / "systemd", launchd_dir=tmp_path / "launchd")
    tools = FakeTools(crontab="MAILTO=me\n")
    Scheduler("cron", paths=paths, runner=tools).install(ScheduleSpec(command=("x", "train", "--nightly")))
    assert not RemindScheduler("cron", paths=paths, runner=tools).status().installed
    RemindScheduler("cron", paths=paths, runner=tools).install(SPEC)
    remind = RemindScheduler("cron", paths=paths, runner=tools).status()
    assert remind.installed and remind.at is None  # hourly: no time of day
    assert Scheduler("cron", paths=paths, runner=tools).status().at == "03:30"

    Scheduler("systemd", paths=paths, runner=tools).install(SPEC)
    assert not RemindScheduler("systemd", paths=paths, runner=tools).status().installed
    assert Scheduler("systemd", paths=paths, runner=tools).status().installed


@pytest.fixture
def cli_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeTools:
    """The CLI against fake scheduler tools, unit files under tmp_path; a vault to point at."""
    tools = FakeTools(crontab="MAILTO=me\n")
    monkeypatch.setattr("trainer.schedule.run_command", tools)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "vault").mkdir()
    return tools


def _cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    from journal_me.cli import main

    assert main(["--vault", str(tmp_path / "vault"), "schedule", *argv]) == 0
    return capsys.readouterr().out


def test_cli_remove_remind_dry_run_says_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli_tools: FakeTools
) -> None:
    out = _cli(tmp_path, capsys, "remove", "--remind", "--backend", "systemd", "--dry-run")
    assert out == "would run systemctl --user disable --now journal-me-remind.timer\n"
    assert cli_tools.calls == []  # a dry run runs nothing


def test_cli_remove_dry_run_with_nothing_installed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli_tools: FakeTools
) -> None:
    for extra in ((), ("--remind",)):
        out = _cli(tmp_path, capsys, "remove", *extra, "--backend", "cron", "--dry-run")
        assert out == "nothing installed\n"
    assert cli_tools.crontab == "MAILTO=me\n"


def test_cli_install_status_remove_remind_on_cron(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli_tools: FakeTools
) -> None:
    assert "reminders: not installed (cron)" in _cli(
        tmp_path, capsys, "status", "--remind", "--backend", "cron"
    )
    out = _cli(tmp_path, capsys, "install", "--remind", "--backend", "cron")
    assert "reminders scheduled every hour (cron)" in out
    assert cli_tools.crontab is not None and "remind --notify --quiet" in cli_tools.crontab
    assert _cli(tmp_path, capsys, "status", "--remind", "--backend", "cron").startswith(
        "reminders: cron, every hour\n"
    )
    nightly = _cli(tmp_path, capsys, "status", "--backend", "cron")
    assert nightly.startswith("schedule:  not installed (cron)")  # the reminders are not the nightly
    assert _cli(tmp_path, capsys, "remove", "--remind", "--backend", "cron") == (
        "remove the journal-me reminder lines from the crontab\n"
    )
    assert cli_tools.crontab == "MAILTO=me\n"
