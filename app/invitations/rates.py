"""Live response rates: per school, audience and year group, and responses per day."""

import pandas as pd
import sqlalchemy as sa

from app import clock
from app.analysis import charts
from app.analysis.indicators import response_rate
from app.analysis.suppression import suppress_complementary
from app.extensions import db
from app.models import Answer, Invitation, InvitationToken, Question, Response, Survey, SurveySchool
from app.reports.queries import response_totals

NOT_GIVEN = "Not given"


def current_surveys(school_ids=None):
    """Surveys that have opened, newest first, at any of these schools (all if None)."""
    query = (sa.select(Survey).join(SurveySchool).where(Survey.opens_on <= clock.today())
             .order_by(Survey.opens_on.desc(), Survey.id.desc()).distinct())
    if school_ids is not None:
        query = query.where(SurveySchool.school_id.in_(school_ids))
    return db.session.scalars(query).all()


def school_rates(survey, schools):
    """One row per school: school_id, name, responses, eligible, response_rate (0-100 or NaN)."""
    ids = [school.id for school in schools if school.id in {s.school_id for s in survey.schools}]
    totals = response_totals([survey.id], ids)
    frame = pd.DataFrame({"survey_id": survey.id, "school_id": ids})
    frame = frame.merge(totals, on=["survey_id", "school_id"], how="left").fillna({"responses": 0})
    eligible = pd.DataFrame({
        "school_id": ids,
        "eligible": [s.eligible(survey.instrument.audience) for s in schools if s.id in ids],
    })
    result = response_rate(frame, eligible)
    names = {school.id: school.name for school in schools}
    result["name"] = result["school_id"].map(names)
    return result.sort_values("name").reset_index(drop=True)


def trust_total(rates):
    responses, eligible = int(rates["responses"].sum()), int(rates["eligible"].sum())
    return {"responses": responses, "eligible": eligible,
            "response_rate": 100 * responses / eligible if eligible else None}


def channels(survey, school):
    """How this school's responses came: {"email": (made, used), "letters": (made, used), "other": n}.

    Email invitations and printed letters are the same kind of token, told apart by whether an
    invitation points at it; "other" (open link, QR code, class session) is what remains of
    the responses. Counts of tokens only: no response says which way it came.
    """
    emailed = Invitation.id.is_not(None)
    rows = db.session.execute(
        sa.select(emailed, sa.func.count(InvitationToken.id),
                  sa.func.sum(sa.case((InvitationToken.used.is_(True), 1), else_=0)))
        .join(SurveySchool, SurveySchool.id == InvitationToken.survey_school_id)
        .outerjoin(Invitation, Invitation.token_id == InvitationToken.id)
        .where(SurveySchool.survey_id == survey.id, SurveySchool.school_id == school.id)
        .group_by(emailed)).all()
    counts = {"email": (0, 0), "letters": (0, 0)}
    for by_email, made, used in rows:
        counts["email" if by_email else "letters"] = (made, int(used or 0))
    responses = int(response_totals([survey.id], [school.id])["responses"].sum())
    counts["other"] = max(0, responses - counts["email"][1] - counts["letters"][1])
    return counts


def year_group_rates(survey, school, threshold):
    """Rows per year group (and "Not given"): responses, eligible (pupils on roll), response_rate, suppressed.

    A year group with fewer responses than the threshold is suppressed, and so is enough
    beside it that it cannot be worked out from the school total (app.analysis.suppression).
    """
    question = _year_question(survey)
    total = int(response_totals([survey.id], [school.id])["responses"].sum())
    labels = dict(question.choices()) if question else {}
    counts = {}
    if question is not None:
        rows = db.session.execute(
            sa.select(Answer.value, sa.func.count(sa.distinct(Answer.response_id)))
            .join(Response, Response.id == Answer.response_id)
            .where(Answer.survey_id == survey.id, Answer.school_id == school.id,
                   Answer.question_key == question.key, Response.status == "complete")
            .group_by(Answer.value)).all()
        counts = {labels.get(value, NOT_GIVEN): n for value, n in rows}
    years = [label for _, label in sorted(labels.items())]
    given = sum(counts.get(year, 0) for year in years)
    table = pd.DataFrame({
        "survey_id": survey.id, "school_id": school.id,
        "year_group": years + [NOT_GIVEN, "All"],
        "responses": [counts.get(year, 0) for year in years] + [total - given, total],
    })
    table["eligible"] = [school.roll_by_year.get(year, 0) for year in years] + [pd.NA, school.roll]
    table = suppress_complementary(table, dims=["year_group"], within=["survey_id", "school_id"],
                                   n_col="responses", min_group_size=threshold,
                                   columns=["responses"])
    table["response_rate"] = [
        100 * r / e if not s and not pd.isna(e) and e else None
        for r, e, s in zip(table["responses"], table["eligible"], table["suppressed"])
    ]
    return table[table["year_group"] != "All"].reset_index(drop=True)


def responses_per_day(survey, school_ids):
    """date, responses: complete responses of these schools per day of the window so far."""
    rows = db.session.execute(
        sa.select(Response.submitted_on, sa.func.count())
        .where(Response.survey_id == survey.id, Response.school_id.in_(school_ids),
               Response.status == "complete", Response.submitted_on.is_not(None))
        .group_by(Response.submitted_on)).all()
    last = min(clock.today(), survey.closes_on)
    days = pd.date_range(survey.opens_on, max(last, survey.opens_on), freq="D").date
    counts = dict(rows)
    return pd.DataFrame({"date": days, "responses": [counts.get(day, 0) for day in days]})


def plot_responses_per_day(per_day, ax):
    """Bars of responses per day; returns the Axes."""
    ax.bar([d.strftime("%d %b") for d in per_day["date"]], per_day["responses"], color="#0072B2")
    ax.set_ylabel("Responses")
    ax.set_xlabel("Day")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(axis="x", labelrotation=45 if len(per_day) > 10 else 0, labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def per_day_png(per_day):
    figure = charts.new_figure(8, 3.5)
    plot_responses_per_day(per_day, figure.add_subplot())
    return charts.figure_to_png(figure)


def describe_per_day(per_day):
    total = int(per_day["responses"].sum())
    if not total:
        return "No responses yet."
    best = per_day.loc[per_day["responses"].idxmax()]
    return (f"{total} responses over {len(per_day)} days; the most in one day was "
            f"{int(best['responses'])} on {best['date']:%d %B}.")


def _year_question(survey):
    return db.session.scalar(sa.select(Question).where(
        Question.instrument_id == survey.instrument_id, Question.context == "year_group"))
