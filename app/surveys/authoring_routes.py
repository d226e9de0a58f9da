"""Pages of the instrument library: browse, author drafts, preview, publish, version, clone; priorities."""

import uuid
from types import SimpleNamespace

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.scope import role_required
from app.models import AUDIENCES
from app.services import NotFound, ServiceError
from app.surveys import authoring, bp, interchange
from app.surveys.authoring_forms import (
    ActionForm, CloneForm, DetailsForm, ImportForm, InstrumentForm, PriorityForm, PublishForm,
    QuestionForm, TYPE_LABELS,
)
from app.security import framed_by_this_site
from app.surveys.forms import respondent_form_class, sections_of, validate_questionnaire

READERS = ("trust_admin", "cio", "head")
AUTHORS = ("trust_admin",)


def _instrument_or_404(instrument_id):
    try:
        return authoring.get_instrument(instrument_id)
    except NotFound:
        abort(404)


def _question_or_404(instrument, question_key):
    try:
        return authoring.get_question(instrument, question_key)
    except NotFound:
        abort(404)


def _draft_only(instrument):
    """A page for changing a published version sends people back, saying how to change it."""
    if request.method == "GET" and not instrument.is_editable:
        flash(f"{instrument.label} is {instrument.status} and cannot be changed. "
              "Make a new version to change it.", "error")
        return redirect(url_for("surveys.show_instrument", instrument_id=instrument.id))
    return None


def _refused(form, error):
    """Put a service's refusal on the form field it is about, or flash it."""
    for problem in getattr(error, "problems", [error]):
        field = getattr(problem, "field", None)
        if form is not None and field and field in form._fields:
            form[field].errors = list(form[field].errors) + [str(problem)]
        else:
            flash(str(problem), "error")


@bp.route("/instruments")
@role_required(*READERS)
def list_instruments():
    return render_template(
        "instruments/list.html", groups=authoring.library(), audiences=AUDIENCES,
    )


@bp.route("/instruments/<int:instrument_id>")
@role_required(*READERS)
def show_instrument(instrument_id):
    instrument = _instrument_or_404(instrument_id)
    return render_template(
        "instruments/show.html", instrument=instrument, audiences=AUDIENCES,
        priorities=authoring.priority_names(), builtin=authoring.is_builtin(instrument),
        versions=authoring.versions_of(instrument), changed=authoring.changed_wordings(instrument),
        types=TYPE_LABELS, languages=authoring.LANGUAGES, rtl=authoring.RIGHT_TO_LEFT,
        action=ActionForm(), problems=authoring.check_instrument(instrument) if instrument.is_editable else [],
    )


@bp.route("/instruments/new", methods=["GET", "POST"])
@role_required(*AUTHORS)
def new_instrument():
    form = InstrumentForm()
    if form.validate_on_submit():
        try:
            instrument = authoring.create_instrument(
                current_user, form.key.data, form.name.data, form.audience.data,
                form.description.data, form.attribution.data,
            )
        except ServiceError as error:
            _refused(form, error)
        else:
            flash("Draft created. Add its questions.", "success")
            return redirect(url_for("surveys.show_instrument", instrument_id=instrument.id))
    return render_template("instruments/new.html", form=form)


@bp.route("/instruments/<int:instrument_id>/details", methods=["GET", "POST"])
@role_required(*AUTHORS)
def edit_instrument(instrument_id):
    instrument = _instrument_or_404(instrument_id)
    if (back := _draft_only(instrument)) is not None:
        return back
    form = DetailsForm(obj=instrument)
    if form.validate_on_submit():
        try:
            authoring.update_details(
                current_user, instrument, form.name.data, form.audience.data,
                form.description.data, form.attribution.data, form.change_note.data,
            )
        except ServiceError as error:
            _refused(form, error)
        else:
            flash("Details saved.", "success")
            return redirect(url_for("surveys.show_instrument", instrument_id=instrument.id))
    return render_template("instruments/details.html", form=form, instrument=instrument)


def _question_form(instrument, question=None):
    form = QuestionForm()
    form.priority_key.choices = [("", "No priority (context question)")] + [
        (p.key, p.name) for p in authoring.trust_priorities()
    ]
    earlier = [
        q for q in instrument.questions
        if q.type != "text" and (question is None or q.position < question.position)
    ]
    form.condition_question.choices = [("", "Always show this question")] + [
        (q.key, f"{q.key}: {q.text[:80]}") for q in earlier
    ]
    if request.method == "GET" and question is not None:
        form.fill_from(question)
    return form


@bp.route("/instruments/<int:instrument_id>/questions/new", methods=["GET", "POST"])
@role_required(*AUTHORS)
def new_question(instrument_id):
    instrument = _instrument_or_404(instrument_id)
    if (back := _draft_only(instrument)) is not None:
        return back
    form = _question_form(instrument)
    if request.method == "GET":
        form.type.data = "agree5"
        form.section.data = instrument.questions[-1].section if instrument.questions else None
    return _question_page(instrument, form, None, "added", lambda data: authoring.add_question(
        current_user, instrument, data))


@bp.route("/instruments/<int:instrument_id>/questions/<question_key>", methods=["GET", "POST"])
@role_required(*AUTHORS)
def edit_question(instrument_id, question_key):
    instrument = _instrument_or_404(instrument_id)
    if (back := _draft_only(instrument)) is not None:
        return back
    question = _question_or_404(instrument, question_key)
    form = _question_form(instrument, question)
    return _question_page(instrument, form, question, "saved", lambda data: authoring.update_question(
        current_user, instrument, question_key, data))


def _question_page(instrument, form, question, done, save):
    """Save a valid question form with `save(data)`, or show the form with what went wrong."""
    if form.validate_on_submit():
        try:
            save(form.data_for_service())
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(f"Question ‘{form.key.data}’ {done}.", "success")
            return redirect(url_for("surveys.show_instrument", instrument_id=instrument.id) + "#questions")
    return render_template("instruments/question.html", form=form, instrument=instrument, question=question,
                           languages=authoring.LANGUAGES)


@bp.route("/instruments/<int:instrument_id>/questions/<question_key>/move/<direction>", methods=["POST"])
@role_required(*AUTHORS)
def move_question(instrument_id, question_key, direction):
    instrument = _instrument_or_404(instrument_id)
    if ActionForm().validate_on_submit():
        try:
            authoring.move_question(current_user, instrument, question_key, direction)
        except NotFound:
            abort(404)
        except ServiceError as error:
            flash(str(error), "error")
    return redirect(url_for("surveys.show_instrument", instrument_id=instrument.id) + f"#question-{question_key}")


@bp.route("/instruments/<int:instrument_id>/questions/<question_key>/delete", methods=["GET", "POST"])
@role_required(*AUTHORS)
def delete_question(instrument_id, question_key):
    instrument = _instrument_or_404(instrument_id)
    if (back := _draft_only(instrument)) is not None:
        return back
    question = _question_or_404(instrument, question_key)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            authoring.delete_question(current_user, instrument, question_key)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(f"Question ‘{question_key}’ deleted.", "success")
        return redirect(url_for("surveys.show_instrument", instrument_id=instrument.id) + "#questions")
    return render_template("instruments/delete_question.html", form=form, instrument=instrument,
                           question=question)


@bp.route("/instruments/<int:instrument_id>/preview", methods=["GET", "POST"])
@role_required(*READERS)
@framed_by_this_site
def preview_instrument(instrument_id):
    """The respondent's page for this instrument; answers are checked but never stored."""
    instrument = _instrument_or_404(instrument_id)
    form = respondent_form_class(instrument)()
    if request.method == "GET":
        form.submission_key.data = uuid.uuid4().hex
    elif validate_questionnaire(form, instrument):
        flash("These answers would be accepted. This is a preview, so nothing was saved.", "success")
    trust = authoring.current_trust()
    return render_template(
        "instruments/preview.html", form=form, instrument=instrument, session_expired=False,
        sections=sections_of(instrument), pupil=instrument.audience.startswith("pupil"),
        paged=len(instrument.questions) > 30, autosave_url=None,
        survey=SimpleNamespace(title=instrument.name),
        link=SimpleNamespace(school=SimpleNamespace(name="Preview", trust=trust)),
    )


@bp.route("/instruments/<int:instrument_id>/preview/phone")
@role_required(*READERS)
def preview_instrument_on_phone(instrument_id):
    """The preview in a phone-sized frame, for authors working on a computer."""
    instrument = _instrument_or_404(instrument_id)
    return render_template("instruments/preview_phone.html", instrument=instrument)


@bp.route("/instruments/<int:instrument_id>/publish", methods=["GET", "POST"])
@role_required(*AUTHORS)
def publish_instrument(instrument_id):
    instrument = _instrument_or_404(instrument_id)
    if instrument.status != "draft":
        flash(f"{instrument.label} is already {instrument.status}.", "info")
        return redirect(url_for("surveys.show_instrument", instrument_id=instrument.id))
    form = PublishForm(change_note=instrument.change_note)
    if form.validate_on_submit():
        try:
            authoring.publish(current_user, instrument, form.change_note.data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(f"{instrument.label} is published. It can now be used in surveys and cannot be changed.",
                  "success")
            return redirect(url_for("surveys.show_instrument", instrument_id=instrument.id))
    return render_template(
        "instruments/publish.html", form=form, instrument=instrument,
        changed=authoring.changed_wordings(instrument), problems=authoring.check_instrument(instrument),
    )


@bp.route("/instruments/<int:instrument_id>/new-version", methods=["POST"])
@role_required(*AUTHORS)
def new_instrument_version(instrument_id):
    instrument = _instrument_or_404(instrument_id)
    if not ActionForm().validate_on_submit():
        flash("Your session had expired, so nothing was changed. Please try again.", "error")
        return redirect(url_for("surveys.show_instrument", instrument_id=instrument.id))
    try:
        draft = authoring.new_version(current_user, instrument)
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("surveys.show_instrument", instrument_id=instrument.id))
    flash(f"This is a draft of version {draft.version}. Question keys stay the same, so results join "
          "across versions.", "success")
    return redirect(url_for("surveys.show_instrument", instrument_id=draft.id))


@bp.route("/instruments/<int:instrument_id>/retire", methods=["POST"])
@role_required(*AUTHORS)
def retire_instrument(instrument_id):
    instrument = _instrument_or_404(instrument_id)
    if ActionForm().validate_on_submit():
        try:
            authoring.retire(current_user, instrument)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(f"{instrument.label} is retired: it is kept with its results but not offered for new surveys.",
                  "success")
    return redirect(url_for("surveys.show_instrument", instrument_id=instrument.id))


@bp.route("/instruments/<int:instrument_id>/clone", methods=["GET", "POST"])
@role_required(*AUTHORS)
def clone_instrument(instrument_id):
    instrument = _instrument_or_404(instrument_id)
    form = CloneForm()
    if request.method == "GET":
        form.name.data = f"{instrument.name} (copy)"
        form.key.data = f"{instrument.key}_copy"[:60]
    if form.validate_on_submit():
        try:
            copied = authoring.clone(current_user, instrument, form.key.data, form.name.data)
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(f"Copied {instrument.label} with all its settings and questions as a new draft.", "success")
            return redirect(url_for("surveys.show_instrument", instrument_id=copied.id))
    return render_template("instruments/clone.html", form=form, instrument=instrument)


@bp.route("/instruments/<int:instrument_id>/export.<any(json, xlsx):file_format>")
@role_required(*READERS)
def export_instrument(instrument_id, file_format):
    instrument = _instrument_or_404(instrument_id)
    filename, media_type, data = interchange.export_instrument(current_user, instrument, file_format)
    return Response(data, mimetype=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/instruments/import", methods=["GET", "POST"])
@role_required(*AUTHORS)
def import_instrument():
    form = ImportForm()
    problems = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            instrument, replaced = interchange.import_instrument(
                current_user, upload.filename, upload.read(interchange.MAX_FILE + 1),
                form.on_clash.data, (form.key.data or "").strip() or None,
            )
        except interchange.ImportProblems as error:
            problems = error.problems
        except ServiceError as error:
            flash(str(error), "error")
        else:
            done = "replaced the draft" if replaced else "made a draft"
            flash(f"Imported {len(instrument.questions)} questions: {done} of {instrument.label}. "
                  "Check it, then publish it.", "success")
            return redirect(url_for("surveys.show_instrument", instrument_id=instrument.id))
    return render_template("instruments/import.html", form=form, problems=problems)


# Priorities

@bp.route("/priorities", methods=["GET", "POST"])
@role_required(*READERS)
def list_priorities():
    form = PriorityForm()
    if form.validate_on_submit():
        if not current_user.has_role(*AUTHORS):
            abort(404)
        try:
            authoring.add_priority(current_user, form.name.data)
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(f"Priority ‘{form.name.data.strip()}’ added.", "success")
            return redirect(url_for("surveys.list_priorities"))
    return render_template(
        "instruments/priorities.html", form=form, priorities=authoring.trust_priorities(),
        action=ActionForm(),
    )


@bp.route("/priorities/<priority_key>", methods=["GET", "POST"])
@role_required(*AUTHORS)
def edit_priority(priority_key):
    try:
        priority = authoring.get_priority(priority_key)
    except NotFound:
        abort(404)
    form = PriorityForm(obj=priority)
    if form.validate_on_submit():
        try:
            authoring.rename_priority(current_user, priority_key, form.name.data)
        except ServiceError as error:
            _refused(form, error)
        else:
            flash("Priority renamed. Its results keep joining because its key stays the same.", "success")
            return redirect(url_for("surveys.list_priorities"))
    return render_template("instruments/priority.html", form=form, priority=priority)


@bp.route("/priorities/<priority_key>/move/<direction>", methods=["POST"])
@role_required(*AUTHORS)
def move_priority(priority_key, direction):
    if ActionForm().validate_on_submit():
        try:
            authoring.move_priority(current_user, priority_key, direction)
        except NotFound:
            abort(404)
    return redirect(url_for("surveys.list_priorities"))
