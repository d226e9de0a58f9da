"""Proportions and their confidence intervals (Wilson score interval)."""

from statistics import NormalDist

import numpy as np
import pandas as pd

__all__ = ["normal_quantile", "wilson_interval", "percent_positive"]


def normal_quantile(confidence=0.95):
    """Two-sided standard normal quantile for a confidence level.

    Parameters
    ----------
    confidence : float
        Confidence level strictly between 0 and 1.

    Returns
    -------
    float
        ``z`` such that ``P(-z < Z < z) = confidence``; 1.959963984540054 for 0.95.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(positive, n, confidence=0.95):
    """Wilson score interval for a proportion ``positive / n``.

    With ``p = positive / n`` and ``z`` the two-sided normal quantile,

    .. math::

        \\frac{p + z^2/2n \\pm z\\sqrt{p(1-p)/n + z^2/4n^2}}{1 + z^2/n}

    Unlike the textbook ``p +/- z*sqrt(p(1-p)/n)`` interval it stays inside [0, 1] and behaves
    well for small groups and for 0% or 100%, which are common in school surveys.

    Parameters
    ----------
    positive : float or array-like
        Number of positive answers (may be fractional, e.g. an effective count).
    n : float or array-like
        Number of valid answers. Where ``n == 0`` the interval is ``(nan, nan)``.
    confidence : float, default 0.95

    Returns
    -------
    (low, high)
        Proportions (0-1). Floats for scalar input; arrays for array input; Series (with the
        index of ``positive`` or ``n``) when either input is a Series.

    Raises
    ------
    ValueError
        If ``n`` or ``positive`` is negative, ``positive > n``, or ``confidence`` is not in (0, 1).

    References
    ----------
    Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
    comparison of seven methods. Statistics in Medicine, 17, 857-872 (method 3).
    """
    z = normal_quantile(confidence)
    pos, total, shape_like = _as_counts(positive, n)

    with np.errstate(divide="ignore", invalid="ignore"):
        p = pos / total
        denominator = 1 + z**2 / total
        centre = (p + z**2 / (2 * total)) / denominator
        half_width = z * np.sqrt(p * (1 - p) / total + z**2 / (4 * total**2)) / denominator
    empty = total == 0
    low = np.where(empty, np.nan, np.clip(centre - half_width, 0.0, 1.0))
    high = np.where(empty, np.nan, np.clip(centre + half_width, 0.0, 1.0))

    return shape_like(low), shape_like(high)


def percent_positive(positive, n):
    """Percentage of valid answers that are positive.

    ``percent_positive = 100 * positive / n``, where ``n`` excludes blanks and "Don't know".
    Where ``n == 0`` the result is NaN, never 0.

    Parameters
    ----------
    positive, n : float or array-like

    Returns
    -------
    float, ndarray or Series
        Same shape as the input, in the range 0-100.
    """
    pos, total, shape_like = _as_counts(positive, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return shape_like(np.where(total == 0, np.nan, 100 * pos / total))


def _as_counts(positive, n):
    """Checked float arrays of the counts, and a function giving results the inputs' shape back."""
    index = _series_index(positive, n)
    scalar = np.ndim(positive) == 0 and np.ndim(n) == 0
    pos = np.asarray(positive, dtype=float)
    total = np.asarray(n, dtype=float)
    _check_counts(pos, total)

    def shape_like(values):
        if scalar:
            return float(values)
        if index is not None:
            return pd.Series(values, index=index)
        return values

    return pos, total, shape_like


def _series_index(*values):
    for value in values:
        if isinstance(value, pd.Series):
            return value.index
    return None


def _check_counts(positive, n):
    positive, n = np.broadcast_arrays(positive, n)
    known = ~(np.isnan(positive) | np.isnan(n))
    if np.any(n[known] < 0) or np.any(positive[known] < 0):
        raise ValueError("counts must not be negative")
    if np.any(positive[known] > n[known]):
        raise ValueError("positive answers cannot outnumber valid answers (positive > n)")
