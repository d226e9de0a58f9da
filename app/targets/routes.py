"""SMART target pages: a school's targets with progress, adding and changing them."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import clock
from app.auth.scope import role_required, school_or_404, signed_in
from app.services import NotFound
from app.targets import bp, services

EDITORS = ("head", "cio", "trust_admin")  # a head for their own school; the trust's roles for any


@bp.route("/schools/<int:school_id>/targets")
@signed_in
def list_targets(school_id):
    school = school_or_404(current_user, school_id)
    return render_template("targets/list.html", school=school, rows=services.progress_for(school),
                           can_edit=_can_edit(school), today=clock.today())


@bp.route("/schools/<int:school_id>/targets/new", methods=["GET", "POST"])
@role_required(*EDITORS)
def new_target(school_id):
    school = school_or_404(current_user, school_id, *EDITORS)
    return _form(school, None)


@bp.route("/schools/<int:school_id>/targets/<int:target_id>/edit", methods=["GET", "POST"])
@role_required(*EDITORS)
def edit_target(school_id, target_id):
    school, target = _target_or_404(school_id, target_id)
    return _form(school, target)


@bp.route("/schools/<int:school_id>/targets/<int:target_id>/delete", methods=["POST"])
@role_required(*EDITORS)
def delete_target(school_id, target_id):
    school, target = _target_or_404(school_id, target_id)
    services.delete_target(current_user, target)
    flash("Target removed.", "success")
    return redirect(url_for("targets.list_targets", school_id=school.id))


def _form(school, target):
    errors = {}
    if request.method == "POST":
        try:
            saved = services.save_target(current_user, school, request.form, target)
        except services.TargetInvalid as failure:
            errors = failure.errors
        else:
            flash(f"Target saved: {saved.target_value:g}% by {saved.target_on:%-d %B %Y}.", "success")
            return redirect(url_for("targets.list_targets", school_id=school.id))
    return render_template(
        "targets/form.html", school=school, target=target, errors=errors,
        form=request.form if request.method == "POST" else None,
        choices=services.choices(school.trust_id), today=clock.today(),
    ), 400 if errors else 200


def _target_or_404(school_id, target_id):
    """(school, target) for an editor of this school; anything else is a 404."""
    school = school_or_404(current_user, school_id, *EDITORS)
    try:
        return school, services.target_or_404(school, target_id)
    except NotFound:
        abort(404)


def _can_edit(school):
    ids = current_user.school_ids(*EDITORS) if current_user.has_role(*EDITORS) else set()
    return ids is None or school.id in ids
