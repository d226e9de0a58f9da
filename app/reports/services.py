"""Results for the pages: SQL counts in, app.analysis in the middle, rows for templates out."""

import math

import sqlalchemy as sa

from app.analysis.indicators import priority_indicators
from app.analysis.suppression import suppress_small_cells
from app.extensions import db
from app.models import Priority, Survey, SurveySchool
from app.reports import queries


def priorities(trust_id):
    return db.session.scalars(
        sa.select(Priority).where(Priority.trust_id == trust_id).order_by(Priority.position)
    ).all()


def surveys_of_schools(school_ids):
    """Surveys that include any of these schools, newest first."""
    return db.session.scalars(
        sa.select(Survey).join(SurveySchool).where(SurveySchool.school_id.in_(school_ids))
        .distinct().order_by(Survey.closes_on.desc(), Survey.id.desc())
    ).all()


def priority_results(survey, schools):
    """Per school x priority: % positive with interval and n, suppressed below the threshold.

    Returns {school_id: {priority key: row}} where a row has percent_positive, ci_low,
    ci_high, n and suppressed; suppressed rows carry no numbers at all.
    """
    trust = schools[0].trust
    school_ids = [school.id for school in schools]
    counts = queries.answer_counts([survey.id], school_ids)
    if counts.empty:
        return {school_id: {} for school_id in school_ids}
    table = priority_indicators(
        counts, queries.questions_frame(survey.instrument),
        queries.priority_respondents([survey.id], school_ids),
        by=("survey_id", "school_id"),
    )
    table = suppress_small_cells(
        table, n_col="n", min_group_size=trust.threshold(survey.instrument.audience)
    )
    results = {school_id: {} for school_id in school_ids}
    for row in table.to_dict("records"):
        results[int(row["school_id"])][row["priority"]] = _clean(row)
    return results


def response_rate(survey, school):
    """(responses, eligible, percent or None) for one school in one survey."""
    totals = queries.response_totals([survey.id], [school.id])
    responses = int(totals["responses"].sum()) if not totals.empty else 0
    eligible = school.eligible(survey.instrument.audience)
    percent = round(100 * responses / eligible) if eligible else None
    return responses, eligible, percent


def _clean(row):
    """NaN becomes None so templates can test for a missing number."""
    return {
        key: (None if isinstance(value, float) and math.isnan(value) else value)
        for key, value in row.items()
    }
