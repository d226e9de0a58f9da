"""Pages: the DSL's safeguarding queue, a school's comments, and the trust's word lists."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import clock
from app.auth.scope import role_required, school_or_404, visible_schools
from app.comments import bp, services
from app.comments.forms import HandleFlagForm, WordListForm
from app.extensions import db
from app.models import Priority
from app.reports.services import priorities, surveys_of_schools
from app.services import Conflict, NotFound, ServiceError

COMMENT_ROLES = ("trust_admin", "cio", "head", "wellbeing", "governor")
EXPIRED = ("This page had expired, so nothing was saved. What you typed is below: press the "
           "button again to save it.")


@bp.route("/safeguarding")
@role_required("dsl")
def dsl_queue():
    return render_template("comments/queue.html", flags=services.dsl_queue(current_user))


@bp.route("/safeguarding/<int:flag_id>", methods=["GET", "POST"])
@role_required("dsl")
def handle_flag(flag_id, session_expired=False):
    try:
        flag = services.flag_for_dsl(current_user, flag_id)
    except NotFound:
        abort(404)
    form = HandleFlagForm()
    if request.method == "GET":
        return render_template("comments/flag.html", flag=flag, form=form)
    # What the DSL typed is shown again on every refusal: a safeguarding note is never lost.
    typed = request.form.get("action_taken") or ""
    if not flag.is_open:
        return _already_handled(flag, form, typed)
    if session_expired:
        form.action_taken.errors = [EXPIRED]
    elif form.validate_on_submit():
        try:
            services.handle_flag(current_user, flag.id, form.action_taken.data, form.release.data)
        except Conflict:
            db.session.rollback()
            return _already_handled(services.flag_for_dsl(current_user, flag.id), form, typed)
        except ServiceError as error:
            form.action_taken.errors = [str(error)]
        else:
            flash("Recorded. The comment has left your waiting list.", "success")
            return redirect(url_for("comments.dsl_queue"))
    return render_template("comments/flag.html", flag=flag, form=form), 400


def _already_handled(flag, form, typed):
    """Someone (perhaps this DSL in another tab) handled the flag first: say so, keep the note."""
    return render_template("comments/flag.html", flag=flag, form=form, typed=typed.strip()), 409


@bp.route("/schools/<int:school_id>/comments")
@role_required(*COMMENT_ROLES)
def school_comments(school_id):
    school = school_or_404(current_user, school_id, *COMMENT_ROLES)
    surveys = surveys_of_schools([school.id])
    # By default the newest closed survey: an open one has few comments yet.
    closed = [s for s in surveys if s.closes_on < clock.today()] or surveys
    survey_id = request.args.get("survey_id", type=int) or (closed[0].id if closed else None)
    try:
        survey = services.survey_for_school(school, survey_id)
    except NotFound:
        abort(404)
    comments = services.comments_for(school, survey)
    trust_priorities = priorities(school.trust_id)
    return render_template(
        "comments/school.html", school=school, survey=survey, surveys=surveys,
        comments=comments, themes=services.comment_themes(comments, trust_priorities),
        priority_names={p.key: p.name for p in trust_priorities},
        threshold=school.trust.threshold(survey.instrument.audience),
    )


@bp.route("/word-lists")
@role_required("trust_admin")
def word_lists():
    trust = _own_trust()
    return render_template(
        "comments/word_lists.html", trust=trust,
        safeguarding=services.safeguarding_words(trust.id),
        topics=services.topic_rules(trust.id), priorities=priorities(trust.id),
        schools=trust.schools, names={s.id: services.names_for(s) for s in trust.schools},
    )


@bp.route("/word-lists/<kind>", methods=["GET", "POST"])
@role_required("trust_admin")
def edit_word_list(kind, session_expired=False):
    trust = _own_trust()
    school, priority, current = None, None, None
    if kind == "safeguarding":
        title, current = "Safeguarding words", services.safeguarding_words(trust.id)
    elif kind == "names":
        school_id = request.args.get("school_id", type=int)
        school = school_or_404(current_user, school_id, "trust_admin")
        title, current = f"Names to remove: {school.name}", services.names_for(school)
    elif kind == "topic":
        key = request.args.get("priority", "")
        priority = db.session.scalar(db.select(Priority).filter_by(trust_id=trust.id, key=key))
        if priority is None:
            abort(404)
        title, current = f"Keywords for {priority.name}", services.topic_rules(trust.id)[key]
    else:
        abort(404)
    form = WordListForm()
    if request.method == "GET":
        form.words.data = "\n".join(current)
    elif session_expired:
        form.words.errors = [EXPIRED]
    elif form.validate_on_submit():
        try:
            services.save_word_list(current_user, trust.id, kind, form.words.data, school=school,
                                    priority_key=priority.key if priority else None)
        except ServiceError as error:
            form.words.errors = [str(error)]
        else:
            flash(f"{title}: saved.", "success")
            return redirect(url_for("comments.word_lists"))
    status = 400 if form.errors else 200
    return render_template("comments/edit_word_list.html", form=form, title=title, kind=kind), status


def _own_trust():
    """The trust of the schools this admin looks after."""
    schools = visible_schools(current_user, "trust_admin")
    if not schools:
        abort(404)
    return schools[0].trust
