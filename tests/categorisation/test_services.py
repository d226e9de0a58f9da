"""Suggestions from evidence, the CIO's decisions and their history, and frozen reviews."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.categorisation import services
from app.extensions import db
from app.models import AuditEvent, Decision, Review, School, User
from app.models.categorisation import FrozenError
from app.services import ServiceError
from tests.builders import make_measure


def _school(school_id):
    return db.session.get(School, school_id)


def _user(email):
    return db.session.scalar(sa.select(User).where(User.email == email))


def _item(assessed, area, indicator):
    return next(i for i in assessed["areas"][area]["evidence"] if i["indicator"] == indicator)


def test_a_survey_result_suggests_a_category_with_its_n_and_interval(app, trust_setup):
    with app.app_context():
        oak = _school(trust_setup["oak_id"])
        assessed = services.assess(oak.trust, [oak])[oak.id]
        safe = _item(assessed, "behaviour_attendance", "question:parent:safe")
        assert safe["value"] == 75.0 and safe["n"] == 12  # 9 of 12 positive
        assert safe["ci_low"] < 75 < safe["ci_high"]
        assert safe["category"] == "repair"  # 70 <= 75 < 80
        assert safe["source"] == "Parent survey, autumn"
        assert assessed["areas"]["behaviour_attendance"]["suggested"] == "repair"


def test_a_result_withheld_for_a_small_group_is_insufficient_evidence(app, trust_setup):
    with app.app_context():
        elm = _school(trust_setup["elm_id"])
        assessed = services.assess(elm.trust, [elm])[elm.id]
        safe = _item(assessed, "behaviour_attendance", "question:parent:safe")
        assert safe["withheld"] is True
        assert safe["value"] is None and safe["n"] is None and safe["ci_low"] is None
        assert safe["category"] is None
        # Every answer was negative, but four parents is below the threshold: no guess at all.
        assert assessed["areas"]["stakeholder_voice"]["suggested"] is None


def test_school_data_counts_with_the_newest_value_and_overall_combines_areas(app, trust_setup):
    with app.app_context():
        oak = _school(trust_setup["oak_id"])
        make_measure(oak, "attendance_pct", 90.0, as_of=date.today() - timedelta(days=300))
        make_measure(oak, "attendance_pct", 96.5, as_of=date.today() - timedelta(days=5))
        make_measure(oak, "attendance_pct", 80.0, as_of=date.today() + timedelta(days=5))  # future: ignored
        make_measure(oak, "ofsted_grade", 4)
        assessed = services.assess(oak.trust, [oak])[oak.id]
        attendance = _item(assessed, "behaviour_attendance", "measure:attendance_pct")
        assert attendance["value"] == 96.5 and attendance["category"] == "sustain"
        assert assessed["areas"]["outcomes"]["suggested"] == "stabilise"
        areas = {k: v["suggested"] for k, v in assessed["areas"].items() if v["suggested"]}
        # Worked by hand: behaviour = attendance Sustain (3) + parents feel safe Repair (1) -> 2;
        # leadership = parents' leadership % (recommend, 100%) Sustain (3) + Ofsted Stabilise (0)
        # -> 1.5 rounded down; voice = recommend Sustain; overall (0 + 2 + 1 + 3) / 4 = 1.5 -> Repair.
        assert areas == {"outcomes": "stabilise", "behaviour_attendance": "improve",
                         "leadership_governance": "repair", "stakeholder_voice": "sustain"}
        assert assessed["overall"]["suggested"] == "repair"


def test_an_override_needs_a_rationale_and_every_decision_is_kept(app, trust_setup):
    with app.app_context():
        oak, cio = _school(trust_setup["oak_id"]), _user("cio@example.org")
        with pytest.raises(ServiceError, match="Write why"):
            services.decide(cio, oak, "behaviour_attendance", "sustain", "  ")
        first = services.decide(cio, oak, "behaviour_attendance", "repair", "")
        second = services.decide(cio, oak, "behaviour_attendance", "improve", "Attendance plan working.")
        assert (first.suggested, first.is_override) == ("repair", False)
        assert (second.suggested, second.is_override) == ("repair", True)
        history = services.decision_history(oak)
        assert [d.category for d in history] == ["improve", "repair"]
        assert history[0].rationale == "Attendance plan working." and history[0].decided_by.name == "Chris CIO"
        current = services.current_decisions([oak.id])
        area_id = history[0].area_id
        assert current[(oak.id, area_id)].id == second.id
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "category_decided")).all()
        assert [e.detail["override"] for e in events] == [False, True]


@pytest.mark.parametrize("area, category, message", [
    ("no_such_area", "repair", "does not exist"),
    ("overall", "excellent", "Choose Stabilise"),
])
def test_a_decision_refuses_unknown_areas_and_categories(app, trust_setup, area, category, message):
    with app.app_context():
        with pytest.raises(ServiceError, match=message):
            services.decide(_user("cio@example.org"), _school(trust_setup["oak_id"]), area, category, "x")
        assert db.session.scalar(sa.select(sa.func.count(Decision.id))) == 0


def test_a_review_freezes_every_school_and_cannot_be_changed_or_deleted(app, trust_setup):
    with app.app_context():
        oak, cio = _school(trust_setup["oak_id"]), _user("cio@example.org")
        services.decide(cio, oak, "overall", "repair", "Early days.")
        review = services.take_review(cio, oak.trust, "Spring review")
        review_id = review.id
        frozen = review.snapshot["schools"][str(oak.id)]
        assert frozen["overall"]["decision"]["category"] == "repair"
        assert frozen["areas"]["behaviour_attendance"]["evidence"][2]["n"] == 12
        assert set(review.snapshot["schools"]) == {str(trust_setup["oak_id"]), str(trust_setup["elm_id"])}

        # Later decisions do not reach into the review.
        services.decide(cio, oak, "overall", "improve", "Much better.")
        review.name = "Renamed"
        with pytest.raises(FrozenError):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.get(Review, review_id))
        with pytest.raises(FrozenError):
            db.session.commit()
        db.session.rollback()
        db.session.expire_all()
        again = db.session.get(Review, review_id)
        assert again.name == "Spring review"
        assert again.snapshot["schools"][str(oak.id)]["overall"]["decision"]["category"] == "repair"


def test_comparing_two_reviews_shows_which_schools_moved(app, trust_setup):
    with app.app_context():
        oak, cio = _school(trust_setup["oak_id"]), _user("cio@example.org")
        services.decide(cio, oak, "overall", "stabilise", "Ofsted grade 4.")
        first = services.take_review(cio, oak.trust, "Autumn")
        services.decide(cio, oak, "overall", "improve", "Leadership secure.")
        second = services.take_review(cio, oak.trust, "Spring")
        rows = {row["school"]: row["cells"] for row in services.compare(first, second)}
        overall = rows["Oak Primary School"][0]
        assert (overall["before"], overall["after"], overall["moved"]) == ("stabilise", "improve", "up")
        assert all(cell["moved"] is None for cell in rows["Elm Primary School"])
        assert services.movement_since(second, oak.id, None, "repair") == "down"


def test_saving_rules_makes_a_new_version_and_keeps_the_old(app, trust_setup):
    with app.app_context():
        trust = _school(trust_setup["oak_id"]).trust
        cio = _user("cio@example.org")
        rules = [{"area": "behaviour_attendance", "indicator": "question:parent:safe", "higher_is_better": True,
                  "thresholds": {"stabilise": "50", "repair": "60", "improve": "74"}}]
        saved = services.save_rules(cio, trust, rules, "Looser safety thresholds")
        assert saved.version == 2 and len(services.rule_versions(trust.id)) == 2
        assert len(services.rule_versions(trust.id)[1].rules) > 1
        oak = _school(trust_setup["oak_id"])
        assert services.assess(trust, [oak])[oak.id]["areas"]["behaviour_attendance"]["suggested"] == "sustain"
        with pytest.raises(ServiceError, match="Rule 1"):
            services.save_rules(cio, trust, [dict(rules[0], thresholds={"stabilise": 9, "repair": 1, "improve": 2})], "")
        with pytest.raises(ServiceError, match="choose an area"):
            services.save_rules(cio, trust, [dict(rules[0], indicator="question:parent:nonsense")], "")
        assert len(services.rule_versions(trust.id)) == 2


def test_the_database_itself_refuses_to_change_or_delete_a_review(app, trust_setup):
    """Even SQL that goes round the app cannot rewrite history."""
    with app.app_context():
        review = services.take_review(_user("cio@example.org"), _school(trust_setup["oak_id"]).trust, "Autumn")
        review_id = review.id
        for statement in (sa.update(Review).values(name="Rewritten"), sa.delete(Review)):
            with pytest.raises(sa.exc.DatabaseError, match="frozen"):
                db.session.execute(statement)
            db.session.rollback()
        assert db.session.get(Review, review_id).name == "Autumn"
