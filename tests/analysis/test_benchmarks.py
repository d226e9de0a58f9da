import pandas as pd
import pytest

from app.analysis.benchmarks import ABOVE, BELOW, MIDDLE, benchmark, gaps


def schools():
    return pd.DataFrame({
        "survey_id": 1, "question_key": "safe",
        "school_id": [1, 2, 3, 4, 5, 6, "All"],
        "percent_positive": [50.0, 60.0, 70.0, 80.0, 90.0, None, 70.0],
        "suppressed": [False, False, False, False, False, True, False],
    })


def test_each_school_is_placed_against_the_trust_quartiles_of_shown_schools():
    result = benchmark(schools()).set_index("school_id")
    # Shown schools 50, 60, 70, 80, 90: median 70, Q1 60, Q3 80 (linear interpolation).
    assert result.loc[1, ["trust_q1", "trust_median", "trust_q3"]].tolist() == [60.0, 70.0, 80.0]
    assert result.loc[1, "schools_compared"] == 5
    assert [result.loc[s, "position"] for s in (1, 3, 5)] == [BELOW, MIDDLE, ABOVE]
    assert pd.isna(result.loc[6, "position"])
    assert "All" not in result.index


def test_no_benchmark_with_too_few_shown_schools():
    result = benchmark(schools().iloc[[0, 1, 5]])
    assert result["trust_median"].isna().all() and result["position"].isna().all()


def send_table():
    return pd.DataFrame({
        "survey_id": 1, "question_key": "safe", "school_id": [1, 1, 1, 2, 2, 2],
        "send": ["yes", "no", "All", "yes", "no", "All"],
        "n": [12, 30, 42, 4, 40, 44], "positive": [6, 24, 30, 1, 30, 31],
        "suppressed": [False] * 6,
    })


def test_gap_is_the_subgroup_minus_the_rest_in_percentage_points():
    result = gaps(send_table(), "send", "yes", min_group_size=10).set_index("school_id")
    assert result.loc[1, "difference"] == pytest.approx(50.0 - 80.0)
    assert result.loc[1, ["group_n", "versus_n"]].tolist() == [12, 30]
    assert result.loc[1, "versus"] == "rest"


def test_both_sides_of_a_gap_are_hidden_when_either_is_small():
    hidden = gaps(send_table(), "send", "yes", min_group_size=10).set_index("school_id").loc[2]
    assert hidden["suppressed"]
    assert all(pd.isna(hidden[c]) for c in ["group_n", "group_percent", "versus_n", "versus_percent", "difference"])


def test_gap_can_compare_two_named_subgroups():
    result = gaps(send_table(), "send", "yes", versus="no", min_group_size=10).set_index("school_id")
    assert result.loc[1, "versus"] == "no" and result.loc[1, "difference"] == pytest.approx(-30.0)


def test_gap_with_a_suppressed_side_stays_hidden_whatever_the_threshold():
    table = send_table()
    table.loc[1, ["n", "positive"]] = None
    table.loc[1, "suppressed"] = True
    assert gaps(table, "send", "yes", versus="no", min_group_size=3)["suppressed"].tolist() == [True, False]
