"""Pure rules: an indicator's value against thresholds gives a category; categories combine.

No Flask and no database here, so the rules can be read and tested on their own.
"""

import math

from app.models.categorisation import CATEGORIES, CATEGORY_RANK

__all__ = ["category_for", "combine", "check_rule", "INSUFFICIENT"]

#: What a rule points to when its evidence is missing or withheld for small groups.
INSUFFICIENT = None
_ORDER = list(CATEGORIES)


def category_for(value, higher_is_better, thresholds):
    """The category one indicator value points to.

    For an indicator where higher is better (attendance, % positive) the thresholds are the
    values a school must reach to leave each category: below ``stabilise`` is Stabilise, below
    ``repair`` is Repair, below ``improve`` is Improve, otherwise Sustain.  Where lower is better
    (persistent absence, Ofsted grade) a value at or above ``stabilise`` is Stabilise, at or above
    ``repair`` is Repair, at or above ``improve`` is Improve, otherwise Sustain.  A missing value
    (``None`` or NaN: no data, or withheld for a small group) is insufficient evidence (None),
    never a guess.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return INSUFFICIENT
    for category in _ORDER[:-1]:
        limit = thresholds[category]
        if (value < limit) if higher_is_better else (value >= limit):
            return category
    return _ORDER[-1]


def combine(categories):
    """One category from several: the mean rank, rounded towards more support.

    Ranks run Stabilise 0 to Sustain 3; the mean of the known ones is rounded down, so two
    indicators at Repair and Improve give Repair.  Insufficient evidence (None) is left out; if
    nothing is known the result is insufficient evidence too.
    """
    known = [CATEGORY_RANK[c] for c in categories if c is not None]
    if not known:
        return INSUFFICIENT
    return _ORDER[math.floor(sum(known) / len(known))]


def check_rule(rule):
    """Refuse a rule whose thresholds are missing or out of order, with a message that says why."""
    thresholds = rule.get("thresholds") or {}
    try:
        values = [float(thresholds[c]) for c in _ORDER[:-1]]
    except (KeyError, TypeError, ValueError):
        raise ValueError("Give a number for each of Stabilise, Repair and Improve.") from None
    if any(math.isnan(v) or math.isinf(v) for v in values):
        raise ValueError("Thresholds must be ordinary numbers.")
    ordered = values == sorted(values) if rule["higher_is_better"] else values == sorted(values, reverse=True)
    if not ordered:
        direction = "rise" if rule["higher_is_better"] else "fall"
        raise ValueError(f"Thresholds must {direction} from Stabilise to Improve.")
    return {category: value for category, value in zip(_ORDER[:-1], values)}
