"""Result pages and their charts for heads, governors, the wellbeing committee and the CIO."""

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from app import clock
from app.analysis import charts
from app.auth.scope import public, role_required, school_or_404, signed_in, visible_schools
from app.reports import bp, services
from app.schedule import services as schedule  # a module import, as for targets
from app.targets import services as targets  # a module import: targets -> evidence -> reports cycle

WELLBEING_ROLES = ("wellbeing", "cio", "trust_admin")


@bp.route("/")
@public
def home():
    if not current_user.is_authenticated:
        return render_template("reports/landing.html")
    if set(a.role for a in current_user.roles) == {"wellbeing"}:
        return redirect(url_for("reports.wellbeing"))
    schools = visible_schools(current_user)
    if len(schools) == 1:
        return redirect(url_for("reports.school_results", school_id=schools[0].id))
    return redirect(url_for("reports.trust_results"))


@bp.route("/results")
@signed_in
def trust_results():
    schools, hubs, hub = _trust_scope()
    surveys = services.surveys_of_schools([s.id for s in schools])
    survey = _chosen_survey(surveys)
    priority_list = services.priorities(schools[0].trust_id)
    dashboard = services.trust_dashboard(survey, schools) if survey else None
    description = None
    if dashboard:
        values, hidden = services.heatmap_frames(dashboard["results"], schools, priority_list)
        description = charts.describe_heatmap(values, hidden)
    return render_template(
        "reports/trust.html", schools=schools, surveys=surveys, survey=survey, hubs=hubs, hub=hub,
        dashboard=dashboard, priorities=priority_list, description=description,
        today=clock.today(), due=schedule.due_for(current_user),
    )


@bp.route("/results/heatmap.png")
@signed_in
def trust_heatmap_chart():
    schools, _, _ = _trust_scope()
    survey = _chosen_survey(services.surveys_of_schools([s.id for s in schools]))
    if survey is None:
        abort(404)
    priority_list = services.priorities(schools[0].trust_id)
    dashboard = services.trust_dashboard(survey, schools)
    values, hidden = services.heatmap_frames(dashboard["results"], schools, priority_list)
    return _png(services.heatmap_png(values, hidden))


@bp.route("/schools/<int:school_id>")
@signed_in
def school_results(school_id):
    school = school_or_404(current_user, school_id)
    surveys = services.surveys_of_schools([school.id])
    survey = _chosen_survey(surveys)
    dashboard = services.school_dashboard(survey, school) if survey else None
    priority_list = services.priorities(school.trust_id)
    text = {}
    if dashboard:
        text["likert"] = charts.describe_likert(services.likert_frame(dashboard["questions"]))
        trend_rows = _school_trend_rows(survey, school, priority_list)
        text["trend"] = {key: charts.describe_trend(services.trend_frame(points), label_col="label")
                         for key, points in trend_rows.items()}
    return render_template(
        "reports/school.html", school=school, surveys=surveys, survey=survey, dashboard=dashboard,
        priorities=priority_list, text=text, today=clock.today(), targets=targets.progress_for(school),
        # The school page is home to a one-school user: what is due for them shows here.
        due=schedule.due_for(current_user) if len(current_user.school_ids() or ()) == 1 else None,
    )


@bp.route("/schools/<int:school_id>/likert.png")
@signed_in
def school_likert_chart(school_id):
    school = school_or_404(current_user, school_id)
    survey = _chosen_survey(services.surveys_of_schools([school.id]))
    if survey is None:
        abort(404)
    return _png(services.likert_png(services.school_questions(survey, school)))


@bp.route("/schools/<int:school_id>/trend.png")
@signed_in
def school_trend_chart(school_id):
    school = school_or_404(current_user, school_id)
    survey = _chosen_survey(services.surveys_of_schools([school.id]))
    if survey is None:
        abort(404)
    priority_list = services.priorities(school.trust_id)
    return _png(services.trend_png(_school_trend_rows(survey, school, priority_list),
                                   priority_list))


@bp.route("/wellbeing")
@role_required(*WELLBEING_ROLES)
def wellbeing():
    school, schools = _wellbeing_scope()
    keys = services.instrument_keys([s.id for s in schools])
    default = "staff" if "staff" in keys else keys[0] if keys else None
    key = request.args.get("instrument") or default
    if keys and key not in keys:
        abort(404)
    priority_list = services.priorities(schools[0].trust_id)
    trend_rows, text, scores = {}, {}, []
    if key:
        surveys = services.surveys_of_instrument(key, [s.id for s in schools], clock.today())
        trend_rows, _ = services.wellbeing_trends(surveys, _target(school), priority_list)
        text = {k: charts.describe_trend(services.trend_frame(points), label_col="label")
                for k, points in trend_rows.items()}
        scores = services.hse_scores(surveys, school)
    return render_template(
        "reports/wellbeing.html", school=school, schools=schools, keys=keys, key=key,
        trend_rows=trend_rows, text=text, scores=scores, priorities=priority_list,
        trust_wide=current_user.school_ids(*WELLBEING_ROLES) is None, due=schedule.due_for(current_user),
    )


@bp.route("/wellbeing/trend.png")
@role_required(*WELLBEING_ROLES)
def wellbeing_trend_chart():
    school, schools = _wellbeing_scope()
    key = request.args.get("instrument")
    if key not in services.instrument_keys([s.id for s in schools]):
        abort(404)
    priority_list = services.priorities(schools[0].trust_id)
    surveys = services.surveys_of_instrument(key, [s.id for s in schools], clock.today())
    trend_rows, _ = services.wellbeing_trends(surveys, _target(school), priority_list)
    return _png(services.trend_png(trend_rows, priority_list))


def _school_trend_rows(survey, school, priority_list):
    surveys = services.earlier_surveys(survey, school)
    trend_rows, _ = services.wellbeing_trends(surveys, school.id, priority_list)
    return trend_rows


def _trust_scope():
    """Visible schools (filtered to ?hub_id= when given), the hubs among them, the chosen hub."""
    schools = visible_schools(current_user)
    if not schools:
        abort(404)
    hubs = sorted({s.hub for s in schools if s.hub}, key=lambda hub: hub.name)
    hub_id = request.args.get("hub_id", type=int)
    hub = None
    if request.args.get("hub_id"):
        hub = next((h for h in hubs if h.id == hub_id), None)
        if hub is None:
            abort(404)
        schools = [s for s in schools if s.hub_id == hub.id]
    return schools, hubs, hub


def _wellbeing_scope():
    """(school or None for the whole trust, the schools in view); scope-checked."""
    school_id = request.args.get("school_id", type=int)
    if school_id is not None:
        school = school_or_404(current_user, school_id, *WELLBEING_ROLES)
        return school, [school]
    if request.args.get("school_id"):
        abort(404)
    schools = visible_schools(current_user, *WELLBEING_ROLES)
    if current_user.school_ids(*WELLBEING_ROLES) is None:
        return None, schools
    if not schools:
        abort(404)
    return schools[0], [schools[0]]


def _target(school):
    return services.TRUST if school is None else school.id


def _png(data):
    response = Response(data, mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _chosen_survey(surveys):
    """The survey asked for in ?survey_id= (if it is one of these), else the newest with answers."""
    wanted = request.args.get("survey_id", type=int)
    if wanted is not None:
        survey = next((s for s in surveys if s.id == wanted), None)
        if survey is None:
            abort(404)
        return survey
    if request.args.get("survey_id"):
        abort(404)
    today = clock.today()
    started = [s for s in surveys if s.opens_on <= today]
    return started[0] if started else None
