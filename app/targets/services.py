"""SMART targets: validate and save them, and judge progress from the latest shown result."""

from datetime import date, timedelta

import sqlalchemy as sa

from app import clock
from app.categorisation import evidence  # a module import: evidence -> reports -> here is a cycle
from app.extensions import db, get_by_id
from app.models import Instrument, Priority, Question, SmartTarget
from app.models.audit import record
from app.models.targets import TARGET_STATUSES
from app.services import NotFound, ServiceError, commit

OWNER_MAX = 200
LONGEST_TARGET_YEARS = 5


class TargetInvalid(ServiceError):
    """Fields were wrong; ``errors`` maps each field name to its message."""

    def __init__(self, errors):
        super().__init__("Check the target.")
        self.errors = errors


def choices(trust_id):
    """Indicators a target may use: % positive for a priority or a question, per audience."""
    return [(key, label) for key, label in evidence.indicator_choices(trust_id) if not key.startswith("measure:")]


def targets_of(school):
    return db.session.scalars(
        sa.select(SmartTarget).where(SmartTarget.school_id == school.id)
        .order_by(SmartTarget.target_on, SmartTarget.id)).all()


def target_or_404(school, target_id):
    target = get_by_id(SmartTarget, target_id)
    if target is None or target.school_id != school.id:
        raise NotFound("That target does not exist.")
    return target


def latest(school, indicator, today=None):
    """The latest result for one indicator at this school (suppression kept), or None."""
    today = today or clock.today()
    return evidence.gather(school.trust, [school], [indicator], today)[school.id].get(indicator)


def save_target(user, school, form, target=None):
    """Validate and save a new target (or changes to ``target``); raise TargetInvalid listing problems.

    A blank baseline is taken from the latest shown result; when there is none (no survey yet, or
    too few answers to show) the person must enter one.
    """
    errors = {}
    today = clock.today()
    keys = dict(choices(school.trust_id))
    indicator = (form.get("indicator") or "").strip()
    if indicator not in keys:
        errors["indicator"] = "Choose an indicator from the list."
    target_value = _percent(form.get("target_value"), "target_value", "the target", errors)
    baseline = _percent(form.get("baseline"), "baseline", "the baseline", errors, optional=True)
    target_on = _date(form, "target_on", errors)
    if target_on and "target_on" not in errors:
        if target is None and target_on <= today:
            errors["target_on"] = "The target date must be in the future."
        elif target_on > today + timedelta(days=366 * LONGEST_TARGET_YEARS):
            errors["target_on"] = f"The target date must be within {LONGEST_TARGET_YEARS} years."
    owner = " ".join((form.get("owner") or "").split())
    if not owner or len(owner) > OWNER_MAX:
        errors["owner"] = f"Enter who owns the target, in {OWNER_MAX} characters or fewer."
    baseline_as_of, baseline_source = None, "Entered by hand"
    if "indicator" not in errors and baseline is None and "baseline" not in errors:
        item = latest(school, indicator, today)
        if item is None or item["withheld"] or item["value"] is None:
            errors["baseline"] = ("There is no result to show for this indicator yet (no survey, or too few "
                                  "answers), so enter the baseline yourself.")
        else:
            baseline = round(item["value"], 1)
            baseline_as_of, baseline_source = date.fromisoformat(item["as_of"]), item["source"][:200]
    elif target is not None and baseline is not None and target.indicator == indicator \
            and baseline == target.baseline:
        baseline_as_of, baseline_source = target.baseline_as_of, target.baseline_source  # unchanged
    if baseline is not None and target_value is not None and baseline == target_value:
        errors["target_value"] = "The target must differ from the baseline."
    if errors:
        raise TargetInvalid(errors)
    priority_key = priority_of(indicator)
    if target is None:
        target = SmartTarget(school_id=school.id, created_by_id=user.id)
        db.session.add(target)
    target.indicator, target.priority_key = indicator, priority_key
    target.baseline, target.baseline_as_of, target.baseline_source = baseline, baseline_as_of, baseline_source
    target.target_value, target.target_on, target.owner = target_value, target_on, owner
    db.session.flush()
    record("target_saved", user=user, school=school, target=target.id, indicator=indicator,
           baseline=baseline, target_value=target_value, target_on=target_on.isoformat())
    commit()
    return target


def delete_target(user, target):
    record("target_deleted", user=user, school=target.school, target=target.id, indicator=target.indicator)
    db.session.delete(target)
    commit()


def priority_of(indicator):
    kind, _, rest = indicator.partition(":")
    audience, _, key = rest.partition(":")
    if kind == "priority":
        return key
    return db.session.scalar(
        sa.select(Question.priority_key).join(Instrument)
        .where(Instrument.key == audience, Question.key == key, Question.priority_key.is_not(None))
        .order_by(Instrument.version.desc()).limit(1)) or ""


def _percent(raw, name, words, errors, optional=False):
    raw = (raw or "").strip().rstrip("%").strip()
    if not raw:
        if not optional:
            errors[name] = f"Enter {words} as a percentage."
        return None
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or value != value or not 0 <= value <= 100:
        errors[name] = f"Enter {words} as a percentage from 0 to 100."
        return None
    return round(value, 1)


def _date(form, name, errors):
    try:
        return date.fromisoformat((form.get(name) or "").strip())
    except ValueError:
        errors[name] = "Enter the target date as a real date."
        return None


def progress(target, item, today):
    """How a target stands against its latest result.

    Met when the latest result reaches the target. Otherwise on track when it is at least where a
    straight line from the baseline (at its date) to the target (at the target date) would be at
    the date of the latest result, and behind when not or when the target date has passed. A
    result withheld for a small group, or no result, is insufficient evidence: never guessed.
    """
    if item is None or item["withheld"] or item["value"] is None:
        return {"status": "insufficient", "label": TARGET_STATUSES["insufficient"], "result": item}
    value = item["value"]
    rising = target.rising
    if (value >= target.target_value) if rising else (value <= target.target_value):
        status = "met"
    elif today > target.target_on:
        status = "behind"
    else:
        start = target.baseline_as_of or target.created_at.date()
        as_of = date.fromisoformat(item["as_of"])
        span = max((target.target_on - start).days, 1)
        share = min(max((as_of - start).days / span, 0), 1)
        expected = target.baseline + (target.target_value - target.baseline) * share
        status = "on_track" if ((value >= expected) if rising else (value <= expected)) else "behind"
    return {"status": status, "label": TARGET_STATUSES[status], "result": item}


def progress_for(school, today=None):
    """[{target, label (plain words for its indicator), priority (name), progress}] for one school."""
    today = today or clock.today()
    targets = targets_of(school)
    if not targets:
        return []
    found = evidence.gather(school.trust, [school], sorted({t.indicator for t in targets}), today)[school.id]
    names = dict(db.session.execute(
        sa.select(Priority.key, Priority.name).where(Priority.trust_id == school.trust_id)).all())
    return [{"target": t, "label": evidence.indicator_label(t.indicator, school.trust_id),
             "priority": names.get(t.priority_key, t.priority_key),
             "progress": progress(t, found.get(t.indicator), today)} for t in targets]
