"""One way to say when: the local time with its UTC offset, to the second.

What journal-me writes into its own files (registry manifests, training state, the privacy
ledger) is ``2026-03-02T21:40:05+01:00``: the hour the user saw on their clock, and still
one instant whatever the time zone or daylight saving does later. Names of files made at a
moment (conflict copies, run folders) use :func:`file_stamp`, ``20260302-214005``, local.
:func:`parse` reads what any version wrote: a naive time (older files) is taken as local.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["file_stamp", "now", "now_iso", "parse"]


def now() -> dt.datetime:
    """The current local time, aware (with its offset), whole seconds."""
    return dt.datetime.now().astimezone().replace(microsecond=0)


def now_iso() -> str:
    """:func:`now` as ISO 8601: ``2026-03-02T21:40:05+01:00``."""
    return now().isoformat()


def file_stamp(when: dt.datetime | None = None) -> str:
    """``YYYYmmdd-HHMMSS`` in local time, for file and folder names."""
    moment = now() if when is None else when
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y%m%d-%H%M%S")


def parse(value: str) -> dt.datetime:
    """An ISO 8601 time as an aware datetime; a naive one is local time. Raises ValueError."""
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.astimezone()
