"""Schedule pages: the year's events by term, generating and editing them, iCalendar export."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import clock
from app.auth.scope import public, role_required, school_or_404, signed_in, visible_schools
from app.models.instruments import AUDIENCES
from app.models.schedule import EVENT_KINDS, TERMS
from app.schedule import bp, services
from app.services import NotFound, ServiceError

EDITORS = ("cio", "trust_admin")


def _scope():
    """(trust, school ids or None for all, chosen school or None) for the signed-in user."""
    schools = visible_schools(current_user)
    if not schools:
        abort(404)
    school_id = request.args.get("school_id", type=int)
    school = school_or_404(current_user, school_id) if school_id else None
    if school:
        return school.trust, [school.id], school
    ids = current_user.school_ids()
    return schools[0].trust, ids if ids is None else sorted(ids), None


def _year():
    """?year= (an academic year by its first calendar year), else the current one."""
    today = clock.today()
    year = request.args.get("year", type=int) or (today.year if today.month >= 8 else today.year - 1)
    if year not in services.YEARS:
        abort(404)
    return year


@bp.route("/")
@signed_in
def list_events():
    trust, school_ids, school = _scope()
    year = _year()
    hub_id = request.args.get("hub_id", type=int)
    if hub_id is not None and school is None:
        hub_ids = [s.id for s in trust.schools if s.hub_id == hub_id and (school_ids is None or s.id in school_ids)]
        if not hub_ids:
            abort(404)
        school_ids = hub_ids
    items = services.events(trust.id, year, school_ids)
    can_edit = current_user.has_role(*EDITORS)
    return render_template(
        "schedule/list.html", trust=trust, year=year, items=items, school=school, hub_id=hub_id,
        terms=TERMS, kinds=EVENT_KINDS, years=services.years(trust.id), can_edit=can_edit,
        windows=services.window_surveys(current_user, items), label=services.year_label,
        warnings=services.fatigue_warnings(trust, year) if can_edit else [],
        schools=visible_schools(current_user), audiences=AUDIENCES, today=clock.today(),
        due=services.due_soon(trust.id, school_ids), limit=services.settings_of(trust)["max_surveys_per_term"],
        has_feed=services.feed_of(current_user) is not None,
    )


@bp.route("/generate", methods=["POST"])
@role_required(*EDITORS)
def generate_year():
    trust, _, _ = _scope()
    year = request.form.get("year", type=int)
    try:
        made = services.generate_year(current_user, trust, year)
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("schedule.list_events", year=year) if year else url_for("schedule.list_events"))
    flash(f"Made {len(made)} events for {services.year_label(year)}. Edit any of them below.", "success")
    return redirect(url_for("schedule.list_events", year=year))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@role_required(*EDITORS)
def edit_event(event_id):
    trust, _, _ = _scope()
    event = _event_or_404(trust, event_id)
    error = None
    if request.method == "POST":
        try:
            services.update_event(current_user, event, request.form.get("title"),
                                  request.form.get("starts_on"), request.form.get("ends_on"))
        except ServiceError as failure:
            error = str(failure)
        else:
            flash("Event saved.", "success")
            return redirect(url_for("schedule.list_events", year=event.academic_year))
    return render_template("schedule/edit.html", event=event, error=error, form=request.form), 400 if error else 200


@bp.route("/events/<int:event_id>/survey", methods=["POST"])
@role_required(*services.SURVEY_MAKERS)
def create_survey(event_id):
    trust, _, _ = _scope()
    event = _event_or_404(trust, event_id)
    try:
        survey = services.create_survey_for(current_user, event)
    except NotFound:
        abort(404)
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("schedule.list_events", year=event.academic_year))
    flash("Survey created for the window. It opens on its start date.", "success")
    return redirect(url_for("surveys.show_survey", survey_id=survey.id))


@bp.route("/calendar.ics")
@signed_in
def export_calendar():
    trust, school_ids, school = _scope()
    year = _year()
    name = f"{school.name if school else trust.name} schedule {services.year_label(year)}"
    body = services.to_ical(trust, services.events(trust.id, year, school_ids), name)
    filename = f"schedule-{year}{'-' + school.urn if school else ''}.ics"
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/settings", methods=["GET", "POST"])
@role_required(*EDITORS)
def edit_settings():
    trust, _, _ = _scope()
    errors = {}
    if request.method == "POST":
        try:
            services.save_settings(current_user, trust, request.form)
        except services.SettingsInvalid as failure:
            errors = failure.errors
        else:
            flash("Schedule settings saved. They apply to years made from now on and to the fatigue warning.",
                  "success")
            return redirect(url_for("schedule.list_events"))
    settings = services.settings_of(trust)
    return render_template("schedule/settings.html", settings=settings, errors=errors,
                           form=request.form if errors else None, audiences=AUDIENCES, terms=TERMS,
                           last_week=services.LAST_WEEK, last_window_week=services.LAST_WINDOW_WEEK), \
        400 if errors else 200


@bp.route("/subscribe", methods=["GET", "POST"])
@signed_in
def subscribe():
    """Make (POST) or explain the user's calendar subscription; the secret URL is shown once."""
    _scope()
    url = None
    if request.method == "POST":
        url = url_for("schedule.calendar_feed", secret=services.new_feed(current_user), _external=True)
    response = Response(render_template("schedule/subscribe.html", url=url, feed=services.feed_of(current_user)))
    response.headers["Cache-Control"] = "no-store"  # the page may hold the secret
    return response


@bp.route("/subscribe/stop", methods=["POST"])
@signed_in
def stop_subscription():
    try:
        services.revoke_feed(current_user)
    except NotFound as error:
        flash(str(error), "error")
    else:
        flash("Calendar subscription stopped. The old address no longer works.", "success")
    return redirect(url_for("schedule.subscribe"))


@bp.route("/feed/<secret>.ics")
@public
def calendar_feed(secret):
    """The subscription a calendar app reads without signing in: found by its secret alone."""
    try:
        body = services.feed_calendar(secret)
    except NotFound:
        abort(404)
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _event_or_404(trust, event_id):
    try:
        return services.event_or_404(trust.id, event_id)
    except NotFound:
        abort(404)
