"""The nightly schedule: the three file formats (golden files), and install / status / remove
against fake scheduler tools (nothing on this machine is touched)."""

from __future__ import annotations

import datetime as dt
import plistlib
from collections.abc import Sequence
from pathlib import Path

import pytest

from trainer.schedule import (
    NIGHTLY,
    CommandResult,
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

GOLDEN = Path(__file__).parent / "golden"

SPEC = ScheduleSpec(
    command=(
        "/opt/journal me/venv/bin/python",
        "-m",
        "journal_me.cli",
        "--vault",
        "/home/elena/journal",
        "train",
        "--nightly",
    ),
    at=dt.time(3, 30),
    env={"JOURNAL_ME_DATA_DIR": "/home/elena/.local/share/journal-me"},
    log_file=Path("/home/elena/.local/share/journal-me/nightly.log"),
)


@pytest.mark.parametrize(
    ("render", "golden"),
    [
        (render_systemd_service, "journal-me-nightly.service"),
        (render_systemd_timer, "journal-me-nightly.timer"),
        (render_cron, "crontab.txt"),
        (render_launchd, "com.journal-me.nightly.plist"),
    ],
)
def test_rendered_files_match_golden(render: object, golden: str) -> None:
    assert callable(render)
    assert render(SPEC) == (GOLDEN / golden).read_text(encoding="utf-8")


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


def test_cli_install_dry_run_prints_without_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from journal_me.cli import main

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    vault = tmp_path / "vault"
    vault.mkdir()
    rc = main(
        ["--vault", str(vault), "schedule", "install", "--backend", "systemd", "--dry-run", "--at", "02:45"]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert "OnCalendar=*-*-* 02:45:00" in out and "Persistent=true" in out
    assert f"--vault {vault.resolve()} train --nightly" in out
    assert not (tmp_path / "xdg").exists()
