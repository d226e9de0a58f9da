"""Pages for scheduling surveys (staff) and answering them (parents, staff, pupils)."""

import uuid

import segno
from flask import Response as HttpResponse
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from app import clock
from app.auth.scope import public, role_required, visible_schools
from app.extensions import db
from app.models import Survey, SurveySchool
from app.services import NotFound, ServiceError
from app.surveys import bp, services
from app.surveys.forms import (
    SurveyForm, answers_from_form, respondent_form_class, validate_questionnaire,
)

SURVEY_ROLES = ("trust_admin", "head")


@bp.route("/surveys")
@role_required("trust_admin", "cio", "head")
def list_surveys():
    surveys = services.surveys_for(current_user)
    return render_template("surveys/list.html", surveys=surveys, today=clock.today())


@bp.route("/surveys/new", methods=["GET", "POST"])
@role_required(*SURVEY_ROLES)
def new_survey():
    form = SurveyForm()
    form.instrument_id.choices = [(i.id, i.label) for i in services.published_instruments()]
    form.school_ids.choices = [(s.id, s.name) for s in visible_schools(current_user, *SURVEY_ROLES)]
    if form.validate_on_submit():
        try:
            survey = services.create_survey(
                current_user, form.title.data, form.instrument_id.data, form.school_ids.data,
                form.opens_on.data, form.closes_on.data,
            )
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(f"Survey created. Share each school's link below.", "success")
            return redirect(url_for("surveys.show_survey", survey_id=survey.id))
    return render_template("surveys/new.html", form=form)


def _survey_or_404(survey_id):
    survey = db.session.get(Survey, survey_id)
    ids = current_user.school_ids()
    if survey is None or (ids is not None and not {s.school_id for s in survey.schools} & ids):
        abort(404)
    return survey


@bp.route("/surveys/<int:survey_id>")
@role_required("trust_admin", "cio", "head")
def show_survey(survey_id):
    survey = _survey_or_404(survey_id)
    ids = current_user.school_ids()
    links = [s for s in survey.schools if ids is None or s.school_id in ids]
    links.sort(key=lambda s: s.school.name)
    return render_template(
        "surveys/show.html", survey=survey, links=links, today=clock.today(),
        counts=services.response_counts(survey),
    )


@bp.route("/surveys/<int:survey_id>/schools/<int:school_id>/qr.svg")
@role_required("trust_admin", "cio", "head")
def survey_qr(survey_id, school_id):
    survey = _survey_or_404(survey_id)
    ids = current_user.school_ids()
    link = next((s for s in survey.schools if s.school_id == school_id), None)
    if link is None or (ids is not None and school_id not in ids):
        abort(404)
    url = url_for("surveys.respond", link_code=link.link_code, _external=True)
    svg = segno.make(url, error="m").svg_inline(scale=6, title=f"QR code for {link.school.name}")
    return HttpResponse(svg, mimetype="image/svg+xml")


# Respondent pages: no sign-in, nothing about the person is stored.

def _link_or_404(link_code):
    try:
        return services.survey_school_by_code(link_code)
    except NotFound:
        abort(404)


@bp.route("/s/<link_code>", methods=["GET", "POST"])
@public
def respond(link_code, session_expired=False):
    link = _link_or_404(link_code)
    survey, instrument = link.survey, link.survey.instrument
    status = survey.status(clock.today())
    if status != "open":
        return render_template("respond/not_open.html", survey=survey, link=link, status=status)
    form = respondent_form_class(instrument)()
    if request.method == "GET":
        form.submission_key.data = uuid.uuid4().hex
    elif not session_expired and validate_questionnaire(form, instrument):
        try:
            services.submit_response(
                link, answers_from_form(form, instrument), form.submission_key.data, clock.today()
            )
        except services.SurveyNotOpen as error:
            return render_template(
                "respond/not_open.html", survey=survey, link=link, status=error.status
            )
        except ServiceError as error:
            flash(str(error), "error")
        else:
            return redirect(url_for("surveys.thank_you", link_code=link_code))
    return render_template(
        "respond/questionnaire.html", form=form, survey=survey, link=link,
        instrument=instrument, session_expired=session_expired,
    )


@bp.app_errorhandler(CSRFError)
def csrf_failed(error):
    """An expired session never loses answers: show them again and ask to send once more."""
    if request.endpoint == "surveys.respond":
        return respond(request.view_args["link_code"], session_expired=True)
    flash("Your session had expired, so nothing was saved. Please try again.", "error")
    return redirect(request.url)


@bp.route("/s/<link_code>/thank-you")
@public
def thank_you(link_code):
    link = _link_or_404(link_code)
    return render_template("respond/thank_you.html", survey=link.survey, link=link)
