"""Series statistics, the trend, buckets, and the association statistic against hand sums."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from journal_me.life.metrics_stats import (
    association,
    bucket,
    summarize,
    t_quantile,
    theil_sen_per_week,
    trend,
    welch_interval,
)

D0 = dt.date(2025, 9, 1)  # a Monday


@pytest.mark.parametrize(
    ("df", "expected"),
    [(1, 12.706205), (5, 2.570582), (10, 2.228139), (13, 2.160369), (30, 2.042272), (1000, 1.962339)],
)
def test_t_quantile_matches_the_printed_table(df: float, expected: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-5)


def test_welch_interval_by_hand() -> None:
    a = [6, 7, 8, 7, 6, 8, 7, 7]  # mean 7, sum of squares 4 -> variance 4/7
    b = [5, 6, 5, 4, 6, 5, 5, 6]  # mean 5.25, sum of squares 3.5 -> variance 1/2
    va, vb = 4 / 7, 0.5
    se = math.sqrt(va / 8 + vb / 8)
    df_hand = (va / 8 + vb / 8) ** 2 / ((va / 8) ** 2 / 7 + (vb / 8) ** 2 / 7)  # 13.94
    diff, low, high, df = welch_interval(a, b)
    assert diff == pytest.approx(1.75)
    assert df == pytest.approx(df_hand) and 13.9 < df < 14.0
    # t(0.975) at 13.938 df = 2.1456813, by integrating Student's t density (mpmath, offline);
    # it lies between the printed table's 14 df (2.144787) and 13 df (2.160369)
    t = 2.1456813
    assert low == pytest.approx(1.75 - t * se, abs=1e-5) and high == pytest.approx(1.75 + t * se, abs=1e-5)
    assert low == pytest.approx(0.964761, abs=1e-5) and high == pytest.approx(2.535239, abs=1e-5)


def test_association_needs_enough_days_each_side() -> None:
    days = [D0 + dt.timedelta(days=i) for i in range(16)]
    values = [6, 7, 8, 7, 6, 8, 7, 7, 5, 6, 5, 4, 6, 5, 5, 6]
    daily = list(zip(days, [float(v) for v in values], strict=True))
    found = association(daily, set(days[:8]), "Dev")
    assert found is not None
    assert (found.n_with, found.n_without, found.mean_with, found.mean_without) == (8, 8, 7.0, 5.25)
    assert found.clear
    words = found.words("mood")
    assert "association" in words and "cause" in words and "because" not in words
    assert association(daily, set(days[:7]), "Dev") is None  # 7 days: too few to say anything


def test_summary_trend_and_buckets() -> None:
    pts = [(D0 + dt.timedelta(days=i), 5.0 + i * 0.5) for i in range(0, 28, 2)]  # +0.5 per day
    s = summarize(pts)
    assert s is not None and (s.n, s.min, s.max, s.median) == (14, 5.0, 18.0, 11.5)
    assert theil_sen_per_week(pts) == pytest.approx(3.5)
    # an outlier does not move the Theil–Sen slope much
    assert theil_sen_per_week([*pts, (D0 + dt.timedelta(days=3), 99.0)]) == pytest.approx(3.5, abs=0.3)
    t = trend(pts, recent_days=14)
    assert t.recent_n == 7 and t.earlier_n == 7 and t.recent_mean is not None and t.earlier_mean is not None
    assert t.recent_mean > t.earlier_mean and "up from" in t.words("h")
    weeks = bucket(pts, "week")
    assert [b.n for b in weeks] == [4, 3, 4, 3] and weeks[0].label == "2025-09-01"
    months = bucket(pts, "month")
    assert [(b.label, b.n) for b in months] == [("2025-09", 14)]
