"""The nightly training and the hourly reminders timers: the three file formats (golden files),
install / status / remove against fake scheduler tools (nothing on this machine is touched),
and the two jobs side by side without touching each other."""

from __future__ import annotations

import datetime as dt
import os
import plistlib
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from trainer.schedule import (
    NIGHTLY,
    CommandResult,
    Job,
    Paths,
    ScheduleError,
    Scheduler,
    ScheduleSpec,
    detect_backend,
    parse_at,
    render_cron,
    render_launchd,
    render_systemd_service,
    render_systemd_timer,
)
from trainer.schedule_remind import REMIND, RemindScheduler, remind_command

GOLDEN = Path(__file__).parent / "golden"

CLI = ("/opt/journal me/venv/bin/python", "-m", "journal_me.cli", "--vault", "/home/elena/journal")
DATA = Path("/home/elena/.local/share/journal-me")
SPEC = ScheduleSpec(
    command=(*CLI, "train", "--nightly"),
    at=dt.time(3, 30),
    env={"JOURNAL_ME_DATA_DIR": str(DATA)},
    log_file=DATA / "nightly.log",
)
REMIND_SPEC = ScheduleSpec(
    command=(*CLI, "remind", "--notify", "--quiet"),
    env={"JOURNAL_ME_DATA_DIR": str(DATA)},
    log_file=DATA / "remind.log",
)


@pytest.mark.parametrize(
    ("render", "job", "golden"),
    [
        (render_systemd_service, NIGHTLY, "journal-me-nightly.service"),
        (render_systemd_timer, NIGHTLY, "journal-me-nightly.timer"),
        (render_cron, NIGHTLY, "crontab.txt"),
        (render_launchd, NIGHTLY, "com.journal-me.nightly.plist"),
        (render_systemd_service, REMIND, "journal-me-remind.service"),
        (render_systemd_timer, REMIND, "journal-me-remind.timer"),
        (render_cron, REMIND, "crontab-remind.txt"),
        (render_launchd, REMIND, "com.journal-me.remind.plist"),
    ],
)
def test_rendered_files_match_golden(
    render: Callable[[ScheduleSpec, Job], str], job: Job, golden: str
) -> None:
    spec = SPEC if job is NIGHTLY else REMIND_SPEC
    assert render(spec, job) == (GOLDEN / golden).read_text(encoding="utf-8")


def test_formats_are_well_formed() -> None:
    timer = render_systemd_timer(SPEC)
    assert "Persistent=true" in timer and "OnCalendar=*-*-* 03:30:00" in timer
    plist = plistlib.loads(render_launchd(SPEC).encode())
    assert plist["StartCalendarInterval"] == {"Hour": 3, "Minute": 30}
    assert plist["ProgramArguments"][0] == "/opt/journal me/venv/bin/python"
    cron = render_cron(SPEC).splitlines()
    assert all(line.endswith(NIGHTLY.cron_marker) or NIGHTLY.cron_marker in line for line in cron)
    assert cron[1].startswith("30 3 * * * ")


def test_percent_signs_are_escaped() -> None:
    spec = ScheduleSpec(command=("/x/100%/python", "-m", "journal_me.cli"), at=dt.time(1, 5))
    assert "/x/100%%/python" in render_systemd_service(spec)
    assert "/x/100\\%/python" in render_cron(spec)


def test_parse_at() -> None:
    assert parse_at("4:05") == dt.time(4, 5)
    for bad in ("25:00", "3.30", "noon"):
        with pytest.raises(ScheduleError):
            parse_at(bad)


class FakeTools:
    """A pretend crontab/systemctl/launchctl that records what it is asked."""

    def __init__(self, crontab: str | None = "", systemd: bool = False) -> None:
        self.crontab = crontab  # None: cron not installed
        self.systemd = systemd
        self.calls: list[list[str]] = []

    def __call__(self, args: Sequence[str], stdin: str | None) -> CommandResult:
        self.calls.append(list(args))
        if args[0] == "crontab":
            if self.crontab is None:
                return CommandResult(127, "", "crontab: not found")
            if list(args[1:]) == ["-l"]:
                return CommandResult(0, self.crontab) if self.crontab else CommandResult(1, "", "no crontab")
            self.crontab = stdin or ""
            return CommandResult(0)
        if args[0] == "systemctl":
            if not self.systemd:
                return CommandResult(1, "", "Failed to connect to bus")
            if "show" in args:
                return CommandResult(
                    0,
                    "NextElapseUSecRealtime=Wed 2026-11-25 03:30:00 UTC\n"
                    "LastTriggerUSec=Tue 2026-11-24 03:30:04 UTC\nActiveState=active\n",
                )
            return CommandResult(0)
        return CommandResult(0)


def _paths(tmp_path: Path) -> Paths:
    return Paths(systemd_dir=tmp_path / "systemd", launchd_dir=tmp_path / "LaunchAgents")


def test_detect_backend() -> None:
    assert detect_backend("darwin", FakeTools()) == "launchd"
    assert detect_backend("linux", FakeTools(systemd=True)) == "systemd"
    assert detect_backend("linux", FakeTools(systemd=False)) == "cron"


def test_cron_install_is_idempotent_and_remove_keeps_other_lines(tmp_path: Path) -> None:
    tools = FakeTools(crontab="MAILTO=me\n0 1 * * * backup.sh\n")
    scheduler = Scheduler("cron", paths=_paths(tmp_path), runner=tools)
    scheduler.install(SPEC)
    scheduler.install(ScheduleSpec(command=SPEC.command, at=dt.time(4, 15)))
    assert tools.crontab is not None
    assert tools.crontab.count("journal_me.cli") == 1  # replaced, not duplicated
    assert tools.crontab.startswith("MAILTO=me\n0 1 * * * backup.sh\n")
    status = scheduler.status()
    assert status.installed and status.at == "04:15" and status.next_run
    assert scheduler.remove() == ["remove the journal-me lines from the crontab"]
    assert tools.crontab == "MAILTO=me\n0 1 * * * backup.sh\n"
    assert not scheduler.status().installed
    assert scheduler.remove() == ["nothing installed"]


def test_cron_missing_is_a_clear_error_but_dry_run_plans(tmp_path: Path) -> None:
    scheduler = Scheduler("cron", paths=_paths(tmp_path), runner=FakeTools(crontab=None))
    assert scheduler.plan_install(SPEC).crontab == render_cron(SPEC)
    with pytest.raises(ScheduleError, match="crontab is not installed"):
        scheduler.install(SPEC)


def test_systemd_install_status_remove(tmp_path: Path) -> None:
    tools = FakeTools(systemd=True)
    paths = _paths(tmp_path)
    scheduler = Scheduler("systemd", paths=paths, runner=tools)
    done = scheduler.install(SPEC)
    assert scheduler.timer.read_text() == render_systemd_timer(SPEC)
    assert scheduler.service.read_text() == render_systemd_service(SPEC)
    assert ["systemctl", "--user", "enable", "--now", "journal-me-nightly.timer"] in tools.calls
    assert any("daemon-reload" in line for line in done)
    status = scheduler.status()
    assert status.installed and status.at == "03:30"
    assert status.next_run == "Wed 2026-11-25 03:30:00 UTC"
    assert status.last_trigger == "Tue 2026-11-24 03:30:04 UTC"
    actions = scheduler.remove()
    assert not scheduler.timer.exists() and not scheduler.service.exists()
    assert any("disable" in a for a in actions)


def test_launchd_install_and_remove(tmp_path: Path) -> None:
    tools = FakeTools()
    paths = _paths(tmp_path)
    scheduler = Scheduler("launchd", paths=paths, runner=tools, uid=501)
    scheduler.install(SPEC)
    assert scheduler.plist.read_text() == render_launchd(SPEC)
    assert ["launchctl", "bootstrap", "gui/501", str(scheduler.plist)] in tools.calls
    assert scheduler.status().at == "03:30"
    scheduler.remove()
    assert not scheduler.plist.exists()


# --------------------------------------------------------------------------- the hourly reminders


def test_remind_command_runs_remind_not_training() -> None:
    cmd = remind_command(Path("/tmp/v"), None)
    assert cmd[-3:] == ("remind", "--notify", "--quiet") and "train" not in cmd


def test_cron_install_keeps_the_nightly_line_and_adds_the_session_bus(tmp_path: Path) -> None:
    tools = FakeTools(crontab="MAILTO=me\n", systemd=True)
    paths = Paths(systemd_dir=tmp_path / "systemd", launchd_dir=tmp_path / "launchd")
    Scheduler("cron", paths=paths, runner=tools).install(ScheduleSpec(command=("x", "train", "--nightly")))
    RemindScheduler("cron", paths=paths, runner=tools, uid=1000).install(REMIND_SPEC)
    RemindScheduler("cron", paths=paths, runner=tools, uid=1000).install(REMIND_SPEC)  # idempotent
    assert tools.crontab is not None
    assert tools.crontab.count("remind --notify") == 1 and "train --nightly" in tools.crontab
    assert "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus" in tools.crontab
    assert "0 * * * *" in tools.crontab
    RemindScheduler("cron", paths=paths, runner=tools).remove()
    assert tools.crontab == "MAILTO=me\n" + render_cron(ScheduleSpec(command=("x", "train", "--nightly")))


def test_systemd_install_and_remove_leave_the_nightly_units(tmp_path: Path) -> None:
    tools = FakeTools(systemd=True)
    paths = Paths(systemd_dir=tmp_path / "systemd", launchd_dir=tmp_path / "launchd")
    paths.systemd_dir.mkdir(parents=True)
    nightly = Scheduler("systemd", paths=paths, runner=tools)
    nightly.timer.write_text("nightly")
    remind = RemindScheduler("systemd", paths=paths, runner=tools)
    remind.install(REMIND_SPEC)
    assert remind.timer.read_text() == render_systemd_timer(REMIND_SPEC, REMIND)
    assert ["systemctl", "--user", "enable", "--now", "journal-me-remind.timer"] in tools.calls
    remind.remove()
    assert not remind.timer.exists() and not remind.service.exists() and nightly.timer.exists()


def test_each_job_reports_its_own_status(tmp_path: Path) -> None:
    """The reminders' status reads the reminders' files and crontab line, not the nightly's."""
    paths = Paths(systemd_dir=tmp_path / "systemd", launchd_dir=tmp_path / "launchd")
    tools = FakeTools(crontab="MAILTO=me\n", systemd=True)
    Scheduler("cron", paths=paths, runner=tools).install(ScheduleSpec(command=("x", "train", "--nightly")))
    assert not RemindScheduler("cron", paths=paths, runner=tools).status().installed
    RemindScheduler("cron", paths=paths, runner=tools).install(REMIND_SPEC)
    remind = RemindScheduler("cron", paths=paths, runner=tools).status()
    assert remind.installed and remind.at is None  # hourly: no time of day
    assert Scheduler("cron", paths=paths, runner=tools).status().at == "03:30"

    Scheduler("systemd", paths=paths, runner=tools).install(SPEC)
    assert not RemindScheduler("systemd", paths=paths, runner=tools).status().installed
    assert Scheduler("systemd", paths=paths, runner=tools).status().installed


@pytest.fixture
def cli_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeTools:
    """The CLI against fake scheduler tools, unit files under tmp_path; a vault to point at."""
    tools = FakeTools(crontab="MAILTO=me\n", systemd=True)
    monkeypatch.setattr("trainer.schedule.run_command", tools)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "vault").mkdir()
    return tools


def _cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    from journal_me.cli import main

    assert main(["--vault", str(tmp_path / "vault"), "schedule", *argv]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "wanted"),
    [
        (("--at", "02:45"), ("OnCalendar=*-*-* 02:45:00", "Persistent=true", " train --nightly")),
        (("--remind",), ("OnCalendar=hourly", " remind --notify --quiet")),
    ],
)
def test_cli_install_dry_run_prints_without_writing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cli_tools: FakeTools,
    extra: tuple[str, ...],
    wanted: tuple[str, ...],
) -> None:
    out = _cli(tmp_path, capsys, "install", *extra, "--backend", "systemd", "--dry-run")
    assert all(w in out for w in wanted), out
    assert f"--vault {(tmp_path / 'vault').resolve()} " in out
    assert not (tmp_path / "xdg").exists() and cli_tools.calls == []
    assert os.environ.get("XDG_CONFIG_HOME") == str(tmp_path / "xdg")


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
