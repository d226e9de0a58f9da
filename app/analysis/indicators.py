"""Indicators from answer counts: per question, per priority, per built-in scale, and response rates."""

import pandas as pd

from app.analysis import DONT_KNOW
from app.analysis.stats import percent_positive, wilson_interval
from app.analysis.suppression import add_totals, suppress_complementary

__all__ = [
    "ORDERED_TYPES",
    "question_indicators",
    "priority_indicators",
    "scale_scores",
    "scale_table",
    "response_rate",
]

#: Question types whose codes are ordered, so a mean of the codes means something.
#: Single and multiple choice codes are option numbers, so they get no mean.
ORDERED_TYPES = frozenset({"agree5", "faces3", "yes_no", "scale010"})

DONT_KNOW_RULES = ("exclude", "include")
COUNT_COLUMNS = ("question_key", "value", "n")
QUESTION_COLUMNS = ("question_key", "type", "positive_values", "scale_min", "scale_max", "reverse")


def question_indicators(counts, questions, by=("survey_id", "school_id"), dont_know="exclude"):
    """Percent positive, Wilson interval and mean for each group and question.

    ``percent_positive = 100 * positive / n`` where ``n`` is the number of valid answers:
    blanks have no row and "Don't know" (code -1) is left out (``dont_know="exclude"``, the
    trust's definition). The mean is taken on the question's codes, reverse-scored items as
    ``(scale_min + scale_max) - code`` so that higher is always better; it is NaN for
    single/multiple choice questions, whose codes are option numbers. No suppression is
    applied here: pass the result through :func:`app.analysis.suppression.suppress_small_cells`
    before showing it.

    Parameters
    ----------
    counts : DataFrame
        One row per group x ``question_key`` x ``value`` with the answer count ``n``.
    questions : DataFrame
        ``question_key``, ``type``, ``positive_values`` (list of codes), ``scale_min``,
        ``scale_max``, ``reverse``.
    by : sequence of str
        Group columns of ``counts``; missing values (e.g. SEND not recorded) form their own group.
    dont_know : {"exclude", "include"}
        ``"exclude"`` leaves "Don't know" out of ``n``; ``"include"`` counts it in ``n`` as a
        not-positive answer. Either way it never enters the mean and is reported in ``dont_know``.

    Returns
    -------
    DataFrame
        ``*by, question_key, n, positive, percent_positive, ci_low, ci_high, mean, dont_know``;
        percentages and interval in 0-100; one row per group x question, sorted.
    """
    by = _group_columns(by)
    scored = _scored_answers(counts, questions, by, dont_know)
    totals = _sum_by(scored, by + ["question_key"])
    result = totals.rename(columns={"answers": "n"})
    result = _add_proportion_columns(result, positive="positive", n="n", effective_n="n")
    result["mean"] = _mean(result)
    return result[by + ["question_key", "n", "positive", "percent_positive", "ci_low", "ci_high",
                        "mean", "dont_know"]]


def priority_indicators(counts, questions, respondents, by=("survey_id", "school_id"),
                        dont_know="exclude"):
    """Pooled percent positive across the questions of each priority, with respondents as n.

    ``percent_positive = 100 * sum(positive) / sum(valid answers)`` over the priority's
    questions (context questions with no priority are left out). ``n`` is the number of
    respondents (people with at least one valid answer in the priority), taken from
    ``respondents``, and it is the ``n`` that small-group suppression must use.

    The Wilson interval is computed for the pooled proportion with an effective sample size of
    ``n`` respondents, not the number of answers: one person's answers to related questions
    move together, so treating every answer as independent would make the interval up to
    ``sqrt(items)`` times too narrow. Using respondents is the cautious choice (it assumes each
    person's answers are as informative as one answer) and so a change is called less often.

    The mean is the pooled mean of codes (reverse-scored where flagged) when every question in
    the priority uses the same ordered scale; otherwise NaN, as averaging a 1-3 faces code with a
    1-5 agreement code means nothing.

    Parameters
    ----------
    counts, questions : DataFrame
        As for :func:`question_indicators`; ``questions`` also needs ``priority``.
    respondents : DataFrame
        ``*by, priority, respondents``.
    by : sequence of str
    dont_know : {"exclude", "include"}

    Returns
    -------
    DataFrame
        ``*by, priority, n, items, answers, positive, percent_positive, ci_low, ci_high, mean,
        dont_know``; ``items`` is the number of questions with at least one valid answer.
    """
    by = _group_columns(by)
    _require_columns(questions, ["priority"], "questions")
    _require_columns(respondents, by + ["priority", "respondents"], "respondents")
    scored = _scored_answers(counts, questions, by, dont_know)
    scored = scored[scored["priority"].notna()]
    keys = by + ["priority"]

    totals = _sum_by(scored, keys)
    answered = scored[scored["answers"] > 0]
    items = answered.groupby(keys, dropna=False)["question_key"].nunique().rename("items")
    scales = scored.groupby(keys, dropna=False)["scale_signature"].nunique(dropna=False)
    one_scale = (scales == 1).rename("one_scale")
    totals = totals.join(items, on=keys).join(one_scale, on=keys)
    totals["items"] = totals["items"].fillna(0).astype("int64")

    result = totals.merge(respondents[keys + ["respondents"]], on=keys, how="left",
                          validate="one_to_one")
    missing = result["respondents"].isna()
    if missing.any():
        first = result.loc[missing, keys].iloc[0].to_dict()
        raise ValueError(f"respondents has no row for {missing.sum()} group(s), e.g. {first}")
    if (result["respondents"] < 0).any():
        raise ValueError("respondents must not be negative")
    result["n"] = result["respondents"].astype("int64")
    result = _add_proportion_columns(result, positive="positive", n="answers", effective_n="n")
    result["mean"] = _mean(result).where(result["one_scale"])
    return result[keys + ["n", "items", "answers", "positive", "percent_positive", "ci_low",
                          "ci_high", "mean", "dont_know"]]


def scale_scores(counts, questions, by=("survey_id", "school_id"), scale_col="scale"):
    """Scores for built-in scales, such as the seven HSE Management Standards domains.

    ``score = mean over the scale's questions of (mean code of that question)``, with
    reverse-scored questions taken as ``(scale_min + scale_max) - code`` first, so that for the
    HSE Indicator Tool every domain runs 1 (worst) to 5 (best): e.g. "I have unachievable
    deadlines" answered "Always" (5) scores 1. "Don't know" and blanks are left out; a question
    with no valid answers in a group does not count towards that group's score.

    ``n`` is the smallest number of valid answers to any one question of the scale, so
    suppressing on ``n`` hides a score unless every question in it has enough answers.

    Parameters
    ----------
    counts, questions : DataFrame
        As for :func:`question_indicators`; ``questions`` also needs ``scale_col``.
    by : sequence of str
    scale_col : str, default "scale"
        Column naming the built-in scale of each question (e.g. ``"hse.demands"``); questions
        where it is missing are ignored.

    Returns
    -------
    DataFrame
        ``*by, scale, items, n, score``.
    """
    by = _group_columns(by)
    _require_columns(questions, [scale_col], "questions")
    _require_columns(counts, ["question_key"], "counts")
    on_scale = questions[questions[scale_col].notna()]
    counts = counts[counts["question_key"].isin(on_scale["question_key"])]
    items = question_indicators(counts, on_scale, by=by)
    items = items[items["n"] > 0].merge(
        on_scale[["question_key", scale_col]].rename(columns={scale_col: "scale"}),
        on="question_key", how="left")
    keys = by + ["scale"]
    result = items.groupby(keys, dropna=False, sort=True).agg(
        items=("question_key", "nunique"), n=("n", "min"), score=("mean", "mean"))
    return result.reset_index()[keys + ["items", "n", "score"]]


def scale_table(counts, questions, dims, by=("survey_id",), min_group_size=10, scale_col="scale",
                margins_name="All"):
    """Scale scores for each breakdown and its totals, suppressed together so none can be worked out.

    For ``dims=["school_id"]`` the table holds every school's score on each scale and the
    total's (``school_id == margins_name``, e.g. the trust); with a subgroup column as well
    (``["school_id", "role_group"]``) it also holds each school's subgroups and the trust's.
    Scores are as :func:`scale_scores` (``n`` the fewest valid answers to any one item).  Then
    :func:`app.analysis.suppression.suppress_complementary` runs over each scale's table, so a
    withheld school or subgroup cannot be recovered as "total minus the others": each shown
    total has at least two withheld parts beside a withheld one, holding ``min_group_size``
    answers between them.

    Parameters
    ----------
    counts : DataFrame
        ``*by, *dims, question_key, value, n`` (no total rows: they are added here).
    questions : DataFrame
        As for :func:`scale_scores`.
    dims : sequence of str
        Breakdown columns to total over.
    by : sequence of str
        Columns separating independent tables (each survey).
    min_group_size : int
        The audience's threshold, never below 3.
    scale_col, margins_name : str

    Returns
    -------
    DataFrame
        ``*by, *dims, scale, items, n, score, suppressed``; withheld rows have every number blank.
    """
    by, dims = _group_columns(by), _group_columns(dims)
    _require_columns(counts, by + dims + list(COUNT_COLUMNS), "counts")
    _require_columns(questions, [scale_col], "questions")
    on_scale = questions.loc[questions[scale_col].notna(), "question_key"]
    counts = counts.loc[counts["question_key"].isin(on_scale), by + dims + list(COUNT_COLUMNS)]
    totals = add_totals(counts, dims, sum_cols=("n",), margins_name=margins_name)
    scores = scale_scores(totals, questions, by=by + dims, scale_col=scale_col)
    return suppress_complementary(scores, dims=dims, within=by + ["scale"], n_col="n",
                                  min_group_size=min_group_size, margins_name=margins_name)


def response_rate(responses, eligible, by=("survey_id", "school_id"),
                  responses_col="responses", eligible_col="eligible"):
    """Response rate: responses as a percentage of the people who could have responded.

    ``response_rate = 100 * responses / eligible`` (pupils on roll in the year groups asked,
    staff count or families count). NaN where ``eligible`` is 0 or unknown. A rate above 100
    is returned as it is, because it points at wrong eligible figures that someone should fix.

    Parameters
    ----------
    responses : DataFrame
        ``*by, responses``.
    eligible : DataFrame
        Some of the ``by`` columns (e.g. only ``school_id``) plus ``eligible``, one row each.
    by : sequence of str
    responses_col, eligible_col : str

    Returns
    -------
    DataFrame
        ``*by, responses, eligible, response_rate`` (0-100).
    """
    by = _group_columns(by)
    _require_columns(responses, by + [responses_col], "responses")
    keys = [column for column in by if column in eligible.columns]
    if not keys:
        raise ValueError(f"eligible needs at least one of the group columns {by}")
    _require_columns(eligible, [eligible_col], "eligible")
    if eligible.duplicated(keys).any():
        raise ValueError(f"eligible has more than one row for some {keys}")
    result = responses[by + [responses_col]].merge(
        eligible[keys + [eligible_col]], on=keys, how="left")
    result = result.rename(columns={responses_col: "responses", eligible_col: "eligible"})
    eligible_count = result["eligible"].astype("float64")
    result["response_rate"] = (100 * result["responses"] / eligible_count.where(eligible_count > 0))
    return result[by + ["responses", "eligible", "response_rate"]]


def _scored_answers(counts, questions, by, dont_know):
    """Each count row split into answers / positive / don't know / score columns."""
    if dont_know not in DONT_KNOW_RULES:
        raise ValueError(f"dont_know must be one of {DONT_KNOW_RULES}, got {dont_know!r}")
    _require_columns(counts, by + list(COUNT_COLUMNS), "counts")
    _require_columns(questions, list(QUESTION_COLUMNS), "questions")
    if questions["question_key"].duplicated().any():
        raise ValueError("questions has more than one row for some question_key")
    if (counts["n"] < 0).any():
        raise ValueError("counts column 'n' must not be negative")

    extra = [c for c in ("priority",) if c in questions.columns]
    merged = counts[by + list(COUNT_COLUMNS)].merge(
        questions[list(QUESTION_COLUMNS) + extra], on="question_key", how="left",
        indicator=True)
    unknown = merged.loc[merged["_merge"] == "left_only", "question_key"].unique()
    if len(unknown):
        raise ValueError(f"counts has questions missing from questions: {sorted(map(str, unknown))}")
    merged = merged.drop(columns="_merge")
    merged = merged[merged["type"] != "text"]

    value = merged["value"].astype("int64")
    is_dont_know = value == DONT_KNOW
    low = merged["scale_min"].astype("float64")
    high = merged["scale_max"].astype("float64")
    outside = ~is_dont_know & ((value < low) | (value > high))
    if outside.any():
        row = merged.loc[outside].iloc[0]
        raise ValueError(f"code {row['value']} is outside the scale "
                         f"{row['scale_min']}-{row['scale_max']} of question {row['question_key']!r}")

    count = merged["n"].astype("int64")
    counted = ~is_dont_know if dont_know == "exclude" else pd.Series(True, index=merged.index)
    is_positive = _is_positive(merged) & ~is_dont_know
    ordered = merged["type"].isin(ORDERED_TYPES)
    reverse = merged["reverse"].fillna(False).astype(bool)
    code = value.astype("float64")
    score = code.where(~reverse, low + high - code).where(ordered & ~is_dont_know)

    return pd.DataFrame({
        **{column: merged[column] for column in by + ["question_key"] + extra},
        "answers": count.where(counted, 0),
        "positive": count.where(is_positive, 0),
        "dont_know": count.where(is_dont_know, 0),
        "scored": count.where(score.notna(), 0),
        "score_total": (count * score).fillna(0.0),
        "scale_signature": (merged["scale_min"].astype(str) + "-" + merged["scale_max"].astype(str))
        .where(ordered),
    })


def _is_positive(merged):
    """Whether each row's code is one of its question's positive codes."""
    codes = merged[["question_key", "positive_values"]].drop_duplicates("question_key")
    positive = {key: {int(code) for code in values if pd.notna(code)}
                for key, values in codes.itertuples(index=False, name=None)
                if pd.api.types.is_list_like(values)}
    # A plain loop: a merge costs more than this on the few thousand rows of a survey's counts.
    flags = [int(value) in positive.get(key, ())
             for key, value in zip(merged["question_key"], merged["value"])]
    return pd.Series(flags, index=merged.index, dtype=bool)


def _sum_by(scored, keys):
    sums = scored.groupby(keys, dropna=False, sort=True)[
        ["answers", "positive", "dont_know", "scored", "score_total"]].sum()
    return sums.reset_index()


def _add_proportion_columns(frame, positive, n, effective_n):
    """percent_positive from positive/n; Wilson interval with the effective sample size."""
    result = frame.copy()
    result["percent_positive"] = percent_positive(result[positive], result[n])
    share = result["percent_positive"] / 100
    low, high = wilson_interval((share * result[effective_n]).fillna(0.0), result[effective_n])
    result["ci_low"] = (100 * low).where(share.notna())
    result["ci_high"] = (100 * high).where(share.notna())
    return result


def _mean(frame):
    """Mean score from the pooled score total; NaN where nothing was scored."""
    scored = frame["scored"].astype("float64")
    return frame["score_total"] / scored.where(scored > 0)


def _group_columns(by):
    if isinstance(by, str):
        return [by]
    by = list(by)
    if len(set(by)) != len(by):
        raise ValueError(f"by has repeated columns: {by}")
    return by


def _require_columns(frame, columns, name):
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}")
