from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.analysis import DONT_KNOW
from app.analysis.benchmarks import gaps
from app.analysis.indicators import question_indicators
from app.analysis.suppression import (
    add_totals, audience_threshold, suppress_complementary, suppress_small_cells,
)
from tests.analysis.builders import make_questions, published_sums

DIMS = ["school_id", "send"]
QUESTIONS = make_questions({"question_key": "safe"})


@pytest.mark.parametrize("audience, expected", [
    ("staff", 5), ("parent", 10), ("pupil", 10), ("pupil_ks1", 10), ("pupil_ks2", 10),
])
def test_default_thresholds_follow_the_design(audience, expected):
    assert audience_threshold(audience) == expected


@pytest.mark.parametrize("audience, overrides, expected", [
    ("staff", {"staff": 8}, 8),
    ("pupil_ks1", {"pupil": 6}, 6),
    ("pupil_ks1", {"pupil": 6, "pupil_ks1": 4}, 4),
    ("parent", {"staff": 3}, 10),
])
def test_the_trust_can_override_thresholds(audience, overrides, expected):
    assert audience_threshold(audience, overrides) == expected


@pytest.mark.parametrize("audience, overrides, message", [
    ("staff", {"staff": 2}, "at least 3"),
    ("staff", {"staff": 4.5}, "whole number"),
    ("governor", None, "unknown audience"),
    ("staff", {"governor": 5}, "unknown audience"),
])
def test_thresholds_below_3_or_for_unknown_audiences_are_refused(audience, overrides, message):
    with pytest.raises(ValueError, match=message):
        audience_threshold(audience, overrides)


def indicator_rows():
    return pd.DataFrame({"school_id": [1, 2], "n": [4, 12], "positive": [1, 6],
                         "percent_positive": [25.0, 50.0], "ci_low": [5.0, 25.0],
                         "ci_high": [70.0, 75.0], "mean": [2.5, 3.4], "dont_know": [1, 0]})


def test_small_cells_are_suppressed_with_every_number_blanked():
    result = suppress_small_cells(indicator_rows(), min_group_size=5)
    assert result["suppressed"].tolist() == [True, False]
    hidden = result.iloc[0]
    for column in ["n", "positive", "percent_positive", "ci_low", "ci_high", "mean", "dont_know"]:
        assert pd.isna(hidden[column]), column
    assert result.loc[1, "n"] == 12 and result.loc[1, "school_id"] == 1 + 1


def test_suppress_small_cells_leaves_its_input_alone():
    rows = indicator_rows()
    suppress_small_cells(rows, min_group_size=5)
    pd.testing.assert_frame_equal(rows, indicator_rows())


@pytest.mark.parametrize("threshold", [0, 1, 2, -5])
def test_a_threshold_below_3_is_refused(threshold):
    with pytest.raises(ValueError, match="at least 3"):
        suppress_small_cells(indicator_rows(), min_group_size=threshold)


def trust_table(cells):
    """Result table with totals from {(school, send): (positive, not positive)}."""
    rows = [{"survey_id": 1, "school_id": school, "send": send, "question_key": "safe",
             "value": value, "n": n}
            for (school, send), (positive, negative) in cells.items()
            for value, n in ((4, positive), (2, negative)) if n]
    counts = add_totals(pd.DataFrame(rows), DIMS)
    return question_indicators(counts, QUESTIONS, by=["survey_id"] + DIMS)


def shown(table, school="All", send="All"):
    row = table[(table["school_id"] == school) & (table["send"] == send)]
    return not row["suppressed"].iloc[0]


def test_add_totals_adds_school_trust_and_subgroup_totals():
    table = trust_table({(1, "yes"): (2, 1), (1, "no"): (5, 5), (2, "no"): (6, 0)})
    by_label = table.set_index(["school_id", "send"])["n"]
    assert by_label[("All", "All")] == 19
    assert by_label[(1, "All")] == 13
    assert by_label[("All", "no")] == 16


def test_one_hidden_school_hides_the_next_smallest_school_too():
    table = trust_table({(1, "no"): (2, 1), (2, "no"): (6, 6), (3, "no"): (10, 10), (4, "no"): (20, 20)})
    schools = suppress_complementary(table[table["send"] == "no"], ["school_id"], min_group_size=5)
    assert schools.set_index("school_id")["suppressed"].to_dict() == {
        1: True, 2: True, 3: False, 4: False, "All": False}


def test_a_subgroup_is_hidden_when_the_rest_of_the_school_is_too_small():
    # 27 SEND "yes" and 2 "no": showing "yes" next to the school total would reveal the 2.
    table = trust_table({(1, "yes"): (20, 7), (1, "no"): (1, 1)})
    school = table[table["school_id"] == 1]
    result = suppress_complementary(school, ["send"], min_group_size=5)
    assert result.set_index("send")["suppressed"].to_dict() == {"yes": True, "no": True, "All": False}


def test_hidden_rows_must_hide_at_least_a_threshold_of_people_between_them():
    # "no" (2) and "not recorded" (1) are both small: 3 hidden people is still fewer than 5.
    table = trust_table({(1, "yes"): (20, 7), (1, "no"): (1, 1), (1, None): (1, 0)})
    result = suppress_complementary(table[table["school_id"] == 1], ["send"], min_group_size=5)
    assert result["suppressed"].sum() == 3 and shown(result, school=1)


def test_complementary_suppression_refuses_a_blanked_table():
    table = suppress_small_cells(trust_table({(1, "yes"): (1, 1), (1, "no"): (9, 9)}), min_group_size=5)
    with pytest.raises(ValueError, match="before any blanking"):
        suppress_complementary(table, DIMS, min_group_size=5)


# --- The attacker -------------------------------------------------------------------------
# Everything published for one question: the protected table (school x SEND, with school,
# trust and SEND totals) and the SEND gaps (which publish the "rest of the school").  The
# attacker writes down every sum the labels imply, treats every published figure as known
# (absent rows as known zeros) and solves exactly over the rationals.


def solve_exactly(equations, known, unknown):
    """Values of unknowns fixed by the equations: reduced row echelon form over Fractions."""
    order = sorted(unknown, key=str)
    column = {name: j for j, name in enumerate(order)}
    matrix = []
    for coefficients in equations:
        row = [Fraction(0)] * (len(order) + 1)
        for name, c in coefficients.items():
            if name in column:
                row[column[name]] += c
            else:
                row[-1] -= c * known[name]
        matrix.append(row)
    pivot_row = 0
    for j in range(len(order)):
        pivot = next((r for r in range(pivot_row, len(matrix)) if matrix[r][j] != 0), None)
        if pivot is None:
            continue
        matrix[pivot_row], matrix[pivot] = matrix[pivot], matrix[pivot_row]
        lead = matrix[pivot_row][j]
        matrix[pivot_row] = [x / lead for x in matrix[pivot_row]]
        for r in range(len(matrix)):
            if r != pivot_row and matrix[r][j] != 0:
                factor = matrix[r][j]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[pivot_row])]
        pivot_row += 1
    recovered = {}
    for row in matrix:
        nonzero = [j for j in range(len(order)) if row[j] != 0]
        if len(nonzero) == 1:
            recovered[order[nonzero[0]]] = row[-1] / row[nonzero[0]]
        assert nonzero or row[-1] == 0, "published figures contradict each other"
    return recovered


def attack(published, gap_rows, field):
    """Every hidden cell whose `field` ("n", "positive", "dont_know") can be worked out."""
    table = published.reset_index(drop=True)
    known = {i: Fraction(int(table.loc[i, field])) for i in table.index if not table.loc[i, "suppressed"]}
    unknown = [i for i in table.index if table.loc[i, "suppressed"]]
    equations = [{total: 1, **{m: -1 for m in members}} for total, members in published_sums(table, DIMS)]
    position = {(s, v): i for i, (s, v) in enumerate(zip(table["school_id"], table["send"]))}
    for gap in gap_rows[~gap_rows["suppressed"]].itertuples():
        if field == "dont_know":
            continue  # gaps publish percentages and n only
        rest = ("rest", gap.school_id)
        rest_n = int(gap.versus_n)
        known[rest] = Fraction(rest_n) if field == "n" else Fraction(round(gap.versus_percent * rest_n / 100))
        equations.append({position[(gap.school_id, "All")]: 1, position[(gap.school_id, "yes")]: -1, rest: -1})
    return solve_exactly(equations, known, unknown)


def publish(cells, threshold):
    rows = [{"survey_id": 1, "school_id": school, "send": send, "question_key": "safe",
             "value": value, "n": n}
            for (school, send), answers in cells.items()
            for value, n in zip((4, 2, DONT_KNOW), answers) if n]
    counts = add_totals(pd.DataFrame(rows), DIMS)
    table = question_indicators(counts, QUESTIONS, by=["survey_id"] + DIMS)
    protected = suppress_complementary(table, DIMS, min_group_size=threshold)
    gap_rows = gaps(protected, "send", "yes", by=["survey_id", "school_id", "question_key"],
                    min_group_size=threshold)
    return table, protected, gap_rows


answers = st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(0, 2)) \
    | st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 1))
trusts = st.dictionaries(
    st.tuples(st.integers(1, 5), st.sampled_from(["yes", "no", None])), answers, min_size=1, max_size=15,
).filter(lambda cells: sum(sum(a) for a in cells.values()) > 0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(cells=trusts, threshold=st.sampled_from([3, 5, 10]))
# Found by hypothesis: school 1's SEND "yes" (only "don't know", so n = 0) was worked out as
# exactly 0 through a chain of sums whose own cells were all hidden.
@example(cells={(1, "yes"): (0, 0, 1), (1, "no"): (0, 4, 0), (2, "yes"): (0, 3, 0),
                (2, None): (0, 1, 0), (3, "no"): (0, 0, 1)}, threshold=3)
def test_no_suppressed_result_can_be_worked_out_from_everything_published(cells, threshold):
    truth, published, gap_rows = publish(cells, threshold)

    shown_rows = published[~published["suppressed"]]
    assert (shown_rows["n"] >= threshold).all(), "a small group was published"
    assert published.loc[published["suppressed"], ["n", "positive", "percent_positive", "mean"]].isna().all().all()

    for field in ("n", "positive", "dont_know"):
        recovered = attack(published, gap_rows, field)
        assert not recovered, f"{field} of hidden rows {recovered} worked out by difference"

    # Each published total minus its published parts leaves 0 or at least two hidden rows
    # holding at least `threshold` answers between them.
    table = published.reset_index(drop=True)
    n = truth.reset_index(drop=True)["n"]
    for total, members in published_sums(table, DIMS):
        hidden = [m for m in members if table.loc[m, "suppressed"]]
        if table.loc[total, "suppressed"] or not hidden:
            continue
        remainder = int(table.loc[total, "n"]) - sum(int(table.loc[m, "n"]) for m in members if m not in hidden)
        assert remainder == sum(n[m] for m in hidden)
        assert len(hidden) >= 2 and remainder >= threshold


def test_the_attacker_does_find_a_school_left_exposed_by_primary_suppression_alone():
    cells = {(1, "no"): (1, 1, 0), (2, "no"): (9, 9, 0), (3, "no"): (9, 9, 0)}
    truth, _, _ = publish(cells, 5)
    naive = suppress_small_cells(truth, min_group_size=5)
    recovered = attack(naive, naive.iloc[0:0].assign(suppressed=[]), "n")
    assert recovered and set(recovered.values()) == {2}
