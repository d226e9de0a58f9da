"""Categorisation pages: the trust grid, a school's evidence and decisions, data, rules, reviews."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import clock
from app.auth.scope import role_required, school_or_404, visible_schools
from app.categorisation import bp, services
from app.categorisation.evidence import indicator_choices
from app.models.categorisation import CATEGORIES, MEASURES
from app.services import NotFound, ServiceError

EDITORS = ("cio", "trust_admin")
READERS = EDITORS + ("head", "governor")


def _trust():
    schools = visible_schools(current_user, *EDITORS)
    if not schools:
        abort(404)
    return schools[0].trust


@bp.route("/")
@role_required(*READERS)
def trust_grid():
    if not current_user.has_role(*EDITORS):
        schools = visible_schools(current_user, *READERS)
        if not schools:
            abort(404)
        return redirect(url_for("categorisation.show_school", school_id=schools[0].id))
    trust = _trust()
    hub_id = request.args.get("hub_id", type=int)
    schools = [s for s in trust.schools if hub_id is None or s.hub_id == hub_id]
    if hub_id is not None and not schools:
        abort(404)
    latest = services.reviews(trust.id)
    return render_template(
        "categorisation/grid.html", trust=trust, schools=schools, hub_id=hub_id,
        areas=services.areas(trust.id), assessed=services.assess(trust, schools),
        last_review=latest[0] if latest else None, movement=services.movement_since,
    )


@bp.route("/schools/<int:school_id>")
@role_required(*READERS)
def show_school(school_id):
    school = school_or_404(current_user, school_id, *READERS)
    latest = services.reviews(school.trust_id)
    return render_template(
        "categorisation/school.html", school=school, areas=services.areas(school.trust_id),
        assessed=services.assess(school.trust, [school])[school.id],
        history=services.decision_history(school), measures=services.measures_of(school),
        can_edit=current_user.has_role(*EDITORS), last_review=latest[0] if latest else None,
        movement=services.movement_since,
    )


@bp.route("/schools/<int:school_id>/decide/<area_key>", methods=["GET", "POST"])
@role_required(*EDITORS)
def decide(school_id, area_key):
    school = school_or_404(current_user, school_id, *EDITORS)
    the_areas = {a.key: a for a in services.areas(school.trust_id)}
    if area_key != "overall" and area_key not in the_areas:
        abort(404)
    assessed = services.assess(school.trust, [school])[school.id]
    part = assessed["overall"] if area_key == "overall" else assessed["areas"][area_key]
    errors = {}
    if request.method == "POST":
        try:
            services.decide(current_user, school, area_key, request.form.get("category"),
                            request.form.get("rationale"))
        except ServiceError as error:
            errors["category" if "Choose" in str(error) else "rationale"] = str(error)
        else:
            flash("Decision recorded.", "success")
            return redirect(url_for("categorisation.show_school", school_id=school.id))
    return render_template(
        "categorisation/decide.html", school=school, area_key=area_key,
        area_name="Overall" if area_key == "overall" else the_areas[area_key].name, part=part,
        assessed=assessed, areas=the_areas.values(), errors=errors, form=request.form,
    )


@bp.route("/data", methods=["GET", "POST"])
@role_required(*EDITORS)
def school_data():
    trust = _trust()
    errors, problems = {}, []
    if request.method == "POST":
        school = next((s for s in trust.schools if str(s.id) == request.form.get("school_id")), None)
        try:
            if school is None:
                raise ServiceError("Choose a school.")
            services.add_measure(current_user, school, request.form.get("measure", ""),
                                 request.form.get("value", ""), request.form.get("as_of", ""),
                                 request.form.get("source", ""))
        except ServiceError as error:
            errors["add"] = str(error)
        else:
            flash(f"Saved for {school.name}.", "success")
            return redirect(url_for("categorisation.school_data"))
    return render_template("categorisation/data.html", trust=trust, measures=MEASURES, errors=errors,
                           problems=problems, form=request.form, today=clock.today())


@bp.route("/data/import", methods=["POST"])
@role_required(*EDITORS)
def import_data():
    trust = _trust()
    upload = request.files.get("file")
    errors, problems = {}, []
    if upload is None or not upload.filename:
        errors["import"] = "Choose a CSV file to import."
    else:
        try:
            count = services.import_measures(current_user, trust, upload.read(services.MAX_IMPORT_BYTES + 1))
        except services.ImportRefused as error:
            errors["import"], problems = str(error), error.problems
        except ServiceError as error:
            errors["import"] = str(error)
        else:
            flash(f"Imported {count} value(s).", "success")
            return redirect(url_for("categorisation.school_data"))
    return render_template("categorisation/data.html", trust=trust, measures=MEASURES, errors=errors,
                           problems=problems, form={}, today=clock.today()), 400


@bp.route("/rules", methods=["GET", "POST"])
@role_required(*EDITORS)
def edit_rules():
    trust = _trust()
    current = services.current_rules(trust.id)
    rules, error = (current.rules if current else []), None
    if request.method == "POST":
        rules = _rules_from_form(request.form)
        try:
            rule_set = services.save_rules(current_user, trust, rules, request.form.get("note"))
        except ServiceError as failure:
            error = str(failure)
        else:
            flash(f"Saved as version {rule_set.version}. Earlier decisions keep the version they used.", "success")
            return redirect(url_for("categorisation.edit_rules"))
    return render_template(
        "categorisation/rules.html", rules=rules, current=current, error=error,
        versions=services.rule_versions(trust.id), areas=services.areas(trust.id),
        indicators=indicator_choices(trust.id), note=request.form.get("note", ""),
    ), 400 if error else 200


def _rules_from_form(form):
    """Rows named rule-<n>-field; a row with "remove" ticked or no indicator is left out."""
    rules = []
    numbers = sorted({int(k.split("-")[1]) for k in form if k.startswith("rule-") and k.split("-")[1].isdigit()})
    for n in numbers:
        get = lambda field: form.get(f"rule-{n}-{field}", "").strip()  # noqa: E731
        if get("remove") or not get("indicator"):
            continue
        rules.append({"area": get("area"), "indicator": get("indicator"),
                      "higher_is_better": get("direction") != "lower",
                      "thresholds": {c: get(c) for c in ("stabilise", "repair", "improve")}})
    return rules


@bp.route("/areas", methods=["GET", "POST"])
@role_required(*EDITORS)
def edit_areas():
    trust = _trust()
    error = None
    if request.method == "POST":
        try:
            services.save_area(current_user, trust.id, request.form.get("name"),
                               request.form.get("area_id", type=int))
        except ServiceError as failure:
            error = str(failure)
        else:
            flash("Area saved.", "success")
            return redirect(url_for("categorisation.edit_areas"))
    return render_template("categorisation/areas.html", areas=services.areas(trust.id), error=error,
                           form=request.form), 400 if error else 200


@bp.route("/reviews", methods=["GET", "POST"])
@role_required(*EDITORS)
def list_reviews():
    trust = _trust()
    error = None
    if request.method == "POST":
        try:
            review = services.take_review(current_user, trust, request.form.get("name"))
        except ServiceError as failure:
            error = str(failure)
        else:
            flash("Review taken: every school's evidence and categories are frozen as they are now.", "success")
            return redirect(url_for("categorisation.show_review", review_id=review.id))
    return render_template("categorisation/reviews.html", reviews=services.reviews(trust.id),
                           error=error, form=request.form), 400 if error else 200


@bp.route("/reviews/<int:review_id>")
@role_required(*EDITORS)
def show_review(review_id):
    trust = _trust()
    review = _review_or_404(trust, review_id)
    return render_template("categorisation/review.html", review=review, category_in=services.category_in)


@bp.route("/reviews/compare")
@role_required(*EDITORS)
def compare_reviews():
    trust = _trust()
    first = _review_or_404(trust, request.args.get("first", type=int))
    second = _review_or_404(trust, request.args.get("second", type=int))
    return render_template("categorisation/compare.html", first=first, second=second,
                           rows=services.compare(first, second), reviews=services.reviews(trust.id))


def _review_or_404(trust, review_id):
    try:
        return services.review_or_404(trust.id, review_id)
    except NotFound:
        abort(404)


@bp.record_once
def category_words(state):
    # A global, not a context processor, so imported macros can read it too.
    state.app.jinja_env.globals["CATEGORIES"] = CATEGORIES
