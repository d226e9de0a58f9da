"""The reports: evidence pack, SGC overview, wellbeing pack and parents' summary, on screen and as PDF."""

import re
import subprocess
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Action, AuditEvent
from tests.builders import make_response, make_school, make_survey, make_trust, make_user

PAYLOAD = '<script>alert("x")</script><b>bold</b>'
TODAY = date.today()


@pytest.fixture
def packs(app):
    """Three schools over two closed parent surveys: A 12 then 14 parents, B 9 (too few), C 15.
    A has an action whose text is an HTML payload."""
    with app.app_context():
        trust = make_trust()
        a, b, c = (make_school(trust, name) for name in ("Alpha Primary", "Beta Primary", "Gamma Primary"))
        earlier = make_survey([a, b, c], title="Parent survey, spring", opens_on=TODAY - timedelta(days=200),
                              closes_on=TODAY - timedelta(days=180))
        later = make_survey([a, b, c], title="Parent survey, autumn", opens_on=TODAY - timedelta(days=40),
                            closes_on=TODAY - timedelta(days=20))
        for survey, count in ((earlier, 12), (later, 14)):
            for index in range(count):
                make_response(survey, a, {"happy": 5 if index % 4 else 2, "safe": 4, "has_send": index % 2,
                                          "recommend": 1})
        for _ in range(9):
            make_response(later, b, {"happy": 1, "safe": 1})
        for _ in range(15):
            make_response(later, c, {"happy": 4, "safe": 2})
        db.session.add(Action(school_id=a.id, priority_key="wellbeing", question_key="happy",
                              you_said=PAYLOAD, title="Wellbeing " + PAYLOAD, owner="Deputy head",
                              due_on=TODAY + timedelta(days=30), status="in_progress"))
        make_user("cio@trust.example", "cio")
        make_user("head@alpha.example", "head", a)
        make_user("head@beta.example", "head", b)
        make_user("governor@alpha.example", "governor", a)
        make_user("wellbeing@alpha.example", "wellbeing", a)
        make_user("dsl@alpha.example", "dsl", a)
        db.session.commit()
        return {"a": a.id, "b": b.id, "c": c.id}


def pdf_text(data):
    assert data.startswith(b"%PDF-")
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


def test_the_evidence_pack_shows_each_priority_with_trust_benchmark_trend_and_chart(
        client, auth, packs):
    auth.sign_in("cio@trust.example")
    html = client.get(f"/schools/{packs['a']}/evidence-pack").data.decode()
    assert "Parent survey, autumn" in html and "14 responses" in html
    assert "Summary by priority" in html and "Wellbeing" in html
    assert "<strong>71%</strong>" in html  # 10 of 14 happy
    assert 'src="data:image/png;base64,' in html and "Latest compared with the previous" in html
    assert "Too few schools to compare" in html  # only A and C shown: fewer than 3 schools
    assert "&lt;script&gt;" in html and PAYLOAD not in html


def test_a_small_school_s_pack_shows_no_numbers(client, auth, packs):
    auth.sign_in("head@beta.example")
    html = client.get(f"/schools/{packs['b']}/evidence-pack").data.decode()
    assert "Too few responses to show" in html
    assert not re.search(r"<strong>\d+%</strong>", html)
    text = pdf_text(client.get(f"/schools/{packs['b']}/evidence-pack.pdf").data)
    assert "Beta Primary" in text and "Too few responses to show" in text
    assert not re.search(r"\b\d+%\s+\(likely", text)


def test_the_evidence_pack_pdf_has_charts_escaped_text_and_is_audited(app, client, auth, packs):
    auth.sign_in("cio@trust.example")
    response = client.get(f"/schools/{packs['a']}/evidence-pack.pdf")
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "CIO evidence pack" in text and "Alpha Primary" in text and "Page 1 of" in text
    # Shown as text (wrapped in its table cell), never run as markup.
    assert '<script>alert("x")</' in text and "script><b>bold</b>" in text
    images = subprocess.run(["pdfimages", "-list", "-"], input=response.data, capture_output=True)
    assert images.returncode != 0 or b"png" in images.stdout or b"image" in images.stdout
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).filter_by(action="export_pdf"))
        assert event.detail == {"report": "evidence-pack"} and event.school_id == packs["a"]


def test_the_sgc_overview_compares_with_last_term_and_lists_actions(client, auth, packs):
    auth.sign_in("governor@alpha.example")
    html = client.get(f"/schools/{packs['a']}/sgc-overview").data.decode()
    assert "What changed since last term" in html and "compared with Parent survey, spring" in html
    assert "No clear change since" in html or "Up " in html or "Down " in html
    assert "Deputy head" in html and "In progress" in html
    assert "SGC overview" in pdf_text(client.get(f"/schools/{packs['a']}/sgc-overview.pdf").data)


def test_the_wellbeing_pack_says_when_no_staff_survey_has_run(client, auth, packs):
    auth.sign_in("wellbeing@alpha.example")
    html = client.get(f"/schools/{packs['a']}/wellbeing-pack").data.decode()
    assert "No staff survey has run at this school yet." in html
    assert client.get(f"/schools/{packs['a']}/wellbeing-pack.pdf").data.startswith(b"%PDF-")


def test_the_parents_summary_is_plain_printable_and_linkable_without_sign_in(client, auth, packs):
    auth.sign_in("head@alpha.example")
    html = client.get(f"/schools/{packs['a']}/parents-summary").data.decode()
    assert "in 10</strong> agreed" in html and "in 10</strong> said yes" in html
    link = re.search(r'href="(http://localhost/you-said-we-did/[^"]+)"', html).group(1)
    path = link.removeprefix("http://localhost")
    auth.sign_out()
    public = client.get(path)
    assert public.status_code == 200 and b"You said, we did" in public.data
    assert b"Which year group" not in public.data and b"&lt;script&gt;" in public.data
    assert pdf_text(client.get(path + ".pdf").data).count("You said") >= 1
    assert client.get(path[:-3] + "abc").status_code == 404
    assert client.get("/you-said-we-did/" + "x" * 500).status_code == 404


@pytest.mark.parametrize("email, school, name, status", [
    ("head@beta.example", "a", "evidence-pack", 404),
    ("governor@alpha.example", "a", "evidence-pack", 404),
    ("governor@alpha.example", "b", "sgc-overview", 404),
    ("dsl@alpha.example", "a", "parents-summary", 404),
    ("wellbeing@alpha.example", "a", "sgc-overview", 404),
    ("head@alpha.example", "a", "wellbeing-pack", 200),
])
def test_reports_are_only_for_their_roles_and_schools(client, auth, packs, email, school, name,
                                                      status):
    auth.sign_in(email)
    assert client.get(f"/schools/{packs[school]}/{name}").status_code == status
    assert client.get(f"/schools/{packs[school]}/{name}.pdf").status_code == status


def test_signed_out_people_are_sent_to_sign_in(client, packs):
    response = client.get(f"/schools/{packs['a']}/evidence-pack")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def action_form(**changes):
    due = TODAY + timedelta(days=60)
    data = {"priority_key": "curriculum", "question_key": "happy", "you_said": "More on learning",
            "title": "Termly curriculum letters", "owner": "Deputy head",
            "due_on": [str(due.day), str(due.month), str(due.year)], "status": "planned"}
    data.update(changes)
    return data


def test_a_head_adds_and_updates_an_action(app, client, auth, packs):
    auth.sign_in("head@alpha.example")
    assert client.post(f"/schools/{packs['a']}/actions/new", data=action_form()).status_code == 302
    with app.app_context():
        action = db.session.scalar(sa.select(Action).filter_by(title="Termly curriculum letters"))
        assert action.school_id == packs["a"] and action.question_key == "happy"
        action_id = action.id
    client.post(f"/schools/{packs['a']}/actions/{action_id}", data=action_form(status="done"))
    with app.app_context():
        assert db.session.get(Action, action_id).status == "done"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                 .filter_by(action="save_action")) == 2
    assert b"Termly curriculum letters" in client.get(f"/schools/{packs['a']}/parents-summary").data


@pytest.mark.parametrize("changes", [
    {"priority_key": "nonsense"}, {"status": "finished"}, {"title": ""}, {"owner": "x" * 201},
    {"due_on": ["31", "2", "2027"]}, {"due_on": ["", "", ""]}, {"question_key": "not_a_question"},
])
def test_a_bad_action_form_comes_back_and_saves_nothing(app, client, auth, packs, changes):
    auth.sign_in("head@alpha.example")
    response = client.post(f"/schools/{packs['a']}/actions/new", data=action_form(**changes))
    assert response.status_code == 400 and b"There is a problem" in response.data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == 1


def test_a_head_cannot_touch_another_school_s_actions(app, client, auth, packs):
    auth.sign_in("head@beta.example")
    assert client.post(f"/schools/{packs['a']}/actions/new", data=action_form()).status_code == 404
    with app.app_context():
        action_id = db.session.scalar(sa.select(Action.id))
    assert client.post(f"/schools/{packs['b']}/actions/{action_id}", data=action_form()).status_code == 404
    assert client.get(f"/schools/{packs['a']}/actions").status_code == 404
