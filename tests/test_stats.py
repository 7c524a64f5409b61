"""framing.stats: intervals agree with published values and with the plain bootstrap."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest

from framing.stats import BINS, bootstrap_means, histogram, newcombe, percentile_interval, wilson


@pytest.mark.parametrize(("k", "n"), [(0, 10), (1, 10), (5, 10), (10, 10), (3, 5), (81, 263), (1, 100_000)])
def test_wilson_matches_scipy(k: int, n: int) -> None:
    expected = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson(k, n)
    assert low == pytest.approx(expected.low, abs=1e-12) and high == pytest.approx(expected.high, abs=1e-12)
    assert 0.0 <= low <= k / n <= high <= 1.0


def test_wilson_of_nothing_is_uninformative() -> None:
    assert wilson(0, 0) == (0.0, 1.0)


def test_newcombe_matches_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873-890, table II: 56/70 - 48/80.
    d, low, high = newcombe(56, 70, 48, 80)
    assert d == pytest.approx(0.2)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)
    d, low, high = newcombe(48, 80, 56, 70)  # swapped: the interval mirrors
    assert (round(low, 4), round(high, 4)) == (-0.3339, -0.0524)


@pytest.mark.parametrize("values", [np.random.default_rng(1).beta(2, 5, 3000),
                                    np.random.default_rng(2).beta(0.3, 5, 200),
                                    np.random.default_rng(3).random(40)])
def test_binned_bootstrap_agrees_with_the_plain_bootstrap(values: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    binned = bootstrap_means(histogram(values), draws=4000, rng=rng)
    plain = values[rng.integers(0, len(values), (4000, len(values)))].mean(axis=1)
    assert binned.mean() == pytest.approx(values.mean(), abs=3 * values.std() / math.sqrt(len(values)) / 20)
    # Monte Carlo error of a 4000-draw percentile is a few percent of the interval's width.
    width = np.subtract(*np.percentile(plain, [97.5, 2.5]))
    for a, b in zip(percentile_interval(binned), np.percentile(plain, [2.5, 97.5]), strict=True):
        assert a == pytest.approx(b, abs=0.06 * width)


def test_histograms_add_up_and_constant_values_have_no_spread() -> None:
    a, b = np.array([0.0, 0.5, 1.0]), np.array([0.25, 0.99])
    assert np.array_equal(histogram(a) + histogram(b), histogram(np.concatenate([a, b])))
    assert histogram(a).shape == (2, BINS + 1)
    draws = bootstrap_means(histogram(np.full(7, 0.3)))
    assert percentile_interval(draws) == pytest.approx((0.3, 0.3))
    assert all(math.isnan(x) for x in percentile_interval(bootstrap_means(histogram(np.array([])))))
