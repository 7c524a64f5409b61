"""Uncertainty for the figures of summaries and reports: 95% intervals for shares (Wilson),
differences of shares (Newcombe), and means and differences of means (bootstrap).

A share of articles carrying a frame is a binomial proportion; the Wilson score interval
stays inside [0, 1] and behaves at 0 and n (the textbook "p +/- 1.96 se" does not). The
difference of two independent shares gets Newcombe's hybrid score interval, built from
the two Wilson intervals (Newcombe 1998, method 10).

Means of per-article values in [0, 1] (scores, coverage) get a percentile bootstrap. The
values are first counted (and summed) in ``BINS`` bins, and each bootstrap sample is a
multinomial draw over the bins, each bin standing for the mean of its values: resampling
n values with replacement *is* a multinomial draw over the distinct values, so this is the
ordinary bootstrap with the values of a bin merged into their mean. It costs O(BINS) per
draw instead of O(n), the centre is exact, and merging changes the spread only by the
variance within bins (bins are 1/BINS wide), which is negligible beside the variance of
the values (``tests/test_stats.py`` compares it with the plain bootstrap).
"""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054  # the standard normal's 97.5% quantile
BINS = 50
DRAWS = 1000
SEED = 20240611  # fixed: the same file gives the same report


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of the proportion ``k / n``; (0, 1) when ``n`` is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # Exact ends at k = 0 and k = n (the formula gives them up to rounding).
    return (0.0 if k == 0 else max(0.0, centre - half)), (1.0 if k == n else min(1.0, centre + half))


def newcombe(k1: int, n1: int, k2: int, n2: int, z: float = Z95) -> tuple[float, float, float]:
    """Difference ``k1/n1 - k2/n2`` and its 95% interval (Newcombe's hybrid score method)."""
    p1 = k1 / n1 if n1 else 0.0
    p2 = k2 / n2 if n2 else 0.0
    l1, u1 = wilson(k1, n1, z)
    l2, u2 = wilson(k2, n2, z)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, max(-1.0, low), min(1.0, high)


def bin_of(values: np.ndarray) -> np.ndarray:
    """The bin (0..BINS) of each value in [0, 1]."""
    return np.clip(np.floor(np.asarray(values, dtype=float) * BINS), 0, BINS).astype(np.int64)


def histogram(values: np.ndarray) -> np.ndarray:
    """Counts and sums of values in [0, 1] per bin: shape (2, BINS + 1), the input of
    :func:`bootstrap_means`. Histograms of parts add up to the histogram of the whole."""
    values = np.asarray(values, dtype=float)
    bins = bin_of(values)
    return np.stack([np.bincount(bins, minlength=BINS + 1).astype(float),
                     np.bincount(bins, weights=values, minlength=BINS + 1)])


def bootstrap_means(hist: np.ndarray, *, draws: int = DRAWS,
                    rng: np.random.Generator | None = None) -> np.ndarray:
    """``draws`` bootstrap means of the values whose :func:`histogram` is ``hist``; NaN when
    there are no values."""
    counts, sums = hist
    n = int(counts.sum())
    if n == 0:
        return np.full(draws, np.nan)
    rng = rng if rng is not None else np.random.default_rng(SEED)
    nonzero = np.flatnonzero(counts)
    levels = sums[nonzero] / counts[nonzero]
    sampled = rng.multinomial(n, counts[nonzero] / n, size=draws)
    return sampled @ levels / n


def percentile_interval(draws: np.ndarray) -> tuple[float, float]:
    """The middle 95% of bootstrap draws; NaN when there are none."""
    if not len(draws) or np.isnan(draws).all():
        return math.nan, math.nan
    low, high = np.percentile(draws, [2.5, 97.5])
    return float(low), float(high)
