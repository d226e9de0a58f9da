"""Result pages for heads, governors, the wellbeing committee and the CIO."""

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from app import clock
from app.auth.scope import public, school_or_404, signed_in, visible_schools
from app.extensions import db
from app.models import Survey
from app.reports import bp, services


@bp.route("/")
@public
def home():
    if not current_user.is_authenticated:
        return render_template("reports/landing.html")
    schools = visible_schools(current_user)
    if len(schools) == 1:
        return redirect(url_for("reports.school_results", school_id=schools[0].id))
    return redirect(url_for("reports.trust_results"))


@bp.route("/results")
@signed_in
def trust_results():
    schools = visible_schools(current_user)
    if not schools:
        abort(404)
    surveys = services.surveys_of_schools([s.id for s in schools])
    survey = _chosen_survey(surveys)
    results = services.priority_results(survey, schools) if survey else {}
    return render_template(
        "reports/trust.html", schools=schools, surveys=surveys, survey=survey, results=results,
        priorities=services.priorities(schools[0].trust_id), today=clock.today(),
    )


@bp.route("/schools/<int:school_id>")
@signed_in
def school_results(school_id):
    school = school_or_404(current_user, school_id)
    surveys = services.surveys_of_schools([school.id])
    survey = _chosen_survey(surveys)
    results, rate = {}, None
    if survey:
        results = services.priority_results(survey, [school])[school.id]
        rate = services.response_rate(survey, school)
    return render_template(
        "reports/school.html", school=school, surveys=surveys, survey=survey, results=results,
        rate=rate, priorities=services.priorities(school.trust_id), today=clock.today(),
        threshold=school.trust.threshold(survey.instrument.audience) if survey else None,
    )


def _chosen_survey(surveys):
    """The survey asked for in ?survey_id= (if it is one of these), else the newest with answers."""
    wanted = request.args.get("survey_id", type=int)
    if wanted is not None:
        survey = next((s for s in surveys if s.id == wanted), None)
        if survey is None:
            abort(404)
        return survey
    today = clock.today()
    started = [s for s in surveys if s.opens_on <= today]
    return started[0] if started else None
