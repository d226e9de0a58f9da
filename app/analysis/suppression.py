"""Small-group suppression: hide results for groups too small to keep people anonymous.

Two steps, both needed before anything is shown or exported:

1. :func:`suppress_small_cells` hides every result with fewer answers than the audience's
   threshold (primary suppression).
2. :func:`suppress_complementary` hides extra results so that a hidden one cannot be worked
   out by subtracting published figures from a published total (school = trust minus the
   other schools; a subgroup = school minus the other subgroups).

Tables that carry totals use the pandas convention: a row whose breakdown column holds
``"All"`` (``margins_name``) is the total over that column.  :func:`add_totals` builds such a
table from answer counts.
"""

from itertools import combinations

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_THRESHOLDS",
    "SMALLEST_THRESHOLD",
    "ANSWER_COLUMNS",
    "audience_threshold",
    "suppress_small_cells",
    "add_totals",
    "suppress_complementary",
    "table_sums",
    "derivable_cells",
]

#: Fewest answers a shown result may rest on, per audience (the trust may raise or lower them).
DEFAULT_THRESHOLDS = {"staff": 5, "parent": 10, "pupil": 10, "pupil_ks1": 10, "pupil_ks2": 10}
#: No threshold may ever be set below this.
SMALLEST_THRESHOLD = 3
_NOT_RECORDED = object()
#: Columns worked out from people's answers; blanked when a row is suppressed.
ANSWER_COLUMNS = ("n", "positive", "percent_positive", "ci_low", "ci_high", "mean", "dont_know",
                  "answers", "items", "score")


def audience_threshold(audience, overrides=None):
    """Smallest group whose results may be shown to anyone, for one audience.

    Defaults: staff 5, parents 10, pupils (KS1 and KS2) 10.  ``overrides`` maps an audience to
    the trust's own threshold; an override for ``"pupil"`` applies to both key stages unless
    one of them has its own.  No threshold may be below 3.

    Parameters
    ----------
    audience : {"staff", "parent", "pupil", "pupil_ks1", "pupil_ks2"}
    overrides : mapping of str to int, optional

    Returns
    -------
    int

    Raises
    ------
    ValueError
        For an unknown audience, or an override below 3 or not a whole number.
    """
    if audience not in DEFAULT_THRESHOLDS:
        raise ValueError(f"unknown audience {audience!r}; expected one of {sorted(DEFAULT_THRESHOLDS)}")
    overrides = dict(overrides or {})
    for name, value in overrides.items():
        if name not in DEFAULT_THRESHOLDS:
            raise ValueError(f"unknown audience {name!r} in overrides")
        _check_threshold(value)
    for name in (audience, "pupil" if audience.startswith("pupil") else None):
        if name in overrides:
            return int(overrides[name])
    return DEFAULT_THRESHOLDS[audience]


def suppress_small_cells(df, n_col="n", min_group_size=10, columns=None):
    """Hide results resting on fewer than ``min_group_size`` answers (primary suppression).

    A row is suppressed when ``n < min_group_size`` (or ``n`` is missing, or the row was already
    marked ``suppressed``).  Every number worked out from the answers in a suppressed row
    (``n`` itself, positive count, percentage, interval, mean, don't-know count ...) is set to
    missing, so nothing can leak through a chart label, a tooltip or an export.

    Parameters
    ----------
    df : DataFrame
        Indicator rows, e.g. from :func:`app.analysis.indicators.question_indicators`.
    n_col : str, default "n"
        Count that decides (for priorities, the number of respondents).
    min_group_size : int, default 10
        The audience's threshold (see :func:`audience_threshold`); never below 3.
    columns : sequence of str, optional
        Columns to blank; by default those of :data:`ANSWER_COLUMNS` present, plus ``n_col``.

    Returns
    -------
    DataFrame
        A copy of ``df`` with a boolean ``suppressed`` column; integer counts become nullable.
    """
    _check_threshold(min_group_size)
    if n_col not in df.columns:
        raise ValueError(f"df has no column {n_col!r}")
    n = pd.to_numeric(df[n_col]).astype("float64")
    small = (n < min_group_size) | n.isna()
    if "suppressed" in df.columns:
        small = small | df["suppressed"].fillna(True).astype(bool)
    return _blank(df, small, _answer_columns(df, n_col, columns))


def add_totals(frame, dims, sum_cols=("n",), margins_name="All"):
    """Add total rows over every combination of the breakdown columns ``dims``.

    For ``dims=["school_id", "send"]`` the result holds the original rows plus each school's
    total (``send == "All"``), the trust's rows per SEND value (``school_id == "All"``) and the
    trust total.  Every other column except ``sum_cols`` is kept as a grouping column (e.g.
    ``survey_id``, ``question_key``, ``value``) and ``sum_cols`` are summed.  Missing values in
    ``dims`` (e.g. SEND not recorded) stay a group of their own, so totals always add up.

    Returns
    -------
    DataFrame
        With ``dims`` as object columns.
    """
    dims = list(dims)
    sum_cols = list(sum_cols)
    missing = [column for column in dims + sum_cols if column not in frame.columns]
    if missing:
        raise ValueError(f"frame is missing column(s) {missing}")
    keys = [column for column in frame.columns if column not in sum_cols]
    base = frame.astype({column: object for column in dims})
    parts = [base]
    for size in range(1, len(dims) + 1):
        for totalled in combinations(dims, size):
            rest = [column for column in keys if column not in totalled]
            part = base.groupby(rest, dropna=False, sort=False)[sum_cols].sum().reset_index()
            for column in totalled:
                part[column] = margins_name
            parts.append(part[keys + sum_cols])
    return pd.concat(parts, ignore_index=True)[list(frame.columns)]


def suppress_complementary(table, dims, within=("survey_id", "question_key"), n_col="n",
                           min_group_size=10, margins_name="All", columns=None):
    """Small-group suppression that also stops hidden results being worked out by difference.

    ``table`` holds result rows with totals marked ``margins_name`` in the ``dims`` columns
    (see :func:`add_totals`); each separate table is identified by ``within``.  Every total
    and the rows that add up to it form one sum, e.g. the trust = its schools, a school = its
    SEND groups.  The rules, applied until nothing changes:

    1. a row with ``n < min_group_size`` is suppressed (primary suppression);
    2. if a sum has exactly one suppressed row, the smallest shown row beside it is suppressed
       too, so that "total minus the others" does not give it away;
    3. if a sum's total is shown, the suppressed rows in it must add up to at least
       ``min_group_size`` (otherwise "school minus SEND yes" would reveal the few others);
       the next-smallest shown row is suppressed until they do;
    4. finally every suppressed row is checked against all sums at once (linear algebra over
       the whole table); any row that could still be worked out gets another row beside it
       suppressed, and the rules run again.

    The pattern is chosen from the true counts, so ``table`` must not be blanked yet.  Only the
    ``suppressed`` flag is added (not the reason), because "suppressed as too small" would
    itself tell a reader that fewer than ``min_group_size`` people answered.

    Parameters
    ----------
    table : DataFrame
    dims : sequence of str
        Breakdown columns holding ``margins_name`` for totals (e.g. ``["school_id", "send"]``).
    within : sequence of str
        Columns separating independent tables (each question of each survey).
    n_col : str, default "n"
    min_group_size : int, default 10
        Never below 3.
    margins_name : str, default "All"
    columns : sequence of str, optional
        Columns to blank, as in :func:`suppress_small_cells`.

    Returns
    -------
    DataFrame
        A copy of ``table`` with ``suppressed`` set and answer columns blanked.
    """
    _check_threshold(min_group_size)
    dims, within = list(dims), list(within)
    missing = [column for column in dims + within + [n_col] if column not in table.columns]
    if missing:
        raise ValueError(f"table is missing column(s) {missing}")
    if table[n_col].isna().any():
        raise ValueError(f"{n_col!r} has missing values: pass the table before any blanking")
    if table.duplicated(within + dims).any():
        raise ValueError(f"table has more than one row for some {within + dims}")

    # Columns become plain arrays once; each table is then a slice of positions (pandas per
    # table would cost more than the search itself on a trust of many small tables).
    n = table[n_col].to_numpy(dtype=float)
    hidden = n < min_group_size
    if "suppressed" in table.columns:
        hidden |= table["suppressed"].fillna(True).to_numpy(dtype=bool)
    keys, is_total = _dim_keys(table, dims, margins_name)
    groups = table.groupby(within, dropna=False, sort=False).indices if within \
        else {None: np.arange(len(table))}
    for positions in groups.values():
        sums = _sums([keys[p] for p in positions], is_total[positions], margins_name)
        hidden[positions] = _protect(n[positions], hidden[positions], sums, min_group_size)
    return _blank(table, hidden, _answer_columns(table, n_col, columns))


def _protect(n, hidden, sums, min_group_size):
    """Suppression pattern (boolean array) for one table."""
    hidden = hidden.copy()
    while True:
        if _apply_sum_rules(sums, n, hidden, min_group_size):
            continue
        exposed = derivable_cells(sums, hidden, len(n))
        if not exposed:
            return hidden
        _hide_neighbour(exposed[0], sums, n, hidden)


def table_sums(part, dims, margins_name="All"):
    """The additive relations of a table: a list of (total position, [member positions]).

    Positions are 0-based row positions in ``part``.  For each breakdown column, rows that
    agree on every other breakdown column and are not totals in that column are the members;
    the row with ``margins_name`` in that column is their total.
    """
    keys, is_total = _dim_keys(part, dims, margins_name)
    return _sums(keys, is_total, margins_name)


def _dim_keys(frame, dims, margins_name):
    """Each row's breakdown values as a tuple, and where they are totals."""
    values = frame[list(dims)].astype(object)
    values = values.where(values.notna(), _NOT_RECORDED)  # one key for every kind of missing
    is_total = values.eq(margins_name).to_numpy()
    return [tuple(row) for row in values.itertuples(index=False, name=None)], is_total


def _sums(keys, is_total, margins_name):
    position = {key: i for i, key in enumerate(keys)}
    sums = {}
    for d in range(is_total.shape[1]):
        for i, key in enumerate(keys):
            if is_total[i, d]:
                continue
            total_key = key[:d] + (margins_name,) + key[d + 1:]
            if total_key in position:
                sums.setdefault((d, position[total_key]), []).append(i)
    return [(total, members) for (_, total), members in sums.items()]


def derivable_cells(sums, hidden, size):
    """Positions of hidden cells whose exact value follows from the shown ones and the sums.

    Each sum gives one linear equation ``total - sum(members) = 0``; shown values are known.
    A hidden cell is derivable exactly when its unit vector lies in the row space of the
    equations restricted to hidden cells, i.e. every null-space vector is zero there.
    """
    unknown = np.flatnonzero(hidden)
    if len(unknown) == 0 or not sums:
        return []
    matrix = np.zeros((len(sums), size))
    for row, (total, members) in enumerate(sums):
        matrix[row, total] = 1.0
        matrix[row, members] = -1.0
    restricted = matrix[:, unknown]
    _, singular, vt = np.linalg.svd(restricted)
    rank = int((singular > 1e-9).sum())
    null_space = vt[rank:]
    if len(null_space) == 0:
        return [int(cell) for cell in unknown]
    free = np.abs(null_space).max(axis=0) > 1e-9
    return [int(cell) for cell, is_free in zip(unknown, free) if not is_free]


def _apply_sum_rules(sums, n, hidden, min_group_size):
    """Rules 2 and 3 on every sum; True if anything more was hidden."""
    changed = False
    for total, members in sums:
        cells = [total] + members
        hidden_cells = [cell for cell in cells if hidden[cell]]
        if not hidden_cells:
            continue
        hidden_members = sum(n[cell] for cell in members if hidden[cell])
        too_few_hidden = len(hidden_cells) == 1
        small_remainder = not hidden[total] and hidden_members < min_group_size
        if too_few_hidden or small_remainder:
            changed |= _hide_smallest(cells if too_few_hidden else members, n, hidden, members)
    return changed


def _hide_smallest(cells, n, hidden, members):
    """Hide the smallest shown cell, preferring siblings (members) over the total."""
    shown = [cell for cell in cells if not hidden[cell]]
    if not shown:
        return False
    chosen = min(shown, key=lambda cell: (cell not in members, n[cell], cell))
    hidden[chosen] = True
    return True


def _hide_neighbour(cell, sums, n, hidden):
    """Hide the smallest shown cell nearest to an exposed one, following sums through hidden cells.

    A cell can be exposed by a chain of sums whose own cells are all hidden (e.g. a school's
    empty subgroup, worked out as exactly 0 from two totals), so look beyond its own sums.
    """
    reached, frontier, used = {cell}, [cell], set()
    while frontier:
        nearby = [s for s, (total, members) in enumerate(sums)
                  if s not in used and any(c in frontier for c in [total] + members)]
        used.update(nearby)
        candidates = [(c not in members, n[c], c) for s in nearby
                      for total, members in [sums[s]] for c in [total] + members if not hidden[c]]
        if candidates:
            hidden[min(candidates)[2]] = True
            return
        frontier = [c for s in nearby for c in [sums[s][0]] + sums[s][1] if c not in reached]
        reached.update(frontier)
    raise RuntimeError(f"cannot protect cell {cell}: nothing connected to it is shown")


def _blank(df, mask, columns):
    result = df.copy()
    mask = pd.Series(np.asarray(mask, dtype=bool), index=df.index)
    for column in columns:
        values = result[column]
        if pd.api.types.is_integer_dtype(values) or pd.api.types.is_bool_dtype(values):
            values = values.astype("Int64")
        else:
            values = values.astype("float64")
        result[column] = values.mask(mask)
    result["suppressed"] = mask
    return result


def _answer_columns(df, n_col, columns):
    if columns is None:
        columns = [column for column in ANSWER_COLUMNS if column in df.columns]
    columns = list(dict.fromkeys([n_col, *columns]))
    missing = [column for column in columns if column not in df.columns]
    if missing:
        raise ValueError(f"df has no column(s) {missing}")
    return columns


def _check_threshold(min_group_size):
    if isinstance(min_group_size, bool) or not isinstance(min_group_size, (int, np.integer)):
        raise ValueError(f"min_group_size must be a whole number, got {min_group_size!r}")
    if min_group_size < SMALLEST_THRESHOLD:
        raise ValueError(f"min_group_size must be at least {SMALLEST_THRESHOLD} "
                         f"so that no one can be identified, got {min_group_size}")
