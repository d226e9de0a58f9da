"""The pure rules: thresholds to a category, combining categories, checking a rule."""

import math

import pytest

from app.categorisation.rules import category_for, check_rule, combine

HIGHER = {"stabilise": 92, "repair": 94, "improve": 96}
LOWER = {"stabilise": 4, "repair": 3, "improve": 2}


@pytest.mark.parametrize("value, expected", [
    (80, "stabilise"), (91.9, "stabilise"), (92, "repair"), (93.9, "repair"), (94, "improve"),
    (95.99, "improve"), (96, "sustain"), (100, "sustain"),
])
def test_higher_is_better_thresholds_are_the_values_to_reach(value, expected):
    assert category_for(value, True, HIGHER) == expected


@pytest.mark.parametrize("grade, expected", [(4, "stabilise"), (3, "repair"), (2, "improve"), (1, "sustain")])
def test_ofsted_grade_points_to_the_trust_model_phase(grade, expected):
    assert category_for(grade, False, LOWER) == expected


@pytest.mark.parametrize("missing", [None, math.nan])
def test_missing_or_withheld_evidence_is_insufficient_never_a_guess(missing):
    assert category_for(missing, True, HIGHER) is None


@pytest.mark.parametrize("categories, expected", [
    (["repair", "improve"], "repair"),
    (["sustain", "sustain", "stabilise"], "improve"),
    (["sustain"], "sustain"),
    (["improve", None, None], "improve"),
    ([None, None], None),
    ([], None),
])
def test_combine_averages_and_rounds_towards_more_support(categories, expected):
    assert combine(categories) == expected


def test_check_rule_refuses_thresholds_out_of_order():
    with pytest.raises(ValueError, match="rise from Stabilise"):
        check_rule({"higher_is_better": True, "thresholds": {"stabilise": 90, "repair": 80, "improve": 95}})
    with pytest.raises(ValueError, match="fall from Stabilise"):
        check_rule({"higher_is_better": False, "thresholds": {"stabilise": 2, "repair": 3, "improve": 4}})


@pytest.mark.parametrize("thresholds", [{}, {"stabilise": "x", "repair": 1, "improve": 2},
                                        {"stabilise": "nan", "repair": 1, "improve": 2}])
def test_check_rule_refuses_missing_or_non_numbers(thresholds):
    with pytest.raises(ValueError):
        check_rule({"higher_is_better": True, "thresholds": thresholds})


def test_check_rule_returns_numbers():
    assert check_rule({"higher_is_better": True, "thresholds": {"stabilise": "1", "repair": 2, "improve": 3.5}}) \
        == {"stabilise": 1.0, "repair": 2.0, "improve": 3.5}
