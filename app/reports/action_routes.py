"""Pages for a school's action plan: list, add and change actions."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from app import clock
from app.auth.scope import role_required, school_or_404
from app.reports import bp
from app.reports.actions import action_of, save_action
from app.reports.action_forms import ActionForm
from app.reports.packs import actions_of
from app.reports.services import priorities, surveys_of_schools
from app.services import NotFound, ServiceError

ACTION_ROLES = ("trust_admin", "head")


@bp.route("/schools/<int:school_id>/actions")
@role_required(*ACTION_ROLES, "cio", "governor", "wellbeing")
def list_actions(school_id):
    school = school_or_404(current_user, school_id, *ACTION_ROLES, "cio", "governor", "wellbeing")
    return render_template(
        "actions/list.html", school=school, actions=actions_of(school), today=clock.today(),
        priority_names={p.key: p.name for p in priorities(school.trust_id)},
        can_edit=current_user.has_role(*ACTION_ROLES) and school.id in (
            current_user.school_ids(*ACTION_ROLES) or {school.id}),
    )


@bp.route("/schools/<int:school_id>/actions/new", methods=["GET", "POST"])
@bp.route("/schools/<int:school_id>/actions/<int:action_id>", methods=["GET", "POST"])
@role_required(*ACTION_ROLES)
def edit_action(school_id, action_id=None, session_expired=False):
    school = school_or_404(current_user, school_id, *ACTION_ROLES)
    try:
        action = action_of(school, action_id) if action_id else None
    except NotFound:
        abort(404)
    form = ActionForm(obj=action)
    form.priority_key.choices = [(p.key, p.name) for p in priorities(school.trust_id)]
    form.question_key.choices = [("", "None")] + _indicator_choices(school)
    if session_expired:
        form.title.errors = ["This page had expired, so nothing was saved. What you typed is "
                             "below: press the button again to save it."]
    elif form.validate_on_submit():
        try:
            save_action(current_user, school, form.data, action)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash("The action plan is saved.", "success")
            return redirect(url_for("reports.list_actions", school_id=school.id))
    status = 400 if form.errors else 200
    return render_template("actions/form.html", school=school, form=form, action=action), status


def _indicator_choices(school):
    """Scored questions of the school's surveys, by stable key, to link an action to."""
    seen = {}
    for survey in surveys_of_schools([school.id]):
        for question in survey.instrument.questions:
            if question.type != "text" and question.priority_key and question.key not in seen:
                seen[question.key] = f"{question.text} ({survey.instrument.name})"
    return sorted(seen.items(), key=lambda item: item[1])
