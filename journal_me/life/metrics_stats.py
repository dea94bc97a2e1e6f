"""Statistics for metric series: summaries, trend, time buckets, and "what goes with it".

Pure functions over (day, value) pairs; numpy only. The association statistic is Welch's t
interval for a difference of means (unequal variances, Welch–Satterthwaite degrees of
freedom); Student's t quantile is computed here (regularised incomplete beta + bisection), so
no scipy is needed. Results are associations in the user's own data, never causes.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "Association",
    "Bucket",
    "SeriesSummary",
    "Trend",
    "association",
    "bucket",
    "summarize",
    "t_quantile",
    "theil_sen_per_week",
    "trend",
    "welch_interval",
]

MIN_PER_SIDE = 8  # fewer days on either side: no association is shown


@dataclass(frozen=True)
class SeriesSummary:
    n: int
    first: dt.date
    last: dt.date
    min: float
    median: float
    max: float
    mean: float


@dataclass(frozen=True)
class Trend:
    """Theil–Sen slope (units per week) and recent vs earlier means."""

    slope_per_week: float | None
    recent_mean: float | None
    earlier_mean: float | None
    recent_n: int
    earlier_n: int
    split: dt.date | None  # first day of the "recent" part

    def words(self, unit: str | None = None) -> str:
        u = f" {unit}" if unit else ""
        parts: list[str] = []
        if self.recent_mean is not None and self.earlier_mean is not None:
            diff = self.recent_mean - self.earlier_mean
            how = "about the same as" if abs(diff) < 1e-9 else ("up from" if diff > 0 else "down from")
            days = "day" if self.recent_n == 1 else "days"
            parts.append(
                f"recent {self.recent_n} {days} average {self.recent_mean:.1f}{u}, {how} "
                f"{self.earlier_mean:.1f}{u} over the {self.earlier_n} before"
            )
        if self.slope_per_week is not None:
            if abs(self.slope_per_week) < 0.005:
                parts.append("no trend either way (Theil–Sen slope 0)")
            else:
                parts.append(f"trend {self.slope_per_week:+.2f}{u} per week (Theil–Sen)")
        return "; ".join(parts) or "too few values for a trend"


@dataclass(frozen=True)
class Bucket:
    start: dt.date
    label: str
    n: int
    mean: float
    min: float
    max: float


@dataclass(frozen=True)
class Association:
    """Mean of a metric on days that mention something vs days that do not."""

    label: str
    n_with: int
    n_without: int
    mean_with: float
    mean_without: float
    diff: float
    low: float  # 95% CI of diff (Welch)
    high: float
    df: float

    @property
    def clear(self) -> bool:
        """Whether the 95% interval excludes zero."""
        return self.low > 0 or self.high < 0

    def words(self, metric: str, unit: str | None = None) -> str:
        u = f" {unit}" if unit else ""
        direction = "higher" if self.diff > 0 else "lower"
        hedge = "" if self.clear else " (the interval includes no difference)"
        return (
            f"on days that mention {self.label}, {metric} averaged {self.mean_with:.1f}{u} (n={self.n_with}) "
            f"vs {self.mean_without:.1f}{u} without (n={self.n_without}): {abs(self.diff):.1f}{u} "
            f"{direction}, 95% CI {self.low:+.1f} to {self.high:+.1f}{hedge}. An association in "
            "your entries, not a cause."
        )


def summarize(points: Sequence[tuple[dt.date, float]]) -> SeriesSummary | None:
    if not points:
        return None
    values = [v for _, v in points]
    days = [d for d, _ in points]
    return SeriesSummary(
        n=len(values),
        first=min(days),
        last=max(days),
        min=min(values),
        median=statistics.median(values),
        max=max(values),
        mean=statistics.fmean(values),
    )


def theil_sen_per_week(points: Sequence[tuple[dt.date, float]], max_points: int = 400) -> float | None:
    """Median of pairwise slopes (value change per 7 days); None with fewer than 3 days."""
    pts = sorted(points)
    if len({d for d, _ in pts}) < 3:
        return None
    if len(pts) > max_points:  # O(n²) pairs: thin evenly, keep both ends
        step = (len(pts) - 1) / (max_points - 1)
        pts = [pts[round(i * step)] for i in range(max_points)]
    slopes: list[float] = []
    for i in range(len(pts)):
        d0, v0 = pts[i]
        for j in range(i + 1, len(pts)):
            d1, v1 = pts[j]
            days = (d1 - d0).days
            if days:
                slopes.append((v1 - v0) / days * 7)
    return statistics.median(slopes) if slopes else None


def trend(points: Sequence[tuple[dt.date, float]], recent_days: int = 28) -> Trend:
    """Slope, and the last ``recent_days`` (before the last value) vs everything earlier."""
    pts = sorted(points)
    if not pts:
        return Trend(None, None, None, 0, 0, None)
    split = pts[-1][0] - dt.timedelta(days=recent_days - 1)
    recent = [v for d, v in pts if d >= split]
    earlier = [v for d, v in pts if d < split]
    return Trend(
        slope_per_week=theil_sen_per_week(pts),
        recent_mean=statistics.fmean(recent) if recent else None,
        earlier_mean=statistics.fmean(earlier) if earlier else None,
        recent_n=len(recent),
        earlier_n=len(earlier),
        split=split,
    )


def _bucket_start(day: dt.date, size: str) -> dt.date:
    if size == "month":
        return day.replace(day=1)
    if size == "week":
        return day - dt.timedelta(days=day.weekday())
    return day


def bucket(points: Iterable[tuple[dt.date, float]], size: str = "week") -> list[Bucket]:
    """Mean/min/max per ISO week (Monday start) or calendar month, oldest first."""
    groups: dict[dt.date, list[float]] = {}
    for d, v in points:
        groups.setdefault(_bucket_start(d, size), []).append(v)
    out: list[Bucket] = []
    for start in sorted(groups):
        vs = groups[start]
        label = start.strftime("%Y-%m") if size == "month" else start.isoformat()
        out.append(Bucket(start, label, len(vs), statistics.fmean(vs), min(vs), max(vs)))
    return out


# -- Student's t quantile without scipy -----------------------------------------------------
def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta (Numerical Recipes, modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-14:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    ln = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(ln)
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _t_cdf(t: float, df: float) -> float:
    x = df / (df + t * t)
    tail = 0.5 * _betainc(df / 2, 0.5, x)
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` (possibly fractional) degrees of freedom."""
    if not 0 < p < 1 or df <= 0:
        raise ValueError("need 0 < p < 1 and df > 0")
    lo, hi = -1e3, 1e3
    for _ in range(200):
        mid = (lo + hi) / 2
        if _t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return (lo + hi) / 2


def welch_interval(
    a: Sequence[float], b: Sequence[float], level: float = 0.95
) -> tuple[float, float, float, float]:
    """(mean(a) - mean(b), low, high, df): Welch's t interval. Needs ≥ 2 values per side."""
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        raise ValueError("need at least two values on each side")
    ma, mb = statistics.fmean(a), statistics.fmean(b)
    va, vb = statistics.variance(a), statistics.variance(b)
    se2 = va / na + vb / nb
    diff = ma - mb
    if se2 == 0:
        return diff, diff, diff, float(na + nb - 2)
    df = se2**2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
    half = t_quantile(0.5 + level / 2, df) * math.sqrt(se2)
    return diff, diff - half, diff + half, df


def association(
    daily: Sequence[tuple[dt.date, float]],
    days_with: set[dt.date],
    label: str,
    min_per_side: int = MIN_PER_SIDE,
) -> Association | None:
    """Days that mention ``label`` (``days_with``) vs the other days with a value; None when
    either side has fewer than ``min_per_side`` days."""
    with_v = [v for d, v in daily if d in days_with]
    without_v = [v for d, v in daily if d not in days_with]
    if len(with_v) < min_per_side or len(without_v) < min_per_side:
        return None
    diff, low, high, df = welch_interval(with_v, without_v)
    return Association(
        label=label,
        n_with=len(with_v),
        n_without=len(without_v),
        mean_with=statistics.fmean(with_v),
        mean_without=statistics.fmean(without_v),
        diff=diff,
        low=low,
        high=high,
        df=df,
    )
