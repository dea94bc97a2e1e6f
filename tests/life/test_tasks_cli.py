"""`journal-me tasks`, `tasks done ID` and `remind`, with a fake clock."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from journal_me.cli import main
from journal_me.life import reminders
from journal_me.life.tasks import parse_tasks

TEXT = (
    "Busy day.\n"
    "- [ ] call the physio 📅 2026-12-05\n"
    "- [ ] renew passport 📅 2026-11-20\n"
    "- [ ] vitamin D 🔁 every day ⏰ 08:30 📅 2026-12-03\n"
    "- [ ] stretches 🔁 every week on Monday ⏳ 2026-12-03\n"
    "- [x] old thing ✅ 2026-11-01\n"
    "- [ ] someday, maybe\n"
)
PRIVATE = "---\nprivate: true\n---\n- [ ] ring Dr Whitfield's office 📅 2026-12-03\n"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    def set_now(iso: str) -> None:
        monkeypatch.setattr("journal_me.commands.life_tasks._now", lambda: dt.datetime.fromisoformat(iso))

    return set_now


@pytest.fixture
def tvault(vault: Path, write: Callable[..., Path]) -> Path:
    write(vault, "journal/2026/2026-12-01.md", TEXT)
    write(vault, "journal/2026/2026-12-02.md", PRIVATE)
    return vault


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, list)
    return data


def test_tasks_lists_and_filters(
    tvault: Path, clock: Callable[[str], None], capsys: pytest.CaptureFixture[str]
) -> None:
    clock("2026-12-03T07:00")
    base = ["--vault", str(tvault), "tasks", "--json"]
    every = [t["description"] for t in _json(capsys, base)]
    assert "old thing" not in every and "someday, maybe" in every
    assert "ring Dr Whitfield's office" in every  # the owner sees private entries' tasks
    overdue = {t["description"] for t in _json(capsys, [*base, "--due", "overdue"])}
    assert overdue == {"renew passport"}
    today = {t["description"] for t in _json(capsys, [*base, "--due", "today"])}
    assert today == {"vitamin D", "stretches", "ring Dr Whitfield's office"}
    week = {t["description"] for t in _json(capsys, [*base, "--due", "week"])}
    assert week == today | overdue | {"call the physio"}
    assert main(["--vault", str(tvault), "tasks"]) == 0
    out = capsys.readouterr().out
    assert "renew passport" in out and "[!]" in out


def test_tasks_done_rewrites_one_line_and_adds_next(
    tvault: Path, clock: Callable[[str], None], capsys: pytest.CaptureFixture[str]
) -> None:
    clock("2026-12-03T21:00")
    path = tvault / "journal/2026/2026-12-01.md"
    tid = next(t.id for t in parse_tasks("journal/2026/2026-12-01.md", TEXT) if t.description == "vitamin D")
    assert main(["--vault", str(tvault), "tasks", "done", tid]) == 0
    out = capsys.readouterr().out
    assert "done: vitamin D" in out and "next: - [ ] vitamin D 🔁 every day ⏰ 08:30 📅 2026-12-04" in out
    lines = path.read_text(encoding="utf-8").splitlines()
    old = TEXT.splitlines()
    assert lines[:3] == old[:3] and lines[5:] == old[4:]
    assert lines[3] == "- [ ] vitamin D 🔁 every day ⏰ 08:30 📅 2026-12-04"
    assert lines[4] == "- [x] vitamin D 🔁 every day ⏰ 08:30 📅 2026-12-03 ✅ 2026-12-03"
    assert main(["--vault", str(tvault), "tasks", "done", "ffffffff"]) == 1
    assert "no task with ID" in capsys.readouterr().err


def test_remind_with_a_fake_clock(
    tvault: Path, clock: Callable[[str], None], capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--vault", str(tvault), "remind", "--json"]
    clock("2026-12-03T08:00")
    early = {t["description"] for t in _json(capsys, base)}
    assert early == {"renew passport", "stretches", "ring Dr Whitfield's office"}  # vitamin D at 08:30
    clock("2026-12-03T08:31")
    assert {t["description"] for t in _json(capsys, base)} == early | {"vitamin D"}
    clock("2026-11-19T23:59")
    assert _json(capsys, base) == []


def test_remind_notify_delivers_once_a_day(
    tvault: Path,
    clock: Callable[[str], None],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[tuple[str, str]] = []

    def fake_notifier() -> reminders.Sender:
        return lambda title, body: sent.append((title, body)) is None

    monkeypatch.setattr(reminders, "notifier", fake_notifier)
    clock("2026-12-03T09:00")
    argv = ["--vault", str(tvault), "remind", "--notify"]
    assert main(argv) == 0
    assert len(sent) == 1 and sent[0][0] == "journal-me: 4 tasks due"
    assert "renew passport (overdue since 2026-11-20)" in sent[0][1]
    assert main(argv) == 0 and len(sent) == 1  # the hour after: nothing new
    assert "nothing new due now" in capsys.readouterr().out
    clock("2026-12-04T09:00")
    assert main(argv) == 0 and len(sent) == 2  # a new day: reminded again


def test_remind_without_a_notifier_prints(
    tvault: Path,
    clock: Callable[[str], None],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reminders, "notifier", lambda: None)
    clock("2026-12-03T09:00")
    assert main(["--vault", str(tvault), "remind", "--notify"]) == 0
    out = capsys.readouterr().out
    assert "journal-me: 4 tasks due" in out and "vitamin D (at 08:30)" in out


def test_notifier_picks_the_platform_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(reminders, "_run", lambda argv: calls.append(argv) is None)
    linux = reminders.notifier(
        "linux", lambda name: "/usr/bin/notify-send" if name == "notify-send" else None
    )
    assert linux is not None and linux("t", "b")
    assert calls[-1] == ["/usr/bin/notify-send", "--app-name=journal-me", "t", "b"]
    mac = reminders.notifier("darwin", lambda name: "/usr/bin/osascript" if name == "osascript" else None)
    assert mac is not None and mac("t", 'say "hi"')
    assert calls[-1][:2] == ["osascript", "-e"] and 'display notification "say \\"hi\\""' in calls[-1][2]
    assert reminders.notifier("linux", lambda name: None) is None
