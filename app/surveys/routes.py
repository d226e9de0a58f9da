"""Pages for scheduling surveys (staff) and answering them (parents, staff, pupils)."""

import uuid

import sqlalchemy as sa
from flask import Response as HttpResponse
from flask import (
    abort, current_app, flash, jsonify, make_response, redirect, render_template, request,
    url_for,
)
from flask import session as flask_session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from markupsafe import Markup

from app import clock
from app.security import json_view
from app.auth.scope import public, role_required, school_or_404, visible_schools
from app.extensions import db, limiter
from app.models import ClassSession, Survey, SurveySchool
from app.models.audit import record
from app.models.surveys import ACCESS_MODES, ANONYMITY
from app.services import NotFound, ServiceError
from app.surveys import bp, collection, invitations, services
from app.surveys.forms import (
    AnonymityForm, ClassSessionForm, InvitationsForm, JoinForm, SurveyForm, answers_from_form,
    field_name, page_cache_key, respondent_form_class, respondent_name_from, sections_of,
    validate_questionnaire,
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
                access_mode=form.access_mode.data, anonymity=form.anonymity.data,
            )
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash("Survey created. Share each school's link below.", "success")
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
        counts=services.response_counts(survey), tokens=collection.token_counts(survey),
        access_modes=ACCESS_MODES, anonymity=ANONYMITY,
        anonymity_form=AnonymityForm(anonymity=survey.anonymity), invitations_form=InvitationsForm(),
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
    svg = invitations.qr_svg(url, f"QR code for {link.school.name}")
    return HttpResponse(svg, mimetype="image/svg+xml")


# Respondent pages: no sign-in, nothing about the person is stored.

RESUME_COOKIE = "sv_resume"
COOKIE_DAYS = 120


def _link_or_404(link_code):
    try:
        return services.survey_school_by_code(link_code)
    except NotFound:
        abort(404)


def _message(template_title, paragraphs, link=None, status=200, **extra):
    """A plain page saying what happened and what to do."""
    return render_template(
        "respond/message.html", heading=template_title, paragraphs=paragraphs, link=link,
        survey=link.survey if link else None, **extra,
    ), status


def _not_open(link, status):
    return render_template("respond/not_open.html", survey=link.survey, link=link, status=status)


@bp.route("/s/<link_code>", methods=["GET", "POST"])
@public
def respond(link_code, session_expired=False):
    link = _link_or_404(link_code)
    mode = link.survey.access_mode
    if mode == "tokens":
        return _message(_("This survey is by invitation"), [
            _("Each person taking part in this survey has their own invitation link or letter."),
            _("If you have not had yours, or have lost it, please ask %(school)s.",
              school=link.school.name),
        ], link)
    if mode == "class_session":
        return _message(_("This survey is answered in class"), [
            _("Pupils answer this survey in a lesson. Your teacher will show a code on the board."),
        ], link, join_link=True)
    return _questionnaire(link, session_expired=session_expired,
                          resume_key=request.cookies.get(RESUME_COOKIE))


def _questionnaire(link, session_expired=False, resume_key=None, token=None, class_session=None):
    """Show the questionnaire (with any saved answers) or take its final submit."""
    survey, instrument = link.survey, link.survey.instrument
    status = survey.status(clock.today())
    if status != "open":
        return _not_open(link, status)
    language = str(get_locale())
    named = survey.anonymity == "named" and class_session is None
    form_class = respondent_form_class(instrument, language, named)
    if request.method == "GET":
        partial = None if class_session else collection.load_partial(link, resume_key, token)
        form = form_class(data=_form_data(instrument, partial.answers) if partial else None)
        form.submission_key.data = resume_key if (partial and resume_key) else uuid.uuid4().hex
        resumed = partial is not None
    else:
        form, resumed = form_class(), False
        link_code = link.link_code  # read before the commit expires it
        if not session_expired and validate_questionnaire(form, instrument):
            try:
                services.submit_response(
                    link, answers_from_form(form, instrument), form.submission_key.data,
                    clock.today(), token=token, class_session=class_session,
                    respondent_name=respondent_name_from(form),
                )
            except services.SurveyNotOpen as error:
                return _not_open(link, error.status)
            except services.TokenUsed:
                return _token_used(link)
            except ServiceError as error:
                flash(str(error), "error")
            else:
                if class_session is not None:
                    flask_session.pop(JOINED, None)  # the next pupil on this device is a new join
                    return redirect(url_for("surveys.join", done=class_session.join_code))
                return redirect(url_for("surveys.thank_you", link_code=link_code))
    pupil = class_session is not None
    blank = request.method == "GET" and not resumed and not session_expired
    page = render_template(
        "respond/questionnaire.html", form=form, survey=survey, link=link,
        instrument=instrument, sections=sections_of(instrument),
        questions_html=_blank_questions(form, instrument, language, named, pupil) if blank else None,
        session_expired=session_expired, resumed=resumed,
        pupil=pupil, named=named,
        answered_url=url_for("surveys.already_answered", link_code=link.link_code)
        if survey.access_mode == "open_link" and not request.args.get("another") else None,
        paged=len(instrument.questions) > (12 if class_session else 30),
        autosave_url=None if class_session else (
            url_for("surveys.autosave_invitation", token=token) if token
            else url_for("surveys.autosave", link_code=link.link_code)
        ),
    )
    response = make_response(page)
    if class_session is not None:
        # A shared classroom device: the back button must not bring the last pupil's page back.
        response.headers["Cache-Control"] = "no-store"
    return response


def _blank_questions(form, instrument, language, named, pupil):
    """Render an unanswered form's questions once a process: a published version never changes.

    Rendering ~20 GOV.UK radio macros was most of a respondent's page time. The CSRF token and
    submission key are outside this block, so every respondent still gets their own.
    """
    if instrument.status != "published":
        return None
    cache = current_app.extensions.setdefault("sv_blank_questions", {})
    key = (*page_cache_key(instrument, language, named), pupil)
    html = cache.get(key)
    if html is None:
        html = Markup(render_template(
            "respond/_questions.html", form=form, sections=sections_of(instrument), pupil=pupil,
        ))
        cache[key] = html
    return html


def _form_data(instrument, answers):
    """Saved answers as form data: one code for a radio question, a list for checkboxes."""
    data = {}
    for question in instrument.questions:
        value = answers.get(question.key)
        if value is None:
            continue
        data[field_name(question)] = (
            value if question.type in ("text", "multiple") else value[0]
        )
    return data


KEEP_TYPED_ON_EXPIRY = {"comments.handle_flag", "comments.edit_word_list", "reports.edit_action"}


@bp.app_errorhandler(CSRFError)
def csrf_failed(error):
    """An expired session never loses answers: show them again and ask to send once more."""
    args = request.view_args or {}
    if request.endpoint == "surveys.respond":
        return respond(args["link_code"], session_expired=True)
    if request.endpoint == "surveys.respond_invitation":
        return respond_invitation(args["token"], session_expired=True)
    if request.endpoint == "surveys.answer_in_class":
        return answer_in_class(args["code"], session_expired=True)
    if request.endpoint in KEEP_TYPED_ON_EXPIRY:
        # Staff forms whose typed text matters: shown again with it and a message.
        return current_app.view_functions[request.endpoint](**args, session_expired=True)
    if request.is_json:
        return jsonify(saved=False, message=_("Your session expired. Your answers are kept on this device.")), 400
    flash(_("Your session had expired, so nothing was saved. Please try again."), "error")
    return redirect(request.url)


@bp.route("/s/<link_code>/thank-you")
@public
def thank_you(link_code):
    link = _link_or_404(link_code)
    path = url_for("surveys.respond", link_code=link_code)
    return render_template("respond/thank_you.html", survey=link.survey, link=link, clear_path=path,
                           mark_answered=link.survey.access_mode == "open_link")


@bp.route("/s/<link_code>/answered")
@public
def already_answered(link_code):
    """Where the page sends a device that has answered this open link before."""
    link = _link_or_404(link_code)
    return render_template("respond/already_answered.html", survey=link.survey, link=link)


def _autosave(link, token=None):
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify(saved=False, message=_("Send the answers as JSON.")), 400
    key = payload.get("submission_key")
    try:
        collection.save_partial(link, key, payload.get("answers"), clock.today(), token=token)
    except ServiceError as error:
        return jsonify(saved=False, message=str(error)), 409
    response = jsonify(saved=True)
    if token is None:
        response.set_cookie(
            RESUME_COOKIE, key, max_age=COOKIE_DAYS * 86400, httponly=True, samesite="Lax",
            path=url_for("surveys.respond", link_code=link.link_code), secure=request.is_secure,
        )
    return response


@bp.route("/s/<link_code>/autosave", methods=["POST"])
@public
@json_view
@limiter.limit("120 per minute", key_func=lambda: request.view_args.get("link_code", ""))
def autosave(link_code):
    link = _link_or_404(link_code)
    if link.survey.access_mode != "open_link":
        abort(404)
    return _autosave(link)


# Invitations

def _token_used(link):
    return _message(_("This invitation has already been used"), [
        _("Someone has already sent answers with this invitation, so it cannot be used again."),
        _("If that was you, thank you: there is nothing more to do."),
        _("If it was not you, or you need a new invitation, please ask %(school)s.",
          school=link.school.name),
    ], link)


def _invitation_or_page(token):
    try:
        row = collection.token_by_value(token)
    except NotFound:
        return None, _message(_("We cannot find this invitation"), [
            _("The link may have been copied wrongly. Check it matches the one in your letter or message."),
            _("If it still does not work, ask the school for a new invitation."),
        ], status=404)
    return row, None


@bp.route("/i/<token>", methods=["GET", "POST"])
@public
@limiter.limit("30 per minute", deduct_when=lambda response: response.status_code == 404)
def respond_invitation(token, session_expired=False):
    row, page = _invitation_or_page(token)
    if page:
        return page
    if row.used and request.method == "GET":
        return _token_used(row.survey_school)
    return _questionnaire(row.survey_school, session_expired=session_expired, token=token)


@bp.route("/i/<token>/autosave", methods=["POST"])
@public
@json_view
@limiter.limit("30 per minute", deduct_when=lambda response: response.status_code == 404)
def autosave_invitation(token):
    row, page = _invitation_or_page(token)
    if page:
        return jsonify(saved=False, message=_("There is no invitation at this link.")), 404
    if row.used:
        return jsonify(saved=False, message=_("This invitation has already been used.")), 409
    return _autosave(row.survey_school, token=token)


@bp.route("/surveys/<int:survey_id>/schools/<int:school_id>/invitations", methods=["POST"])
@role_required(*SURVEY_ROLES)
def make_invitations(survey_id, school_id):
    survey = _survey_or_404(survey_id)
    school_or_404(current_user, school_id, *SURVEY_ROLES)
    link = next((s for s in survey.schools if s.school_id == school_id), None)
    form = InvitationsForm()
    if link is None:
        abort(404)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0], "error")
        return redirect(url_for("surveys.show_survey", survey_id=survey_id))
    try:
        tokens = collection.generate_tokens(link, form.count.data)
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("surveys.show_survey", survey_id=survey_id))
    record("invitations.made", user=current_user, school=link.school, survey_id=survey.id,
           count=len(tokens), format=form.format.data)
    db.session.commit()
    urls = [url_for("surveys.respond_invitation", token=token, _external=True) for token in tokens]
    name = f"invitations-{link.school.urn}-{survey.id}"
    if form.format.data == "csv":
        return _download(invitations.links_csv(link, urls), "text/csv", f"{name}.csv")
    html = render_template("surveys/letters.html", survey=survey, link=link,
                           letters=invitations.letters(urls))
    return _download(invitations.pdf(html), "application/pdf", f"{name}.pdf")


def _download(body, mimetype, filename):
    response = HttpResponse(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/surveys/<int:survey_id>/anonymity", methods=["POST"])
@role_required(*SURVEY_ROLES)
def change_anonymity(survey_id):
    survey = _survey_or_404(survey_id)
    form = AnonymityForm()
    if form.validate_on_submit():
        try:
            collection.change_anonymity(survey, form.anonymity.data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(f"The survey is now {ANONYMITY[survey.anonymity].lower()}.", "success")
    else:
        flash("Choose one of the anonymity settings.", "error")
    return redirect(url_for("surveys.show_survey", survey_id=survey_id))


# Pupils in class

# The join code this browser was last counted for, so a refresh is not a second join.
JOINED = "joined_class"

def _join_page(form, error=None, done=None, ended=None, status=200):
    return render_template("respond/join.html", form=form, error=error, done=done,
                           ended=ended), status


@bp.route("/join", methods=["GET", "POST"])
@public
@limiter.limit("60 per minute", methods=["POST"], deduct_when=lambda response: response.status_code == 404)
def join():
    form = JoinForm()
    done = request.args.get("done")
    if request.method == "GET":
        form.code.data = collection.normalise_code(done or request.args.get("code"))
        response = make_response(_join_page(form, done=bool(done)))
        response.headers["Cache-Control"] = "no-store"
        return response
    if not form.validate_on_submit():
        return _join_page(form)
    flask_session.pop(JOINED, None)  # typing the code is a new pupil joining
    try:
        session = collection.session_by_code(form.code.data, clock.utcnow())
    except collection.SessionEnded:
        return _join_page(form, ended=True)
    except NotFound:
        form.code.errors = [_("Check the code on the board and try again.")]
        return _join_page(form, status=404)
    return redirect(url_for("surveys.answer_in_class", code=session.join_code))


@bp.route("/join/<code>", methods=["GET", "POST"])
@public
@limiter.limit("60 per minute", deduct_when=lambda response: response.status_code == 404)
def answer_in_class(code, session_expired=False):
    try:
        session = collection.session_by_code(code, clock.utcnow())
    except collection.SessionEnded:
        return _join_page(JoinForm(formdata=None), ended=True)
    except NotFound:
        form = JoinForm(formdata=None)
        form.code.errors = [_("Check the code on the board and try again.")]
        return _join_page(form, status=404)
    if request.method == "GET" and flask_session.get(JOINED) != session.join_code:
        collection.count_join(session)
        flask_session[JOINED] = session.join_code
    return _questionnaire(session.survey_school, session_expired=session_expired,
                          class_session=session)


@bp.route("/class-sessions")
@role_required(*collection.CLASS_ROLES)
def list_class_sessions():
    links = collection.class_session_surveys(current_user, clock.today())
    sessions = collection.class_sessions_for([link.id for link in links])
    return render_template("class_sessions/list.html", links=links, sessions=sessions,
                           form=ClassSessionForm(), now=clock.utcnow())


@bp.route("/surveys/<int:survey_id>/schools/<int:school_id>/class-sessions", methods=["POST"])
@role_required(*collection.CLASS_ROLES)
def start_class_session(survey_id, school_id):
    school_or_404(current_user, school_id, *collection.CLASS_ROLES)
    link = db.session.scalar(sa.select(SurveySchool).where(
        SurveySchool.survey_id == survey_id, SurveySchool.school_id == school_id))
    if link is None:
        abort(404)
    form = ClassSessionForm()
    if form.validate_on_submit():
        try:
            session = collection.open_class_session(
                current_user, link, form.group_name.data, form.minutes.data, clock.utcnow())
        except ServiceError as error:
            flash(str(error), "error")
        else:
            return redirect(url_for("surveys.show_class_session", class_session_id=session.id))
    else:
        flash(next(iter(form.errors.values()))[0], "error")
    return redirect(url_for("surveys.list_class_sessions"))


def _class_session_or_404(class_session_id):
    session = db.session.get(ClassSession, class_session_id)
    if session is None:
        abort(404)
    school_or_404(current_user, session.survey_school.school_id, *collection.CLASS_ROLES)
    return session


@bp.route("/class-sessions/<int:class_session_id>")
@role_required(*collection.CLASS_ROLES)
def show_class_session(class_session_id):
    session = _class_session_or_404(class_session_id)
    return render_template("class_sessions/show.html", session=session, now=clock.utcnow(),
                           join_url=url_for("surveys.join", _external=True))


@bp.route("/class-sessions/<int:class_session_id>/status.json")
@role_required(*collection.CLASS_ROLES)
def class_session_status(class_session_id):
    session = _class_session_or_404(class_session_id)
    # Counts only, never answers.
    return jsonify(joins=session.joins, completions=session.completions,
                   open=session.is_open(clock.utcnow()))


@bp.route("/class-sessions/<int:class_session_id>/qr.svg")
@role_required(*collection.CLASS_ROLES)
def class_session_qr(class_session_id):
    session = _class_session_or_404(class_session_id)
    url = url_for("surveys.answer_in_class", code=session.join_code, _external=True)
    svg = invitations.qr_svg(url, f"QR code to join with code {session.join_code}", scale=8)
    return HttpResponse(svg, mimetype="image/svg+xml")


@bp.route("/class-sessions/<int:class_session_id>/close", methods=["POST"])
@role_required(*collection.CLASS_ROLES)
def close_class_session(class_session_id):
    session = _class_session_or_404(class_session_id)
    if FlaskForm().validate_on_submit():
        collection.close_class_session(session, clock.utcnow())
        flash("The session is closed. Pupils can no longer join with its code.", "success")
    return redirect(url_for("surveys.show_class_session", class_session_id=class_session_id))
