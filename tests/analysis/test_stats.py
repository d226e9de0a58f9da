import math

import numpy as np
import pandas as pd
import pytest

from app.analysis.stats import normal_quantile, percent_positive, wilson_interval


# Newcombe R.G. (1998) "Two-sided confidence intervals for the single proportion: comparison of
# seven methods", Statistics in Medicine 17:857-872, Table II, method 3 (Wilson score, no
# continuity correction), 95% intervals.
@pytest.mark.parametrize("positive, n, low, high", [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_interval_matches_newcombe_1998_table_2(positive, n, low, high):
    result = wilson_interval(positive, n)
    assert result == pytest.approx((low, high), abs=5e-5)


def test_normal_quantile_for_95_percent_is_1_96():
    assert normal_quantile(0.95) == pytest.approx(1.959963984540054, abs=1e-12)


def test_wilson_interval_works_on_arrays_and_series_like_on_scalars():
    positive, n = [81, 15, 0], [263, 148, 20]
    low, high = wilson_interval(np.array(positive), np.array(n))
    series_low, series_high = wilson_interval(pd.Series(positive, index=list("abc")), pd.Series(n, index=list("abc")))
    for i, (p, total) in enumerate(zip(positive, n)):
        assert (low[i], high[i]) == pytest.approx(wilson_interval(p, total))
    assert list(series_low.index) == list("abc")
    assert series_high.to_numpy() == pytest.approx(high)


def test_wilson_interval_with_no_answers_is_missing():
    low, high = wilson_interval(0, 0)
    assert math.isnan(low) and math.isnan(high)
    lows, _ = wilson_interval(np.array([0, 1]), np.array([0, 2]))
    assert math.isnan(lows[0]) and not math.isnan(lows[1])


def test_wilson_interval_widens_with_higher_confidence():
    ninety = wilson_interval(10, 20, confidence=0.90)
    ninety_nine = wilson_interval(10, 20, confidence=0.99)
    assert ninety_nine[0] < ninety[0] and ninety_nine[1] > ninety[1]


@pytest.mark.parametrize("positive, n, confidence, message", [
    (5, 4, 0.95, "outnumber"),
    (-1, 4, 0.95, "negative"),
    (1, -4, 0.95, "negative"),
    (1, 4, 1.0, "confidence"),
    (1, 4, 0, "confidence"),
])
def test_wilson_interval_rejects_impossible_arguments(positive, n, confidence, message):
    with pytest.raises(ValueError, match=message):
        wilson_interval(positive, n, confidence=confidence)


@pytest.mark.parametrize("positive, n, expected", [(10, 20, 50.0), (0, 7, 0.0), (3, 3, 100.0)])
def test_percent_positive_is_a_share_of_valid_answers(positive, n, expected):
    assert percent_positive(positive, n) == pytest.approx(expected)


def test_percent_positive_with_no_answers_is_missing_not_zero():
    assert math.isnan(percent_positive(0, 0))
    assert np.isnan(percent_positive(np.array([0]), np.array([0]))[0])
