"""Dates typed by people mean exactly the day they name (issue 9, "Dates mean what they say").

The reference is ``dateutil.relativedelta`` — written by other people, with its own month
arithmetic — over random "today"s.
"""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil.relativedelta import FR, MO, SA, SU, TH, TU, WE, relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from journal_me import dates
from journal_me.config import ConfigError, load_settings
from journal_me.dates import DateParseError, parse_day, read_day

TODAYS = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31))
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
RD_WEEKDAY = [MO, TU, WE, TH, FR, SA, SU]
WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 10: "ten"}


def test_the_reported_cases_on_3_december() -> None:
    today = dt.date(2026, 12, 3)
    assert parse_day("2 days ago", today) == dt.date(2026, 12, 1)
    assert parse_day("a week ago", today) == dt.date(2026, 11, 26)
    assert parse_day("3 days ago", today) == dt.date(2026, 11, 30)


@settings(max_examples=300, deadline=None)
@given(
    today=TODAYS,
    n=st.integers(min_value=0, max_value=400),
    unit=st.sampled_from(["day", "week", "month", "year"]),
)
def test_n_units_ago_and_ahead_match_relativedelta(today: dt.date, n: int, unit: str) -> None:
    plural = unit if n == 1 else unit + "s"
    delta = relativedelta(**{unit + "s": n})
    assert parse_day(f"{n} {plural} ago", today) == today - delta
    assert parse_day(f"in {n} {plural}", today) == today + delta
    if n in WORDS:
        assert parse_day(f"{WORDS[n]} {plural} ago", today) == today - delta


@settings(max_examples=200, deadline=None)
@given(today=TODAYS, unit=st.sampled_from(["day", "week", "month", "year"]))
def test_a_unit_ago(today: dt.date, unit: str) -> None:
    assert parse_day(f"a {unit} ago", today) == today - relativedelta(**{unit + "s": 1})


@settings(max_examples=300, deadline=None)
@given(today=TODAYS, wd=st.integers(min_value=0, max_value=6))
def test_weekdays_match_relativedelta(today: dt.date, wd: int) -> None:
    name = WEEKDAYS[wd]
    # last X: strictly before today; next X: strictly after; a bare X: today or the latest one
    assert parse_day(f"last {name}", today) == today + relativedelta(days=-1, weekday=RD_WEEKDAY[wd](-1))
    assert parse_day(f"next {name}", today) == today + relativedelta(days=+1, weekday=RD_WEEKDAY[wd](+1))
    assert parse_day(name, today) == today + relativedelta(weekday=RD_WEEKDAY[wd](-1))
    assert parse_day(f"last {name[:3]}", today) == parse_day(f"last {name}", today)


@settings(max_examples=100, deadline=None)
@given(today=TODAYS)
def test_fixed_words(today: dt.date) -> None:
    assert parse_day("today", today) == today
    assert parse_day("yesterday", today) == today - relativedelta(days=1)
    assert parse_day("the day before yesterday", today) == today - relativedelta(days=2)
    assert parse_day("tomorrow", today) == today + relativedelta(days=1)


def test_iso_and_periods_still_work() -> None:
    today = dt.date(2026, 12, 3)
    assert parse_day("2026-03-02", today) == dt.date(2026, 3, 2)
    assert parse_day("May 2026", today) == dt.date(2026, 5, 1)
    assert parse_day("May 2026", today, end_of_period=True) == dt.date(2026, 5, 31)
    with pytest.raises(DateParseError, match="blorp"):
        parse_day("blorp the wug", today)


def test_numeric_dates_follow_the_date_order() -> None:
    today = dt.date(2026, 12, 3)
    assert parse_day("10/11/2026", today, date_order="DMY") == dt.date(2026, 11, 10)
    assert parse_day("10/11/2026", today, date_order="MDY") == dt.date(2026, 10, 11)
    # only one reading is a date: it is taken whatever the order
    assert parse_day("31/10/2026", today, date_order="MDY") == dt.date(2026, 10, 31)
    assert parse_day("10/31/2026", today, date_order="DMY") == dt.date(2026, 10, 31)
    assert parse_day("2026/10/11", today, date_order="DMY") == dt.date(2026, 10, 11)
    assert parse_day("10.11.26", today, date_order="DMY") == dt.date(2026, 11, 10)
    with pytest.raises(DateParseError):
        parse_day("31/31/2026", today)


def test_an_ambiguous_date_under_the_default_says_which_reading_it_took() -> None:
    today = dt.date(2026, 12, 3)
    reading = read_day("10/11/2026", today)
    assert reading.note is not None
    assert f"{reading.day:%-d %B %Y}" in reading.note and "date_order" in reading.note
    assert read_day("10/11/2026", today, date_order="DMY").note is None  # chosen: no note
    assert read_day("31/10/2026", today).note is None  # not ambiguous
    assert read_day("10/10/2026", today).note is None  # both readings are the same day

    heard: list[str] = []
    dates.configure(None, heard.append)
    try:
        parse_day("10/11/2026", today)
    finally:
        dates.configure(None, None)
    assert heard and "10/11/2026" in heard[0]


def test_configured_order_is_used_without_a_note() -> None:
    heard: list[str] = []
    dates.configure("dmy", heard.append)
    try:
        assert parse_day("10/11/2026", dt.date(2026, 12, 3)) == dt.date(2026, 11, 10)
    finally:
        dates.configure(None, None)
    assert heard == []


def test_locale_order_is_one_of_the_three() -> None:
    assert dates.locale_date_order() in dates.DATE_ORDERS


def test_date_order_setting_is_validated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "config.toml"
    cfg.write_text('date_order = "dmy"\n', encoding="utf-8")
    assert load_settings(vault=tmp_path, config_file=cfg, env={}).date_order == "DMY"
    cfg.write_text('date_order = "day first"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="date_order"):
        load_settings(vault=tmp_path, config_file=cfg, env={})


def test_cli_reads_dates_in_the_configured_order_and_notes_ambiguity(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from journal_me.cli import main

    vault = tmp_path / "vault"
    vault.mkdir()
    cfg = tmp_path / "config.toml"
    cfg.write_text('date_order = "DMY"\n', encoding="utf-8")
    try:
        assert (
            main(["--vault", str(vault), "--config", str(cfg), "add", "dmy line", "--date", "10/11/2026"])
            == 0
        )
        assert list(vault.rglob("2026-11-10.md"))
        assert "note:" not in capsys.readouterr().err
        cfg.write_text("", encoding="utf-8")
        assert (
            main(["--vault", str(vault), "--config", str(cfg), "add", "default line", "--date", "10/11/2026"])
            == 0
        )
        err = capsys.readouterr().err
        assert "note:" in err and "date_order" in err
    finally:
        dates.configure(None, None)
