"""Demo categorisation: school data, a review six months ago with decisions, and today's decisions."""

from datetime import datetime, time, timedelta, timezone

import sqlalchemy as sa

from app.categorisation import services
from app.extensions import db
from app.models import User
from app.models.categorisation import Area, Decision, Review, SchoolMeasure


def build_demo_categorisation(trust, rng, today):
    services.install_defaults(trust)
    cio = db.session.scalar(sa.select(User).where(User.email.like("cio@%")))
    past = today - timedelta(days=182)
    for school in trust.schools:
        # Demo schools carry a hidden quality per priority (app.demo); data follows it loosely.
        strength = sum(getattr(school, "_quality", {}).values())
        for as_of, drift in ((past - timedelta(days=30), -0.3), (today - timedelta(days=20), 0)):
            level = strength + drift
            values = {
                "attendance_pct": 94.5 + 1.5 * level + rng.uniform(-0.6, 0.6),
                "persistent_absence_pct": 17 - 6 * level + rng.uniform(-2, 2),
                "suspensions": max(0, round(6 - 5 * level + rng.uniform(-2, 2))),
                "exclusions": 1 if level < -0.6 else 0,
                "ks2_rwm_expected_pct": 60 + 12 * level + rng.uniform(-5, 5),
                "phonics_pass_pct": 78 + 8 * level + rng.uniform(-4, 4),
                "staff_turnover_pct": 15 - 6 * level + rng.uniform(-3, 3),
            }
            for measure, value in values.items():
                db.session.add(SchoolMeasure(
                    school_id=school.id, measure=measure, value=round(min(max(value, 0), 100), 1),
                    as_of=as_of, source="Demo data: trust MIS export", entered_by_id=cio.id if cio else None))
        grade = 1 if strength > 0.5 else 2 if strength > -0.3 else 3 if strength > -0.9 else 4
        db.session.add(SchoolMeasure(school_id=school.id, measure="ofsted_grade", value=grade,
                                     as_of=past - timedelta(days=rng.randint(100, 900)),
                                     source="Ofsted inspection report"))
    db.session.flush()

    # The review six months ago, with the CIO's decisions of the time.
    then = datetime.combine(past, time(10), tzinfo=timezone.utc)
    earlier = services.assess(trust, list(trust.schools), today=past)
    for school in trust.schools:
        overall = earlier[school.id]["overall"]["suggested"]
        if overall:
            db.session.add(Decision(school_id=school.id, category=overall, suggested=overall,
                                    rationale="", decided_by_id=cio.id if cio else None, decided_at=then))
    db.session.flush()
    db.session.add(Review(trust_id=trust.id, name=f"Review, {past:%B %Y}", taken_at=then + timedelta(hours=2),
                          taken_by_id=cio.id if cio else None, snapshot=services.snapshot(trust, today=past),
                          rule_set_id=services.current_rules(trust.id).id))
    # Today: accept the suggestions, overriding one school with a rationale.
    now = datetime.combine(today, time(9), tzinfo=timezone.utc)
    current = services.assess(trust, list(trust.schools), today=today)
    for index, school in enumerate(trust.schools):
        overall = current[school.id]["overall"]["suggested"]
        if overall is None:
            continue
        category, rationale = overall, ""
        if index == 2 and overall != "stabilise":
            category = "repair" if overall != "repair" else "stabilise"
            rationale = "New headteacher from January and a safeguarding audit due: more support this term."
        db.session.add(Decision(school_id=school.id, category=category, suggested=overall, rationale=rationale,
                                decided_by_id=cio.id if cio else None, decided_at=now))
        behaviour = db.session.scalar(sa.select(Area).where(Area.trust_id == trust.id, Area.key == "behaviour_attendance"))
        suggested = current[school.id]["areas"]["behaviour_attendance"]["suggested"]
        if suggested and behaviour:
            db.session.add(Decision(school_id=school.id, area_id=behaviour.id, category=suggested,
                                    suggested=suggested, decided_by_id=cio.id if cio else None, decided_at=now))


def build_demo_schedule(trust, today):
    """This academic year's schedule from the template, plus extra staff pulses at one school,
    which breaks the survey-fatigue rule so the warning shows."""
    from app.models.schedule import ScheduleEvent
    from app.schedule.services import generate_year, week

    year = today.year if today.month >= 8 else today.year - 1
    generate_year(None, trust, year)
    school = trust.schools[0]
    for number in (2, 8):
        opens = week(year, "spring", number)
        db.session.add(ScheduleEvent(
            trust_id=trust.id, school_id=school.id, academic_year=year, term="spring",
            kind="survey_window", audience="staff", title="Staff wellbeing pulse",
            starts_on=opens, ends_on=opens + timedelta(days=4)))
    db.session.commit()
