"""Benchmarks and gaps: each school against the trust, and each subgroup against the rest."""

import pandas as pd

from app.analysis.suppression import _check_threshold

__all__ = ["BELOW", "MIDDLE", "ABOVE", "benchmark", "gaps"]

BELOW = "below the lower quartile"
MIDDLE = "in the middle half"
ABOVE = "above the upper quartile"


def benchmark(table, by=("survey_id", "question_key"), school_col="school_id",
              value_col="percent_positive", min_schools=3, margins_name="All"):
    """Each school against the trust's median and quartiles for the same question and audience.

    The quartiles are taken over the schools whose result is shown (not suppressed) in each
    ``by`` group, with pandas' linear interpolation.  With fewer than ``min_schools`` such
    schools there is no benchmark (it would nearly give away the other schools' results).
    A school's ``position`` is ``"below the lower quartile"`` (value < Q1), ``"above the upper
    quartile"`` (value > Q3) or ``"in the middle half"``; missing when its own result is
    suppressed or there is no benchmark.

    Parameters
    ----------
    table : DataFrame
        One row per school and ``by`` group with ``value_col`` and optionally ``suppressed``;
        trust total rows (``school_col == margins_name``) are ignored.
    by : sequence of str
        What makes results comparable: survey (hence audience) and question or priority.
    school_col, value_col : str
    min_schools : int, default 3

    Returns
    -------
    DataFrame
        ``*by, school_col, value_col, suppressed, schools_compared, trust_q1, trust_median,
        trust_q3, position``.
    """
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in by + [school_col, value_col] if c not in table.columns]
    if missing:
        raise ValueError(f"table is missing column(s) {missing}")
    if not isinstance(min_schools, int) or min_schools < 2:
        raise ValueError(f"min_schools must be a whole number of at least 2, got {min_schools!r}")
    schools = table[~table[school_col].isin([margins_name])].copy()
    if schools.duplicated(by + [school_col]).any():
        raise ValueError(f"table has more than one row for some {by + [school_col]}")
    suppressed = schools["suppressed"].fillna(True).astype(bool) \
        if "suppressed" in schools.columns else pd.Series(False, index=schools.index)
    schools["suppressed"] = suppressed | schools[value_col].isna()
    schools[value_col] = schools[value_col].astype("float64")

    shown = schools.loc[~schools["suppressed"], by + [value_col]]
    grouped = shown.groupby(by, dropna=False)[value_col]
    stats = pd.DataFrame({
        "schools_compared": grouped.count(),
        "trust_q1": grouped.quantile(0.25),
        "trust_median": grouped.median(),
        "trust_q3": grouped.quantile(0.75),
    }).reset_index()
    too_few = stats["schools_compared"] < min_schools
    stats.loc[too_few, ["trust_q1", "trust_median", "trust_q3"]] = float("nan")

    result = schools[by + [school_col, value_col, "suppressed"]].merge(stats, on=by, how="left")
    result["schools_compared"] = result["schools_compared"].fillna(0).astype("int64")
    value = result[value_col].astype("float64").where(~result["suppressed"])
    position = pd.Series(pd.NA, index=result.index, dtype="object")
    known = value.notna() & result["trust_median"].notna()
    position[known] = MIDDLE
    position[known & (value < result["trust_q1"])] = BELOW
    position[known & (value > result["trust_q3"])] = ABOVE
    result["position"] = position
    return result


def gaps(table, column, group, versus=None, by=("survey_id", "school_id", "question_key"),
         min_group_size=10, margins_name="All", n_col="n", positive_col="positive"):
    """Gap in percent positive between a subgroup and the rest (or another subgroup).

    ``difference = percent(group) - percent(versus)`` in percentage points.  With
    ``versus=None`` the comparison is "everyone else": ``n_rest = n_total - n_group`` and
    ``positive_rest = positive_total - positive_group``, using the total row
    (``column == margins_name``).  Both sides are suppressed, with the difference, when either
    side has fewer than ``min_group_size`` answers or is already suppressed; so the gap never
    shows a group that the tables themselves hide.

    Parameters
    ----------
    table : DataFrame
        Rows per ``by`` group and value of ``column`` with ``n_col`` and ``positive_col`` (and
        optionally ``suppressed``), e.g. after :func:`app.analysis.suppression.add_totals` and
        :func:`app.analysis.indicators.question_indicators`.
    column : str
        The breakdown, e.g. ``"send"``.
    group : value of ``column``, e.g. ``"yes"``.
    versus : value of ``column``, optional
        Compare with this subgroup instead of the rest.
    by : sequence of str
    min_group_size : int, default 10
        Never below 3.

    Returns
    -------
    DataFrame
        ``*by, group, versus, group_n, group_percent, versus_n, versus_percent, difference,
        suppressed``; ``versus`` reads ``"rest"`` when comparing with everyone else.
    """
    _check_threshold(min_group_size)
    by = [c for c in ([by] if isinstance(by, str) else list(by)) if c != column]
    missing = [c for c in by + [column, n_col, positive_col] if c not in table.columns]
    if missing:
        raise ValueError(f"table is missing column(s) {missing}")
    if table.duplicated(by + [column]).any():
        raise ValueError(f"table has more than one row for some {by + [column]}; "
                         "filter other breakdown columns first")

    group_side = _side(table, column, group, by, n_col, positive_col)
    if versus is None:
        total = _side(table, column, margins_name, by, n_col, positive_col)
        other = total.merge(group_side, on=by, suffixes=("", "_group"), how="inner")
        other["n"] = other["n"] - other["n_group"]
        other["positive"] = other["positive"] - other["positive_group"]
        other["hidden"] = other["hidden"] | other["hidden_group"]
        other = other[by + ["n", "positive", "hidden"]]
        label = "rest"
    else:
        other = _side(table, column, versus, by, n_col, positive_col)
        label = versus

    both = group_side.merge(other, on=by, suffixes=("_group", "_versus"), how="inner")
    hidden = (both["hidden_group"] | both["hidden_versus"]
              | (both["n_group"] < min_group_size) | (both["n_versus"] < min_group_size))
    group_percent = 100 * both["positive_group"] / both["n_group"]
    versus_percent = 100 * both["positive_versus"] / both["n_versus"]
    result = both[by].copy()
    result["group"] = group
    result["versus"] = label
    result["group_n"] = both["n_group"].astype("Int64").mask(hidden)
    result["group_percent"] = group_percent.mask(hidden)
    result["versus_n"] = both["n_versus"].astype("Int64").mask(hidden)
    result["versus_percent"] = versus_percent.mask(hidden)
    result["difference"] = (group_percent - versus_percent).mask(hidden)
    result["suppressed"] = hidden.to_numpy()
    return result.reset_index(drop=True)


def _side(table, column, value, by, n_col, positive_col):
    """One side of a comparison: n, positive and whether it is hidden (floats, NaN if hidden)."""
    rows = table[table[column].isin([value])]
    hidden = rows[n_col].isna() | rows[positive_col].isna()
    if "suppressed" in rows.columns:
        hidden |= rows["suppressed"].fillna(True).astype(bool)
    side = rows[by].copy()
    side["n"] = rows[n_col].astype("float64").mask(hidden).fillna(0.0)
    side["positive"] = rows[positive_col].astype("float64").mask(hidden).fillna(0.0)
    side["hidden"] = hidden
    return side
