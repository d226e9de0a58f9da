import pandas as pd
import pytest

from app.analysis.trends import DOWN, NO_CLEAR_CHANGE, UP, compare_intervals, trend, trend_summary


@pytest.mark.parametrize("earlier, later, expected", [
    ((40, 50), (55, 65), UP),
    ((55, 65), (40, 50), DOWN),
    ((40, 56), (55, 65), NO_CLEAR_CHANGE),
    ((40, 50), (50, 60), NO_CLEAR_CHANGE),
    ((None, None), (50, 60), None),
])
def test_a_change_is_called_only_when_the_intervals_do_not_overlap(earlier, later, expected):
    assert compare_intervals(*earlier, *later) == expected


def series():
    return pd.DataFrame({
        "school_id": [1, 1, 1, 1],
        "question_key": ["safe"] * 4,
        "date": pd.to_datetime(["2026-06-01", "2024-06-01", "2025-06-01", "2023-06-01"]),
        "percent_positive": [80.0, 60.0, None, 58.0],
        "ci_low": [72.0, 52.0, None, 50.0],
        "ci_high": [86.0, 67.0, None, 65.0],
        "suppressed": [False, False, True, False],
    })


def test_trend_orders_by_date_and_compares_each_result_with_the_previous_shown_one():
    result = trend(series())
    assert result["date"].dt.year.tolist() == [2023, 2024, 2025, 2026]
    assert result["direction"].fillna("not compared").tolist() == [
        "not compared", NO_CLEAR_CHANGE, "not compared", UP]
    assert result.loc[3, "compared_with"] == pd.Timestamp("2024-06-01")
    assert result.loc[3, "change"] == pytest.approx(20.0)


def test_a_suppressed_result_is_never_compared():
    result = trend(series())
    hidden = result[result["suppressed"]].iloc[0]
    assert pd.isna(hidden["direction"]) and pd.isna(hidden["change"])


def test_trend_summary_compares_first_and_last_shown_results():
    row = trend_summary(series()).iloc[0]
    assert (row["results"], row["direction"]) == (3, UP)
    assert row["change"] == pytest.approx(22.0)
    assert row["first_date"] == pd.Timestamp("2023-06-01")


def test_trend_summary_with_one_shown_result_makes_no_comparison():
    row = trend_summary(series().iloc[[0, 2]]).iloc[0]
    assert row["results"] == 1 and pd.isna(row["direction"])


def test_trend_refuses_two_results_on_the_same_date():
    twice = pd.concat([series(), series().iloc[[0]]])
    with pytest.raises(ValueError, match="more than one result"):
        trend(twice)
