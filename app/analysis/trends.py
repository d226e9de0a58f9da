"""Trends: the same question (or priority) across surveys, calling a change only when intervals say so."""

import pandas as pd

__all__ = ["UP", "DOWN", "NO_CLEAR_CHANGE", "compare_intervals", "trend", "trend_summary"]

UP = "up"
DOWN = "down"
NO_CLEAR_CHANGE = "no clear change"
TREND_COLUMNS = ("percent_positive", "ci_low", "ci_high")


def compare_intervals(earlier_low, earlier_high, later_low, later_high):
    """Direction of change between two results from their confidence intervals.

    ``"up"`` when the later interval lies wholly above the earlier one
    (``later_low > earlier_high``), ``"down"`` when wholly below, otherwise
    ``"no clear change"``.  Requiring the two 95% intervals not to overlap is stricter than a
    5% significance test, so a change that is called is a change worth acting on.  Missing
    values give ``None`` (not compared).
    """
    values = (earlier_low, earlier_high, later_low, later_high)
    if any(pd.isna(value) for value in values):
        return None
    if later_low > earlier_high:
        return UP
    if later_high < earlier_low:
        return DOWN
    return NO_CLEAR_CHANGE


def trend(series, by=("school_id", "question_key"), date_col="date"):
    """Each result compared with the previous shown result of the same group.

    Rows are ordered by ``date_col`` within each ``by`` group.  A suppressed point (``suppressed``
    true, or no ``percent_positive``) is never compared: its ``direction`` is missing, and the
    next shown point is compared with the last shown point before it (its date is in
    ``compared_with``).  ``change`` is the difference in percentage points; ``direction`` follows
    :func:`compare_intervals`.

    Parameters
    ----------
    series : DataFrame
        ``*by, date_col, percent_positive, ci_low, ci_high`` and optionally ``suppressed``.
    by : sequence of str
    date_col : str

    Returns
    -------
    DataFrame
        The input rows sorted, plus ``compared_with``, ``change``, ``direction``.
    """
    by = _check(series, by, date_col)
    ordered = series.sort_values(by + [date_col], kind="stable")
    ordered = ordered.reset_index(drop=True)
    shown = _shown(ordered)
    previous = ordered[[date_col, *TREND_COLUMNS]].where(shown)
    previous = previous.groupby([ordered[column] for column in by], dropna=False).ffill()
    previous = previous.groupby([ordered[column] for column in by], dropna=False).shift(1)
    result = ordered.copy()
    result["compared_with"] = previous[date_col].where(shown)
    result["change"] = (ordered["percent_positive"] - previous["percent_positive"]).where(shown)
    result["direction"] = [
        compare_intervals(p_low, p_high, low, high) if is_shown else None
        for p_low, p_high, low, high, is_shown in zip(
            previous["ci_low"], previous["ci_high"], ordered["ci_low"], ordered["ci_high"], shown)
    ]
    return result


def trend_summary(series, by=("school_id", "question_key"), date_col="date"):
    """First shown result against the last shown result, per group.

    Parameters
    ----------
    series : DataFrame
        As for :func:`trend`.

    Returns
    -------
    DataFrame
        ``*by, results, first_date, last_date, first_percent, last_percent, change, direction``;
        ``results`` counts shown points, and with fewer than two the comparison is missing.
    """
    by = _check(series, by, date_col)
    shown = series[_shown(series).to_numpy()].sort_values(by + [date_col], kind="stable")
    rows = []
    for key, group in shown.groupby(by, dropna=False, sort=True):
        first, last = group.iloc[0], group.iloc[-1]
        enough = len(group) >= 2
        rows.append({
            **dict(zip(by, key)),
            "results": len(group),
            "first_date": first[date_col],
            "last_date": last[date_col] if enough else None,
            "first_percent": first["percent_positive"],
            "last_percent": last["percent_positive"] if enough else float("nan"),
            "change": last["percent_positive"] - first["percent_positive"] if enough
            else float("nan"),
            "direction": compare_intervals(first["ci_low"], first["ci_high"], last["ci_low"],
                                           last["ci_high"]) if enough else None,
        })
    columns = by + ["results", "first_date", "last_date", "first_percent", "last_percent",
                    "change", "direction"]
    return pd.DataFrame(rows, columns=columns)


def _shown(frame):
    shown = frame["percent_positive"].notna() & frame["ci_low"].notna() & frame["ci_high"].notna()
    if "suppressed" in frame.columns:
        shown &= ~frame["suppressed"].fillna(True).astype(bool)
    return shown


def _check(series, by, date_col):
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in by + [date_col, *TREND_COLUMNS] if c not in series.columns]
    if missing:
        raise ValueError(f"series is missing column(s) {missing}")
    if series.duplicated(by + [date_col]).any():
        raise ValueError(f"series has more than one result for some {by + [date_col]}")
    return by
