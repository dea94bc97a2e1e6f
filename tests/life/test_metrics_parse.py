"""Metric parsing: every Obsidian Tracker convention, and never an error (hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from journal_me.life.metrics import (
    extract,
    front_matter_key_lines,
    front_matter_metrics,
    inline_fields,
    metric_name,
    parse_value,
    tag_values,
)


def test_front_matter_numbers_units_and_text() -> None:
    meta = {
        "title": "GP",
        "date": dt.date(2025, 9, 4),
        "tags": ["health"],
        "private": True,
        "mood": 7,
        "sleep": 7.5,
        "weight": "61.2kg",
        "feeling": "grateful, a bit wobbly",
        "meds": True,
        "nested": {"a": 1},
    }
    obs = {o.name: o for o in front_matter_metrics(meta)}
    assert set(obs) == {"mood", "sleep", "weight", "feeling", "meds"}
    assert (obs["mood"].value, obs["mood"].unit) == (7.0, None)
    assert obs["sleep"].value == 7.5
    assert (obs["weight"].value, obs["weight"].unit) == (61.2, "kg")
    assert obs["feeling"].value is None and obs["feeling"].text == "grateful, a bit wobbly"
    assert obs["meds"].value == 1.0
    assert all(o.source == "front" for o in obs.values())


def test_inline_fields_line_and_bracket_forms_skip_code() -> None:
    body = (
        "sleep:: 7.5\n"
        "- **Energy Level**:: 6\n"
        "Walked a lot [steps:: 9000] and (water:: 2 l) today.\n"
        "```\n"
        "mood:: 1\n"
        "```\n"
        "`code:: 3` is not a field, nor is https://example.com/a::b\n"
    )
    obs = inline_fields(body, line_offset=4)
    got = [(o.name, o.value, o.unit, o.line) for o in obs]
    assert got == [
        ("sleep", 7.5, None, 5),
        ("energy-level", 6.0, None, 6),
        ("steps", 9000.0, None, 7),
        ("water", 2.0, "l", 7),
    ]


def test_tag_values() -> None:
    body = "Weighed in #weight:60kg, and #bp:120/80 at the GP. #running #2024 [[#Heading]] x#a:1\n"
    obs = tag_values(body)
    assert [(o.name, o.value, o.unit, o.value2, o.source) for o in obs] == [
        ("weight", 60.0, "kg", None, "tag"),
        ("bp", 120.0, None, 80.0, "tag"),
    ]


def test_units_are_kept_in_their_short_form() -> None:
    assert (parse_value("7 hours").value, parse_value("7 hours").unit) == (7.0, "h")
    assert parse_value("45 mins").unit == "min"
    assert parse_value("5.2km").unit == "km"
    assert parse_value("150lbs").unit == "lb"
    assert parse_value("7h30m").value == 7.5
    assert parse_value("120/80 mmHg").unit == "mmHg"
    assert parse_value("34:12").value is None  # a time, kept as text


def test_text_is_kept_not_an_error() -> None:
    pv = parse_value("grateful, a bit wobbly")
    assert pv.value is None and pv.text == "grateful, a bit wobbly"


def test_key_lines_and_extract_cites_front_matter_lines() -> None:
    text = "---\ntitle: x\nsleep: 7 # hours\nmood: ok\n---\nbody #run:5km\n"
    lines = front_matter_key_lines(text)
    assert lines["sleep"] == 3 and lines["mood"] == 4
    obs = extract(
        {"title": "x", "sleep": 7, "mood": "ok"}, "body #run:5km\n", body_line_offset=5, key_lines=lines
    )
    assert [(o.name, o.line) for o in obs] == [("sleep", 3), ("mood", 4), ("run", 6)]


def test_metric_name_normalises_like_dataview() -> None:
    assert metric_name("Sleep Hours") == "sleep-hours"
    assert metric_name("**mood**") == "mood"


# -- hypothesis: the parsers never raise, and numbers survive ---------------------------------
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.dates(),
    st.lists(st.integers(), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.one_of(st.text(max_size=12), st.integers()), scalars, max_size=8))
def test_front_matter_never_raises(meta: dict[object, object]) -> None:
    for o in front_matter_metrics(meta):  # type: ignore[arg-type]
        assert o.value is None or o.value == o.value  # never NaN


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_body_parsers_never_raise(body: str) -> None:
    for o in inline_fields(body) + tag_values(body):
        assert o.name
        assert o.value is None or abs(o.value) != float("inf")


@settings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: round(x, 3)),
    st.sampled_from(["", "kg", "h", "min", "km", "lb", "%"]),
)
def test_numbers_with_units_round_trip(value: float, unit: str) -> None:
    written = f"{value}{unit}"
    pv = parse_value(written)
    assert pv.value == value
    assert pv.unit == (unit or None)
    (tag,) = tag_values(f"logged #m:{written} today")
    assert tag.value == value
    (field,) = inline_fields(f"m:: {written}")
    assert field.value == value


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=40, max_value=250), st.integers(min_value=30, max_value=150))
def test_pairs(a: int, b: int) -> None:
    (o,) = tag_values(f"#bp:{a}/{b}")
    assert (o.value, o.value2) == (a, b)
