"""Pages for contact lists, invitations, the outbox, opt-out and live response rates."""

from flask import Response as HttpResponse
from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app import clock
from app.auth.scope import public, role_required, school_or_404, signed_in, visible_schools
from app.extensions import csrf, db
from app.invitations import bp, contacts, rates, services
from app.invitations.forms import ContactForm, TemplateForm, UploadForm
from app.models import Survey
from app.models.invitations import CONTACT_KINDS
from app.services import NotFound, ServiceError

CONTACT_ROLES = ("trust_admin", "head")


# Contact lists ------------------------------------------------------------------------------

@bp.route("/schools/<int:school_id>/contacts")
@role_required(*CONTACT_ROLES)
def list_contacts(school_id):
    school = school_or_404(current_user, school_id, *CONTACT_ROLES)
    kind = request.args.get("kind", "family")
    if kind not in CONTACT_KINDS:
        abort(404)
    return render_template("invitations/contacts.html", school=school, kind=kind,
                           contacts=contacts.contacts_of(school, kind), kinds=CONTACT_KINDS,
                           problems=contacts.email_problems(school, kind))


@bp.route("/schools/<int:school_id>/contacts/import", methods=["GET", "POST"])
@role_required(*CONTACT_ROLES)
def upload_contacts(school_id):
    school = school_or_404(current_user, school_id, *CONTACT_ROLES)
    form = UploadForm(kind=request.args.get("kind", "family"))
    if form.validate_on_submit():
        upload = form.file.data
        try:
            pending = contacts.start_import(current_user, school, form.kind.data,
                                            upload.filename, upload.read())
        except ServiceError as error:
            form.file.errors.append(str(error))
        else:
            return redirect(url_for("invitations.map_columns", school_id=school.id, import_id=pending.id))
    return render_template("invitations/upload.html", school=school, form=form)


def _pending_or_404(school, import_id):
    try:
        return contacts.pending_import(current_user, school, import_id)
    except NotFound as error:
        flash(str(error), "error")
        return None


@bp.route("/schools/<int:school_id>/contacts/import/<int:import_id>/columns", methods=["GET", "POST"])
@role_required(*CONTACT_ROLES)
def map_columns(school_id, import_id):
    school = school_or_404(current_user, school_id, *CONTACT_ROLES)
    pending = _pending_or_404(school, import_id)
    if pending is None:
        return redirect(url_for("invitations.upload_contacts", school_id=school.id))
    error = None
    if request.method == "POST":
        chosen = {field: request.form.get(field) for field in contacts.FIELDS[pending.kind]}
        try:
            contacts.set_mapping(pending, chosen)
        except ServiceError as failure:
            error = str(failure)
            pending.mapping = {f: int(v) for f, v in chosen.items() if v not in (None, "") and v.isdigit()}
        else:
            return redirect(url_for("invitations.preview_import", school_id=school.id, import_id=pending.id))
    return render_template(
        "invitations/columns.html", school=school, pending=pending, error=error,
        headings=contacts.headings(pending), fields=contacts.FIELDS[pending.kind],
        labels=contacts.FIELD_LABELS, kinds=CONTACT_KINDS,
    )


@bp.route("/schools/<int:school_id>/contacts/import/<int:import_id>/preview", methods=["GET", "POST"])
@role_required(*CONTACT_ROLES)
def preview_import(school_id, import_id):
    school = school_or_404(current_user, school_id, *CONTACT_ROLES)
    pending = _pending_or_404(school, import_id)
    if pending is None:
        return redirect(url_for("invitations.list_contacts", school_id=school.id))
    if request.method == "POST":
        try:
            result = contacts.confirm_import(current_user, school, pending)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(f"Imported {result['new']} new and updated {result['updated']} existing contacts.", "success")
            return redirect(url_for("invitations.list_contacts", school_id=school.id, kind=pending.kind))
    result = contacts.preview(pending)
    return render_template("invitations/preview.html", school=school, pending=pending, result=result,
                           shown=result["contacts"][:contacts.PREVIEW_ROWS], kinds=CONTACT_KINDS)


def _contact_or_404(school, contact_id):
    try:
        return contacts.contact_or_404(school, contact_id)
    except NotFound:
        abort(404)


@bp.route("/schools/<int:school_id>/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@role_required(*CONTACT_ROLES)
def edit_contact(school_id, contact_id):
    school = school_or_404(current_user, school_id, *CONTACT_ROLES)
    contact = _contact_or_404(school, contact_id)
    form = ContactForm(obj=contact)
    if form.validate_on_submit():
        try:
            contacts.update_contact(current_user, contact, form.name.data, form.email.data,
                                    form.mobile.data, form.role_group.data, form.year_groups.data)
        except ServiceError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash("Contact saved.", "success")
            return redirect(url_for("invitations.list_contacts", school_id=school.id, kind=contact.kind))
    return render_template("invitations/edit_contact.html", school=school, contact=contact, form=form)


@bp.route("/schools/<int:school_id>/contacts/<int:contact_id>/delete", methods=["GET", "POST"])
@role_required(*CONTACT_ROLES)
def delete_contact(school_id, contact_id):
    school = school_or_404(current_user, school_id, *CONTACT_ROLES)
    contact = _contact_or_404(school, contact_id)
    if request.method == "POST":
        kind = contact.kind
        contacts.delete_contact(current_user, contact)
        flash("Contact deleted, with every invitation sent to them.", "success")
        return redirect(url_for("invitations.list_contacts", school_id=school.id, kind=kind))
    return render_template("invitations/delete_contact.html", school=school, contact=contact)


# Invitations --------------------------------------------------------------------------------

def _survey_or_404(survey_id, *roles):
    survey = db.session.get(Survey, survey_id)
    ids = current_user.school_ids(*roles)
    if survey is None or (ids is not None and not {s.school_id for s in survey.schools} & ids):
        abort(404)
    return survey, ids


def _survey_schools(survey, ids):
    return sorted((link.school for link in survey.schools if ids is None or link.school_id in ids),
                  key=lambda school: school.name)


@bp.route("/surveys/<int:survey_id>/invitations")
@role_required(*CONTACT_ROLES)
def show_invitations(survey_id):
    survey, ids = _survey_or_404(survey_id, *CONTACT_ROLES)
    return render_template(
        "invitations/invitations.html", survey=survey, schools=_survey_schools(survey, ids),
        progress=services.progress(survey, ids), today=clock.today(),
        reminder_days=current_app.config["REMINDER_DAYS"],
    )


@bp.route("/surveys/<int:survey_id>/invitations/send", methods=["POST"])
@role_required(*CONTACT_ROLES)
def send_invitations(survey_id):
    survey, ids = _survey_or_404(survey_id, *CONTACT_ROLES)
    try:
        queued = services.queue_invitations(current_user, survey, _survey_schools(survey, ids))
    except ServiceError as error:
        flash(str(error), "error")
    else:
        services.start_sending(survey)
        flash(f"Sending {queued} invitations. This page shows how far it has got.", "success")
    return redirect(url_for("invitations.show_invitations", survey_id=survey.id))


@bp.route("/surveys/<int:survey_id>/invitations/retry", methods=["POST"])
@role_required(*CONTACT_ROLES)
def retry_invitations(survey_id):
    survey, ids = _survey_or_404(survey_id, *CONTACT_ROLES)
    retried = services.retry_failed(current_user, survey, ids)
    if retried:
        services.start_sending(survey)
    flash(f"Trying {retried} failed invitations again.", "success")
    return redirect(url_for("invitations.show_invitations", survey_id=survey.id))


@bp.route("/surveys/<int:survey_id>/invitations/progress.json")
@role_required(*CONTACT_ROLES)
def invitation_progress(survey_id):
    survey, ids = _survey_or_404(survey_id, *CONTACT_ROLES)
    return jsonify(services.progress(survey, ids))


@bp.route("/surveys/<int:survey_id>/outbox")
@role_required(*CONTACT_ROLES)
def show_outbox(survey_id):
    survey, ids = _survey_or_404(survey_id, *CONTACT_ROLES)
    return render_template("invitations/outbox.html", survey=survey,
                           messages=services.outbox(survey, ids))


@bp.route("/surveys/<int:survey_id>/emails/<purpose>", methods=["GET", "POST"])
@role_required(*CONTACT_ROLES)
def edit_template(survey_id, purpose):
    survey, ids = _survey_or_404(survey_id, *CONTACT_ROLES)
    if purpose not in services.DEFAULT_TEMPLATES:
        abort(404)
    template = services.template_for(survey, purpose)
    form = TemplateForm(obj=template)
    preview = None
    if form.validate_on_submit():
        try:
            services.check_template(form.subject.data, form.body.data)
            if form.save.data:
                services.save_template(current_user, survey, purpose, form.subject.data, form.body.data)
                flash("Email saved.", "success")
                return redirect(url_for("invitations.show_invitations", survey_id=survey.id))
        except ServiceError as error:
            form.body.errors.append(str(error))
        else:
            school = _survey_schools(survey, ids)[0]
            preview = services.render(form.subject.data, form.body.data,
                                      services.sample_values(survey, school))
    return render_template("invitations/template.html", survey=survey, purpose=purpose, form=form,
                           preview=preview, placeholders=services.PLACEHOLDERS)


@bp.route("/opt-out/<signed>", methods=["GET", "POST"])
@public
@csrf.exempt  # mail programs' one-click unsubscribe posts without a form; the signed link is the proof
def opt_out(signed):
    try:
        contact = services.contact_from_opt_out(signed)
    except NotFound as error:
        return render_template("invitations/opt_out.html", problem=str(error)), 404
    if request.method == "POST":
        services.opt_out(contact)
        return render_template("invitations/opt_out.html", done=True)
    return render_template("invitations/opt_out.html", signed=signed, done=contact.opted_out)


# Response rates -----------------------------------------------------------------------------

def _rates_context():
    schools = visible_schools(current_user)
    if not schools:
        abort(404)
    ids = [school.id for school in schools]
    surveys = rates.current_surveys(ids)
    wanted = request.args.get("survey_id", type=int)
    survey = surveys[0] if surveys and wanted is None else next((s for s in surveys if s.id == wanted), None)
    if wanted is not None and survey is None:
        abort(404)
    return schools, surveys, survey


@bp.route("/rates")
@signed_in
def response_rates():
    schools, surveys, survey = _rates_context()
    table = rates.school_rates(survey, schools) if survey else None
    per_day = rates.responses_per_day(survey, table["school_id"].tolist()) if survey else None
    return render_template(
        "invitations/rates.html", surveys=surveys, survey=survey, schools=schools,
        rows=table.to_dict("records") if table is not None else [],
        total=rates.trust_total(table) if table is not None else None,
        by_audience=_by_audience(surveys, schools), per_day=per_day,
        per_day_text=rates.describe_per_day(per_day) if per_day is not None else "",
        today=clock.today(),
    )


def _by_audience(surveys, schools):
    today = clock.today()
    rows = []
    for survey in surveys:
        if survey.status(today) != "open":
            continue
        total = rates.trust_total(rates.school_rates(survey, schools))
        rows.append({"survey": survey, "audience": survey.instrument.audience, **total})
    return rows


@bp.route("/rates.json")
@signed_in
def response_rates_data():
    schools, surveys, survey = _rates_context()
    if survey is None:
        return jsonify({"schools": [], "total": None})
    table = rates.school_rates(survey, schools)
    return jsonify({
        "survey_id": survey.id,
        "schools": [{"school_id": int(r["school_id"]), "responses": int(r["responses"]),
                     "eligible": int(r["eligible"]),
                     "response_rate": None if r["response_rate"] != r["response_rate"] else round(r["response_rate"])}
                    for r in table.to_dict("records")],
        "total": rates.trust_total(table),
    })


@bp.route("/rates/per-day.png")
@signed_in
def responses_per_day_chart():
    schools, surveys, survey = _rates_context()
    if survey is None:
        abort(404)
    ids = [s.school_id for s in survey.schools if s.school_id in {school.id for school in schools}]
    school_id = request.args.get("school_id", type=int)
    if school_id is not None:
        if school_id not in ids:
            abort(404)
        ids = [school_id]
    png = rates.per_day_png(rates.responses_per_day(survey, ids))
    return HttpResponse(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.route("/rates/schools/<int:school_id>")
@signed_in
def school_rates(school_id):
    school = school_or_404(current_user, school_id)
    surveys = rates.current_surveys([school.id])
    wanted = request.args.get("survey_id", type=int)
    survey = next((s for s in surveys if wanted is None or s.id == wanted), None)
    if wanted is not None and survey is None:
        abort(404)
    threshold = school.trust.threshold(survey.instrument.audience) if survey else None
    years = rates.year_group_rates(survey, school, threshold) if survey else None
    row = rates.school_rates(survey, [school]).to_dict("records")[0] if survey else None
    per_day = rates.responses_per_day(survey, [school.id]) if survey else None
    return render_template(
        "invitations/school_rates.html", school=school, surveys=surveys, survey=survey,
        years=years.to_dict("records") if years is not None else [], threshold=threshold, row=row,
        per_day=per_day, per_day_text=rates.describe_per_day(per_day) if per_day is not None else "",
        channels=rates.channels(survey, school) if survey else None,
    )


@bp.route("/invitations")
@role_required(*CONTACT_ROLES)
def list_invitations():
    schools = visible_schools(current_user, *CONTACT_ROLES)
    today = clock.today()
    surveys = [s for s in rates.current_surveys([school.id for school in schools])
               if s.status(today) == "open"]
    return render_template("invitations/index.html", schools=schools, surveys=surveys)
