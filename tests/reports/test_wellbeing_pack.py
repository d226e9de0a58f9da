"""The wellbeing committee pack: closed staff surveys first, and comment themes only in safe numbers."""

from datetime import date, timedelta

import pytest

from app.extensions import db
from tests.builders import builtin_instrument, make_response, make_school, make_survey, make_trust, make_user

TODAY = date.today()


@pytest.fixture
def staff(app):
    """A closed staff survey with 7 comments at Alpha (5 about stress, 1 about lessons), and an
    open pulse survey with 2 responses."""
    with app.app_context():
        trust = make_trust()
        school = make_school(trust, "Alpha Primary")
        instrument = builtin_instrument("staff")
        closed = make_survey([school], instrument=instrument, title="Staff survey, summer",
                             opens_on=TODAY - timedelta(days=60), closes_on=TODAY - timedelta(days=40))
        pulse = make_survey([school], instrument=instrument, title="Staff pulse, now",
                            opens_on=TODAY - timedelta(days=2), closes_on=TODAY + timedelta(days=5))
        for index in range(5):
            make_response(closed, school, {"comments": f"Marking causes stress, week {index}"})
        make_response(closed, school, {"comments": "More time to plan lessons please"})
        make_response(closed, school, {"comments": "A good team"})
        for _ in range(2):
            make_response(pulse, school, {"comments": "Stress is high this week"})
        make_user("wellbeing@alpha.example", "wellbeing", school)
        db.session.commit()
        return school.id


def test_theme_counts_are_given_only_at_or_above_the_threshold(client, auth, staff):
    auth.sign_in("wellbeing@alpha.example")
    html = client.get(f"/schools/{staff}/wellbeing-pack").get_data(as_text=True)
    assert "Latest: Staff survey, summer." in html
    assert "Staff pulse, now is open until" in html
    assert "Wellbeing: 5 comments" in html
    assert "Curriculum: 1" not in html
    assert "1 other theme has fewer than 5 comments, so its count is not given." in html
    assert "No wellbeing domain results yet" in html


def test_the_pdf_keeps_the_same_rule(client, auth, staff):
    from tests.reports.test_packs import pdf_text

    auth.sign_in("wellbeing@alpha.example")
    text = pdf_text(client.get(f"/schools/{staff}/wellbeing-pack.pdf").data)
    assert "Wellbeing: 5 comments" in text and "Curriculum: 1" not in text
