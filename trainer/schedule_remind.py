"""Run ``journal-me remind --notify --quiet`` every hour: the reminders' timer.

The same three backends and the same :class:`~trainer.schedule.Scheduler` as the nightly
schedule, under the job's own names (``journal-me-remind.{service,timer}``,
``com.journal-me.remind``, a ``# journal-me-remind`` crontab marker), so installing or
removing one never touches the other. ``remind`` delivers each due task once a day, so an
hourly timer that fires twice is harmless. Cron jobs get the user's D-Bus session address,
which ``notify-send`` needs and cron does not pass.
"""

from __future__ import annotations

from pathlib import Path

from trainer.schedule import Job, Scheduler, default_command

REMIND = Job(
    unit="journal-me-remind",
    launchd_label="com.journal-me.remind",
    title="journal-me reminders",
    purpose="tasks due now, as a desktop notification",
    cron_comment=(
        "(managed by `journal-me schedule install --remind`; "
        "remove with `journal-me schedule remove --remind`)"
    ),
    cron_lines="journal-me reminder",
    timeout="5min",
    hourly=True,
    session_bus=True,
)

__all__ = ["REMIND", "RemindScheduler", "remind_command"]


def remind_command(vault: Path, config_file: Path | None) -> tuple[str, ...]:
    base = default_command(vault, config_file)
    assert base[-2:] == ("train", "--nightly")
    return (*base[:-2], "remind", "--notify", "--quiet")


class RemindScheduler(Scheduler):
    """Install, inspect and remove the hourly reminders timer."""

    job = REMIND
