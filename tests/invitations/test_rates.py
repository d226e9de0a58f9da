"""Live response rates: per school and audience, per year group with suppression, per day as a chart, every way of answering."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.invitations import services
from app.models import School, Survey, User
from app.surveys.collection import generate_tokens
from tests.builders import link_of, make_contact, make_response, make_school, make_survey, make_trust, make_user
from tests.surveys.test_routes import full_answers

YEAR = {"Reception": 1, "Year 1": 2, "Year 2": 3, "Year 3": 4}


@pytest.fixture
def survey(app):
    with app.app_context():
        trust = make_trust()
        oak = make_school(trust, name="Oak Primary", families=100)
        elm = make_school(trust, name="Elm Primary", families=50)
        make_user("cio@trust.org.uk", "cio")
        make_user("head@elm.sch.uk", "head", elm)
        survey = make_survey([oak, elm], opens_on=date.today() - timedelta(days=2))
        for n in range(12):
            make_response(survey, oak, {"year_group": YEAR["Year 1"]}, submitted_on=date.today() - timedelta(days=1))
        for n in range(3):
            make_response(survey, oak, {"year_group": YEAR["Year 2"]})
        for n in range(11):
            make_response(survey, oak, {"year_group": YEAR["Year 3"]})
        for n in range(5):
            make_response(survey, elm, {})
        db.session.commit()
        return {"survey": survey.id, "oak": oak.id, "elm": elm.id}


def test_the_cio_sees_every_school_with_its_rate_as_a_number_and_a_bar(client, auth, survey):
    auth.sign_in("cio@trust.org.uk")
    page = client.get("/rates").get_data(as_text=True)
    assert "Oak Primary" in page and "Elm Primary" in page
    assert "26%" in page and "10%" in page  # 26 of 100 families, 5 of 50
    assert '<meter class="sv-rate__bar" data-rate-bar min="0" max="100" value="26.0" aria-hidden="true">' in page
    assert "21%" in page  # the trust: 31 of 150
    data = client.get(f"/rates.json?survey_id={survey['survey']}").get_json()
    assert {row["school_id"]: row["response_rate"] for row in data["schools"]} == {survey["oak"]: 26, survey["elm"]: 10}
    assert data["total"]["responses"] == 31


def test_rates_follow_new_responses(app, client, auth, survey):
    auth.sign_in("cio@trust.org.uk")
    with app.app_context():
        from app.models import School, Survey
        for n in range(5):
            make_response(db.session.get(Survey, survey["survey"]), db.session.get(School, survey["elm"]), {})
        db.session.commit()
    data = client.get("/rates.json").get_json()
    assert {r["school_id"]: r["responses"] for r in data["schools"]}[survey["elm"]] == 10


def test_a_head_sees_only_their_own_school(client, auth, survey):
    auth.sign_in("head@elm.sch.uk")
    page = client.get("/rates").get_data(as_text=True)
    assert "Elm Primary" in page and "Oak Primary" not in page
    assert client.get(f"/rates/schools/{survey['oak']}").status_code == 404
    assert client.get(f"/rates/per-day.png?survey_id={survey['survey']}&school_id={survey['oak']}").status_code == 404


def test_small_year_groups_say_fewer_than_the_threshold_and_cannot_be_worked_out(client, auth, survey):
    auth.sign_in("cio@trust.org.uk")
    page = client.get(f"/rates/schools/{survey['oak']}").get_data(as_text=True)
    rows = {chunk.split('"', 1)[0]: chunk for chunk in page.split('data-year="')[1:]}
    assert "40%" in rows["Year 1"]  # 12 of 30 pupils on roll
    assert "Fewer than 10 responses" in rows["Year 2"]
    # Year 2 (3) = 26 - 12 - 11 - 0 ...: so one more group beside it is hidden too.
    hidden = [year for year, row in rows.items() if "Fewer than 10" in row]
    assert len(hidden) >= 2
    assert ">3<" not in rows["Year 2"]


def test_responses_per_day_are_a_chart_with_a_text_alternative(client, auth, survey):
    auth.sign_in("cio@trust.org.uk")
    page = client.get("/rates").get_data(as_text=True)
    assert "31 responses over 3 days; the most in one day was 19" in page
    chart = client.get(f"/rates/per-day.png?survey_id={survey['survey']}")
    assert chart.mimetype == "image/png" and chart.data.startswith(b"\x89PNG")


def test_emailed_invitations_printed_letters_and_the_open_link_count_in_the_same_rates(app, client, auth, smtp):
    with app.app_context():
        trust = make_trust()
        oak = make_school(trust, name="Oak Primary", families=40)
        make_user("head@oak.sch.uk", "head", oak)
        by_invitation = make_survey([oak], title="Parents by invitation")
        by_invitation.access_mode = "tokens"
        open_link = make_survey([oak], title="Parents by link")
        make_contact(oak, "family@example.org", year_groups=["Year 2"])
        db.session.commit()
        ids = {"oak": oak.id, "tokens": by_invitation.id, "open": open_link.id}
        head = db.session.scalar(sa.select(User))
        services.queue_invitations(head, db.session.get(Survey, ids["tokens"]), [oak])
        services.send_queued()
        letters = generate_tokens(db.session.get(Survey, ids["tokens"]).schools[0], 3)
        link = link_of(db.session.get(Survey, ids["open"]), db.session.get(School, ids["oak"]))
    emailed = re.search(r"https://voice\.example\.org(/i/\S+)", smtp.text(smtp.messages[0])).group(1)
    for number, path in enumerate([emailed, f"/i/{letters[0]}", f"/i/{letters[1]}"]):
        assert client.post(path, data=full_answers(app, submission_key=f"{number}" * 32)).status_code == 302
    for number in range(2):
        assert client.post(f"/s/{link}", data=full_answers(app, submission_key=f"o{number}" * 16)).status_code == 302

    auth.sign_in("head@oak.sch.uk")
    data = client.get(f"/rates.json?survey_id={ids['tokens']}").get_json()
    assert data["schools"] == [{"school_id": ids["oak"], "responses": 3, "eligible": 40, "response_rate": 8}]
    page = client.get(f"/rates/schools/{ids['oak']}?survey_id={ids['tokens']}").get_data(as_text=True)
    channels = {chunk.split('"', 1)[0]: chunk.split("</div>", 1)[0] for chunk in page.split('data-channel="')[1:]}
    assert "1 of 1 used" in channels["email"] and "2 of 3 used" in channels["letters"]
    # Three responses, all in one year group: fewer than the threshold, so not shown.
    rows = {chunk.split('"', 1)[0]: chunk for chunk in page.split('data-year="')[1:]}
    assert "Fewer than 10 responses" in rows["Year 2"] and ">3<" not in rows["Year 2"]
    page = client.get(f"/rates/schools/{ids['oak']}?survey_id={ids['open']}").get_data(as_text=True)
    assert "Survey link or QR code" in page and "2 responses" in page
    assert client.get(f"/rates.json?survey_id={ids['open']}").get_json()["total"]["responses"] == 2


def test_a_staff_survey_by_invitation_shows_its_school_page_with_a_response_without_a_year_group(app, client, auth):
    from app.surveys.library import latest_published

    with app.app_context():
        trust = make_trust()
        oak = make_school(trust, name="Oak Primary")
        make_user("head@oak.sch.uk", "head", oak)
        survey = make_survey([oak], instrument=latest_published("staff"), title="Staff survey")
        survey.access_mode = "tokens"
        make_response(survey, oak, {})
        db.session.commit()
        ids = {"oak": oak.id, "survey": survey.id}
    auth.sign_in("head@oak.sch.uk")
    page = client.get(f"/rates/schools/{ids['oak']}?survey_id={ids['survey']}")
    assert page.status_code == 200
    assert "Printed letters" in page.get_data(as_text=True)
