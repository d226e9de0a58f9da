import math

import pandas as pd
import pytest

from app.analysis import DONT_KNOW
from app.analysis.indicators import (
    priority_indicators, question_indicators, response_rate, scale_scores,
)
from app.analysis.stats import wilson_interval
from tests.analysis.builders import make_counts, make_questions

# Hand-worked: 2 strongly disagree, 3 disagree, 5 neither, 6 agree, 4 strongly agree, 3 don't know.
# n = 20 valid, positive = 6 + 4 = 10, 50%; mean = (2*1 + 3*2 + 5*3 + 6*4 + 4*5) / 20 = 67/20.
SAFE = {1: 2, 2: 3, 3: 5, 4: 6, 5: 4, DONT_KNOW: 3}


def test_question_indicators_match_a_hand_worked_example():
    result = question_indicators(make_counts({"safe": SAFE}), make_questions({"question_key": "safe"}))
    row = result.iloc[0]
    assert (row["n"], row["positive"], row["dont_know"]) == (20, 10, 3)
    assert row["percent_positive"] == pytest.approx(50.0)
    assert row["mean"] == pytest.approx(3.35)
    # Wilson 95% for 10/20 is 0.2993 to 0.7007.
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((29.93, 70.07), abs=0.01)
    assert list(result.columns) == ["survey_id", "school_id", "question_key", "n", "positive",
                                    "percent_positive", "ci_low", "ci_high", "mean", "dont_know"]


def test_dont_know_can_count_as_a_not_positive_answer():
    result = question_indicators(make_counts({"safe": SAFE}), make_questions({"question_key": "safe"}),
                                 dont_know="include")
    row = result.iloc[0]
    assert row["n"] == 23 and row["percent_positive"] == pytest.approx(100 * 10 / 23)
    assert row["mean"] == pytest.approx(3.35), "don't know never enters the mean"


def test_reverse_scored_mean_runs_so_that_higher_is_better():
    questions = make_questions({"question_key": "bullied", "reverse": True, "positive_values": [1, 2]})
    result = question_indicators(make_counts({"bullied": {1: 3, 5: 1}}), questions)
    assert result.loc[0, "mean"] == pytest.approx((3 * 5 + 1 * 1) / 4)
    assert result.loc[0, "percent_positive"] == pytest.approx(75.0)


@pytest.mark.parametrize("kind, has_mean", [
    ("agree5", True), ("faces3", True), ("yes_no", True), ("scale010", True),
    ("single", False), ("multiple", False),
])
def test_mean_is_only_given_for_ordered_scales(kind, has_mean):
    questions = make_questions({"question_key": "q", "type": kind, "scale_min": 0, "scale_max": 5})
    result = question_indicators(make_counts({"q": {1: 2, 2: 2}}), questions)
    assert math.isnan(result.loc[0, "mean"]) != has_mean


def test_missing_context_values_form_their_own_group():
    counts = pd.concat([make_counts({"safe": {4: 3}}, send="yes"),
                        make_counts({"safe": {2: 5}}, send=None)], ignore_index=True)
    result = question_indicators(counts, make_questions({"question_key": "safe"}),
                                 by=["school_id", "send"])
    assert len(result) == 2
    assert result["n"].tolist() == [3, 5] or result["n"].tolist() == [5, 3]


def test_question_indicators_do_not_change_their_input():
    counts = make_counts({"safe": SAFE})
    questions = make_questions({"question_key": "safe"})
    before = counts.copy(), questions.copy()
    question_indicators(counts, questions)
    pd.testing.assert_frame_equal(counts, before[0])
    pd.testing.assert_frame_equal(questions, before[1])


@pytest.mark.parametrize("counts, kwargs, message", [
    (make_counts({"other": {1: 1}}), {}, "missing from questions"),
    (make_counts({"safe": {7: 1}}), {}, "outside the scale"),
    (make_counts({"safe": {1: 1}}), {"dont_know": "ignore"}, "dont_know must be"),
    (make_counts({"safe": {1: 1}}), {"by": ["trust_id"]}, "missing column"),
    (make_counts({"safe": {1: -1}}), {}, "must not be negative"),
])
def test_question_indicators_reject_bad_arguments(counts, kwargs, message):
    with pytest.raises(ValueError, match=message):
        question_indicators(counts, make_questions({"question_key": "safe"}), **kwargs)


def wellbeing_example():
    counts = make_counts({"happy": {5: 6, 4: 2, 2: 2}, "calm": {4: 3, 1: 5, DONT_KNOW: 2}})
    questions = make_questions({"question_key": "happy"}, {"question_key": "calm"},
                               {"question_key": "role", "priority": None, "type": "single"})
    respondents = pd.DataFrame({"survey_id": [1], "school_id": [1], "priority": ["wellbeing"],
                                "respondents": [10]})
    return counts, questions, respondents


def test_priority_indicators_pool_answers_and_use_respondents_as_n():
    counts, questions, respondents = wellbeing_example()
    row = priority_indicators(counts, questions, respondents).iloc[0]
    # happy: 8 of 10 positive; calm: 3 of 8 positive -> 11 of 18 answers.
    assert (row["n"], row["items"], row["answers"], row["positive"]) == (10, 2, 18, 11)
    assert row["percent_positive"] == pytest.approx(100 * 11 / 18)
    low, high = wilson_interval(10 * 11 / 18, 10)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((100 * low, 100 * high))
    assert row["mean"] == pytest.approx((5 * 6 + 4 * 2 + 2 * 2 + 4 * 3 + 1 * 5) / 18)


def test_priority_mean_is_missing_when_questions_use_different_scales():
    counts, questions, respondents = wellbeing_example()
    questions.loc[questions["question_key"] == "calm", ["type", "scale_max"]] = ["faces3", 3]
    counts = counts[counts["value"] <= 3]
    assert math.isnan(priority_indicators(counts, questions, respondents).loc[0, "mean"])


def test_priority_indicators_need_a_respondent_count_for_every_group():
    counts, questions, respondents = wellbeing_example()
    with pytest.raises(ValueError, match="respondents has no row"):
        priority_indicators(counts, questions, respondents.iloc[0:0])


# HSE Management Standards Indicator Tool: item -> domain, reverse-scored items
# (research/instruments.md section 2: HSE Analysis Tool mapping; items 1-23 frequency, 24-35 agreement).
HSE_DOMAINS = {
    "demands": [3, 6, 9, 12, 16, 18, 20, 22], "control": [2, 10, 15, 19, 25, 30],
    "manager_support": [8, 23, 29, 33, 35], "peer_support": [7, 24, 27, 31],
    "relationships": [5, 14, 21, 34], "role": [1, 4, 11, 13, 17], "change": [26, 28, 32],
}
HSE_REVERSE = {3, 5, 6, 9, 12, 14, 16, 18, 20, 21, 22, 34}


def hse_questions():
    return make_questions(*[
        {"question_key": f"hse_{item:02d}", "scale": f"hse.{domain}", "reverse": item in HSE_REVERSE,
         "positive_values": [1, 2] if item in HSE_REVERSE else [4, 5]}
        for domain, items in HSE_DOMAINS.items() for item in items])


def test_hse_questions_cover_the_35_items_once():
    assert sorted(hse_questions()["question_key"]) == [f"hse_{i:02d}" for i in range(1, 36)]


@pytest.mark.parametrize("domain, expected", [
    ("hse.demands", 1.0), ("hse.relationships", 1.0), ("hse.control", 5.0),
    ("hse.manager_support", 5.0), ("hse.peer_support", 5.0), ("hse.role", 5.0), ("hse.change", 5.0),
])
def test_answering_always_and_strongly_agree_throughout_scores_1_on_reversed_domains(domain, expected):
    counts = make_counts({f"hse_{item:02d}": {5: 10} for item in range(1, 36)})
    scores = scale_scores(counts, hse_questions()).set_index("scale")
    assert scores.loc[domain, "score"] == pytest.approx(expected)
    assert scores.loc[domain, "items"] == len(HSE_DOMAINS[domain.split(".")[1]])


def test_domain_score_is_the_mean_of_reverse_scored_item_means():
    # Item 3 (reverse): 2 "Never" (1 -> 5), 2 "Always" (5 -> 1): mean 3.
    # Item 6 (reverse): 4 "Sometimes" (3 -> 3): mean 3.  Item 9 (reverse): 5 "Seldom" (2 -> 4): mean 4.
    # Demands = (3 + 3 + 4) / 3 = 3.333..; n = fewest answers to one item = 4.
    counts = make_counts({"hse_03": {1: 2, 5: 2}, "hse_06": {3: 4}, "hse_09": {2: 5}})
    row = scale_scores(counts, hse_questions()).iloc[0]
    assert row["scale"] == "hse.demands"
    assert row["score"] == pytest.approx(10 / 3)
    assert (row["items"], row["n"]) == (3, 4)


def test_response_rate_divides_responses_by_eligible_people():
    responses = pd.DataFrame({"survey_id": [1, 1, 1], "school_id": [1, 2, 3], "responses": [45, 10, 4]})
    eligible = pd.DataFrame({"school_id": [1, 2, 3], "eligible": [60, 0, None]})
    result = response_rate(responses, eligible)
    assert result.loc[0, "response_rate"] == pytest.approx(75.0)
    assert result["response_rate"].iloc[1:].isna().all()
    assert list(result.columns) == ["survey_id", "school_id", "responses", "eligible", "response_rate"]


def test_response_rate_needs_one_eligible_figure_per_group():
    responses = pd.DataFrame({"survey_id": [1], "school_id": [1], "responses": [4]})
    eligible = pd.DataFrame({"school_id": [1, 1], "eligible": [60, 61]})
    with pytest.raises(ValueError, match="more than one row"):
        response_rate(responses, eligible)
