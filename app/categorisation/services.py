"""Categorisation services: areas, school data, rule versions, suggestions, decisions and reviews."""

import csv
import io
import math
from datetime import date

import sqlalchemy as sa

from app import clock
from app.categorisation import evidence as evidence_module
from app.categorisation.rules import category_for, check_rule, combine
from app.extensions import db, get_by_id
from app.models import School
from app.models.audit import record
from app.models.categorisation import (
    CATEGORIES, CATEGORY_RANK, DEFAULT_AREAS, MEASURES, Area, Decision, Review, RuleSet, SchoolMeasure,
)
from app.services import Conflict, NotFound, ServiceError, commit

MAX_IMPORT_BYTES = 512 * 1024
MAX_IMPORT_ROWS = 5000
IMPORT_COLUMNS = ["urn", "measure", "value", "as_of", "source"]
# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

DEFAULT_RULES = [
    ("outcomes", "measure:ks2_rwm_expected_pct", True, (45, 55, 65)),
    ("outcomes", "measure:phonics_pass_pct", True, (65, 75, 85)),
    ("outcomes", "measure:ofsted_grade", False, (4, 3, 2)),
    ("quality_of_education", "priority:parent:curriculum", True, (60, 70, 80)),
    ("quality_of_education", "priority:pupil_ks2:curriculum", True, (60, 70, 80)),
    ("quality_of_education", "priority:staff:curriculum", True, (60, 70, 80)),
    ("behaviour_attendance", "measure:attendance_pct", True, (92, 94, 96)),
    ("behaviour_attendance", "measure:persistent_absence_pct", False, (25, 18, 12)),
    ("behaviour_attendance", "question:parent:safe", True, (70, 80, 90)),
    ("behaviour_attendance", "priority:pupil_ks2:behaviour_safety", True, (60, 70, 80)),
    ("personal_development", "priority:parent:wellbeing", True, (60, 70, 80)),
    ("personal_development", "priority:pupil_ks2:wellbeing", True, (60, 70, 80)),
    ("send_disadvantaged", "priority:parent:inclusion", True, (55, 65, 75)),
    ("send_disadvantaged", "priority:staff:inclusion", True, (55, 65, 75)),
    ("leadership_governance", "priority:parent:leadership_communication", True, (55, 65, 75)),
    ("leadership_governance", "priority:staff:leadership_communication", True, (55, 65, 75)),
    ("leadership_governance", "measure:ofsted_grade", False, (4, 3, 2)),
    ("staff", "priority:staff:wellbeing", True, (50, 60, 70)),
    ("staff", "measure:staff_turnover_pct", False, (25, 18, 12)),
    ("stakeholder_voice", "question:parent:recommend", True, (70, 80, 90)),
    ("stakeholder_voice", "priority:pupil_ks2:leadership_communication", True, (55, 65, 75)),
    ("sustainability", "priority:parent:sustainability", True, (50, 60, 70)),
    ("sustainability", "priority:staff:sustainability", True, (50, 60, 70)),
]


# Areas -------------------------------------------------------------------------------------------

def areas(trust_id):
    return db.session.scalars(
        sa.select(Area).where(Area.trust_id == trust_id).order_by(Area.position, Area.id)).all()


def install_defaults(trust, user=None):
    """Give a trust the default areas and first rule version, if it has none yet."""
    if not areas(trust.id):
        for position, (key, name) in enumerate(DEFAULT_AREAS):
            db.session.add(Area(trust_id=trust.id, key=key, name=name, position=position))
    if current_rules(trust.id) is None:
        rules = [{"area": a, "indicator": i, "higher_is_better": h,
                  "thresholds": dict(zip(("stabilise", "repair", "improve"), t))}
                 for a, i, h, t in DEFAULT_RULES]
        db.session.add(RuleSet(trust_id=trust.id, version=1, rules=rules, note="Default rules",
                               created_by_id=getattr(user, "id", None)))
    db.session.flush()


def save_area(user, trust_id, name, area_id=None):
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ServiceError("Enter the area's name in 120 characters or fewer.")
    if area_id is None:
        key = "_".join(name.lower().split())[:40]
        if db.session.scalar(sa.select(Area).where(Area.trust_id == trust_id, Area.key == key)):
            raise Conflict("There is already an area with that name.")
        area = Area(trust_id=trust_id, key=key, name=name, position=len(areas(trust_id)))
        db.session.add(area)
    else:
        area = get_by_id(Area, area_id)
        if area is None or area.trust_id != trust_id:
            raise NotFound("That area does not exist.")
        area.name = name
    record("area_saved", user=user, area=area.key, name=name)
    commit("There is already an area with that name.")
    return area


# School data -------------------------------------------------------------------------------------

def parse_measure(measure, raw_value, raw_date, source, today):
    """(measure, value, as_of, source) from text, or ValueError with a plain reason."""
    if measure not in MEASURES:
        raise ValueError(f"“{measure}” is not a measure we know; use one of {', '.join(MEASURES)}")
    label, unit, low, high, whole = MEASURES[measure]
    try:
        value = float(str(raw_value).strip().rstrip("%"))
    except ValueError:
        raise ValueError(f"{label}: “{raw_value}” is not a number") from None
    if math.isnan(value) or not low <= value <= high:
        raise ValueError(f"{label} must be between {low} and {high}")
    if whole and value != int(value):
        raise ValueError(f"{label} must be a whole number")
    try:
        as_of = raw_date if isinstance(raw_date, date) else date.fromisoformat(str(raw_date).strip())
    except ValueError:
        raise ValueError(f"“{raw_date}” is not a date written as YYYY-MM-DD") from None
    if as_of > today:
        raise ValueError("The date is in the future")
    if as_of.year < 2000:
        raise ValueError("The date is before 2000")
    source = (source or "").strip()
    if not source:
        raise ValueError("Say where the value came from (the source)")
    if len(source) > 200:
        raise ValueError("The source must be 200 characters or fewer")
    if source.startswith(FORMULA_STARTS):
        raise ValueError("The source starts with a character spreadsheets run as a formula (= + - @)")
    return measure, value, as_of, source


def add_measure(user, school, measure, value, as_of, source):
    try:
        measure, value, as_of, source = parse_measure(measure, value, as_of, source, clock.today())
    except ValueError as error:
        raise ServiceError(str(error)) from None
    row = SchoolMeasure(school_id=school.id, measure=measure, value=value, as_of=as_of,
                        source=source, entered_by_id=user.id)
    db.session.add(row)
    record("school_data_added", user=user, school=school, measure=measure, value=value,
           as_of=as_of.isoformat())
    commit(f"{school.name} already has a {MEASURES[measure][0].lower()} value dated {as_of:%d %B %Y}.")
    return row


class ImportRefused(ServiceError):
    """The file was not imported; ``problems`` lists (row number, message), row 1 being the header."""

    def __init__(self, message, problems=()):
        super().__init__(message)
        self.problems = list(problems)


def import_measures(user, trust, data):
    """Import school data from CSV bytes: every row or none. Returns the number of rows added."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused(f"The file is larger than {MAX_IMPORT_BYTES // 1024} KB; split it into smaller files.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused("The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8”.") from None
    if "\x00" in text:  # binary data that happens to decode; PostgreSQL cannot store it either
        raise ImportRefused("The file is not a CSV text file. Save it from your spreadsheet as “CSV UTF-8”.")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [cell.strip().lower() for cell in next(reader, [])]
    except csv.Error:
        raise ImportRefused("The file is not a readable CSV file.") from None
    if header != IMPORT_COLUMNS:
        raise ImportRefused(f"The first row must be the column names: {','.join(IMPORT_COLUMNS)}.")
    schools = {s.urn: s for s in trust.schools}
    existing = set(db.session.execute(
        sa.select(SchoolMeasure.school_id, SchoolMeasure.measure, SchoolMeasure.as_of)
        .join(School).where(School.trust_id == trust.id)).all())
    today, rows, problems, seen = clock.today(), [], [], {}
    try:
        for number, cells in enumerate(reader, start=2):
            if number > MAX_IMPORT_ROWS + 1:
                raise ImportRefused(f"The file has more than {MAX_IMPORT_ROWS} rows; split it into smaller files.")
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(IMPORT_COLUMNS):
                problems.append((number, f"has {len(cells)} columns, not {len(IMPORT_COLUMNS)}"))
                continue
            urn, measure, value, as_of, source = (cell.strip() for cell in cells)
            school = schools.get(urn)
            if school is None:
                problems.append((number, f"URN “{urn[:20]}” is not a school in this trust"))
                continue
            try:
                measure, value, as_of, source = parse_measure(measure[:40], value[:40], as_of[:40], source, today)
            except ValueError as error:
                problems.append((number, str(error)))
                continue
            key = (school.id, measure, as_of)
            if key in seen:
                problems.append((number, f"repeats row {seen[key]} (same school, measure and date)"))
            elif key in existing:
                problems.append((number, f"{school.name} already has this measure dated {as_of.isoformat()}"))
            else:
                seen[key] = number
                rows.append(SchoolMeasure(school_id=school.id, measure=measure, value=value,
                                          as_of=as_of, source=source, entered_by_id=user.id))
    except csv.Error as error:
        raise ImportRefused(f"The file is not a readable CSV file ({error}).") from None
    if problems:
        raise ImportRefused(f"Nothing was imported: {len(problems)} row(s) need fixing.", problems)
    if not rows:
        raise ImportRefused("The file has no rows of data under the column names.")
    db.session.add_all(rows)
    record("school_data_imported", user=user, rows=len(rows))
    commit("Some of these values were saved by someone else a moment ago; import the file again.")
    return len(rows)


def measures_of(school):
    return db.session.scalars(
        sa.select(SchoolMeasure).where(SchoolMeasure.school_id == school.id)
        .order_by(SchoolMeasure.measure, SchoolMeasure.as_of.desc())).all()


# Rules -------------------------------------------------------------------------------------------

def current_rules(trust_id):
    return db.session.scalar(
        sa.select(RuleSet).where(RuleSet.trust_id == trust_id).order_by(RuleSet.version.desc()).limit(1))


def rule_versions(trust_id):
    return db.session.scalars(
        sa.select(RuleSet).where(RuleSet.trust_id == trust_id).order_by(RuleSet.version.desc())).all()


def save_rules(user, trust, rules, note):
    """Save a new version of the rules; earlier versions stay as they were."""
    area_keys = {a.key for a in areas(trust.id)}
    indicators = dict(evidence_module.indicator_choices(trust.id))
    clean = []
    for number, rule in enumerate(rules, start=1):
        if rule["area"] not in area_keys or rule["indicator"] not in indicators:
            raise ServiceError(f"Rule {number}: choose an area and an indicator from the lists.")
        try:
            thresholds = check_rule(rule)
        except ValueError as error:
            raise ServiceError(f"Rule {number} ({indicators[rule['indicator']]}): {error}") from None
        clean.append({"area": rule["area"], "indicator": rule["indicator"],
                      "higher_is_better": bool(rule["higher_is_better"]), "thresholds": thresholds})
    if not clean:
        raise ServiceError("Keep at least one rule.")
    latest = current_rules(trust.id)
    version = (latest.version if latest else 0) + 1
    rule_set = RuleSet(trust_id=trust.id, version=version, rules=clean, note=(note or "").strip()[:300],
                       created_by_id=user.id)
    db.session.add(rule_set)
    record("rules_saved", user=user, version=version, rules=len(clean))
    commit("Someone else saved the rules at the same moment; reload and try again.")
    return rule_set


# Suggestions -------------------------------------------------------------------------------------

def assess(trust, schools, today=None, rule_set=None):
    """Suggested categories with the evidence behind them, and the current decisions.

    Returns {school_id: {"areas": {area key: {"suggested", "evidence": [...], "decision"}},
    "overall": {"suggested", "decision"}}}; evidence items carry label, value, n, interval,
    withheld, the category the rule points to (None = insufficient evidence) and the thresholds.
    """
    today = today or clock.today()
    rule_set = rule_set or current_rules(trust.id)
    rules = rule_set.rules if rule_set else []
    the_areas = areas(trust.id)
    found = evidence_module.gather(trust, schools, {r["indicator"] for r in rules}, today)
    labels = {r["indicator"]: evidence_module.indicator_label(r["indicator"], trust.id) for r in rules}
    decisions = current_decisions([s.id for s in schools])
    result = {}
    for school in schools:
        mine, area_results = found[school.id], {}
        for area in the_areas:
            items = []
            for rule in (r for r in rules if r["area"] == area.key):
                item = dict(mine.get(rule["indicator"]) or {"value": None, "n": None, "ci_low": None,
                                                            "ci_high": None, "withheld": False,
                                                            "as_of": None, "source": None})
                item.update(indicator=rule["indicator"], label=labels[rule["indicator"]],
                            higher_is_better=rule["higher_is_better"], thresholds=rule["thresholds"],
                            category=category_for(item["value"], rule["higher_is_better"], rule["thresholds"]))
                items.append(item)
            area_results[area.key] = {
                "suggested": combine(i["category"] for i in items), "evidence": items,
                "decision": decisions.get((school.id, area.id)),
            }
        result[school.id] = {
            "areas": area_results,
            "overall": {"suggested": combine(a["suggested"] for a in area_results.values()),
                        "decision": decisions.get((school.id, None))},
        }
    return result


# Decisions ---------------------------------------------------------------------------------------

def current_decisions(school_ids):
    """{(school_id, area_id or None): the newest Decision}."""
    rows = db.session.scalars(
        sa.select(Decision).where(Decision.school_id.in_(school_ids))
        .order_by(Decision.decided_at, Decision.id)).all()
    return {(d.school_id, d.area_id): d for d in rows}


def decision_history(school):
    return db.session.scalars(
        sa.select(Decision).where(Decision.school_id == school.id)
        .order_by(Decision.decided_at.desc(), Decision.id.desc())).all()


def decide(user, school, area_key, category, rationale):
    """Record the CIO's category for one area (or overall when area_key is "overall").

    The suggestion is worked out again here, not taken from the form, so the record says what
    the evidence suggested at the moment of deciding. Overriding needs a written rationale.
    """
    area = None
    if area_key != "overall":
        area = db.session.scalar(sa.select(Area).where(Area.trust_id == school.trust_id, Area.key == area_key))
        if area is None:
            raise NotFound("That area does not exist.")
    if category not in CATEGORIES:
        raise ServiceError("Choose Stabilise, Repair, Improve or Sustain.")
    rationale = (rationale or "").strip()
    if len(rationale) > 5000:
        raise ServiceError("Keep the rationale to 5,000 characters or fewer.")
    assessed = assess(school.trust, [school])[school.id]
    suggested = assessed["overall"]["suggested"] if area is None else assessed["areas"][area.key]["suggested"]
    if category != suggested and not rationale:
        raise ServiceError("Write why you are choosing a category different from the suggestion.")
    rule_set = current_rules(school.trust_id)
    decision = Decision(school_id=school.id, area_id=area.id if area else None, category=category,
                        suggested=suggested, rationale=rationale, decided_by_id=user.id,
                        rule_set_id=rule_set.id if rule_set else None)
    db.session.add(decision)
    record("category_decided", user=user, school=school, area=area_key, category=category,
           suggested=suggested, override=category != suggested)
    commit()
    return decision


# Reviews -----------------------------------------------------------------------------------------

def reviews(trust_id):
    return db.session.scalars(
        sa.select(Review).where(Review.trust_id == trust_id).order_by(Review.taken_at.desc(), Review.id.desc())).all()


def review_or_404(trust_id, review_id):
    review = get_by_id(Review, review_id)
    if review is None or review.trust_id != trust_id:
        raise NotFound("That review does not exist.")
    return review


def snapshot(trust, today=None):
    """A JSON copy of every school's evidence, suggestions and decisions, for a review."""
    schools = list(trust.schools)
    assessed = assess(trust, schools, today)
    rule_set = current_rules(trust.id)

    def decision_copy(decision):
        if decision is None:
            return None
        return {"category": decision.category, "suggested": decision.suggested,
                "rationale": decision.rationale, "decided_at": decision.decided_at.isoformat(),
                "decided_by": decision.decided_by.name if decision.decided_by else None}

    return {
        "rule_set_version": rule_set.version if rule_set else None,
        "areas": [[a.key, a.name] for a in areas(trust.id)],
        "schools": {
            str(school.id): {
                "name": school.name, "urn": school.urn, "hub": school.hub.name if school.hub else None,
                "overall": {"suggested": assessed[school.id]["overall"]["suggested"],
                            "decision": decision_copy(assessed[school.id]["overall"]["decision"])},
                "areas": {key: {"suggested": value["suggested"], "evidence": value["evidence"],
                                "decision": decision_copy(value["decision"])}
                          for key, value in assessed[school.id]["areas"].items()},
            } for school in schools
        },
    }


def take_review(user, trust, name):
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ServiceError("Name the review in 120 characters or fewer, for example “Spring 2027 review”.")
    rule_set = current_rules(trust.id)
    review = Review(trust_id=trust.id, name=name, taken_by_id=user.id, snapshot=snapshot(trust),
                    rule_set_id=rule_set.id if rule_set else None)
    db.session.add(review)
    record("review_taken", user=user, name=name)
    commit()
    return review


def category_in(snapshot_school, area_key=None):
    """The decided category (else the suggestion) of a school in a snapshot, with which it is."""
    part = snapshot_school["overall"] if area_key is None else snapshot_school["areas"].get(area_key)
    if not part:
        return None, None
    if part.get("decision"):
        return part["decision"]["category"], "decided"
    return part.get("suggested"), "suggested"


def compare(first, second):
    """Rows for comparing two reviews: per school, each area's category in both and whether it moved."""
    area_names = dict(first.snapshot["areas"]) | dict(second.snapshot["areas"])
    keys = [k for k, _ in second.snapshot["areas"]] + [k for k, _ in first.snapshot["areas"]
                                                       if k not in dict(second.snapshot["areas"])]
    rows = []
    school_ids = sorted(set(first.snapshot["schools"]) | set(second.snapshot["schools"]),
                        key=lambda i: (first.snapshot["schools"].get(i) or second.snapshot["schools"][i])["name"])
    for school_id in school_ids:
        a, b = first.snapshot["schools"].get(school_id), second.snapshot["schools"].get(school_id)
        cells = []
        for key in [None] + keys:
            before = category_in(a, key)[0] if a else None
            after = category_in(b, key)[0] if b else None
            cells.append({"area": "Overall" if key is None else area_names[key], "before": before,
                          "after": after, "moved": _movement(before, after)})
        rows.append({"school": (b or a)["name"], "cells": cells})
    return rows


def movement_since(review, school_id, area_key, category):
    """"up", "down" or None: how a current category compares with the one in a review."""
    if review is None or category is None:
        return None
    school = review.snapshot["schools"].get(str(school_id))
    if not school:
        return None
    return _movement(category_in(school, area_key)[0], category)


def _movement(before, after):
    if before is None or after is None or before == after:
        return None
    return "up" if CATEGORY_RANK[after] > CATEGORY_RANK[before] else "down"
