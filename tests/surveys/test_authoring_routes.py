"""The instrument library pages over HTTP: who may see and change what, and bad input."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Instrument, Priority, Response
from tests.builders import make_draft, make_first_primary, parent_instrument


@pytest.fixture
def trust(app):
    with app.app_context():
        make_first_primary()
        parent = parent_instrument()
        draft = make_draft(questions=[
            {"key": "enjoys", "text": "My child enjoys the club.", "type": "agree5", "priority_key": "wellbeing"},
            {"key": "days", "text": "Which days?", "type": "multiple", "options": ["Mon", "Tue"]},
        ])
        db.session.commit()
        return {"parent": parent.id, "draft": draft.id}


def instrument(app, instrument_id):
    with app.app_context():
        found = db.session.get(Instrument, instrument_id)
        return {"name": found.name, "status": found.status, "version": found.version,
                "questions": [(q.key, q.text, q.position) for q in found.questions]}


def question_form(**changes):
    data = {"text": "My child feels welcome at the club.", "key": "welcome", "type": "agree5",
            "priority_key": "wellbeing", "options": "", "positive": "", "section": "",
            "condition_question": "", "condition_values": "", "hint": "", "read_aloud": "",
            "text_cy": "", "text_pl": "", "text_ur": ""}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_library_lists_instruments_by_audience_for_heads_but_not_teachers(client, auth, trust):
    auth.sign_in("head@first.example")
    page = client.get("/instruments")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Parent and carer survey" in text and "After-school club survey" in text
    assert "Pupils (KS1)" in text and "Create an instrument" not in text
    auth.sign_out()
    auth.sign_in("teacher@first.example")
    assert client.get("/instruments").status_code == 404


def test_an_instrument_page_shows_questions_by_section_with_priority_tags(client, auth, trust):
    auth.sign_in("head@first.example")
    text = client.get(f"/instruments/{trust['parent']}").get_data(as_text=True)
    assert "About your child" in text and "Behaviour and safety" in text
    assert "Edit details" not in text and "Move up" not in text


def test_a_trust_admin_creates_a_draft_and_adds_a_question(app, client, auth, trust):
    auth.sign_in("admin@trust.example")
    response = client.post("/instruments/new", data={
        "name": "Breakfast club", "key": "breakfast", "audience": "parent",
        "description": "About breakfast club", "attribution": ""})
    assert response.status_code == 302
    with app.app_context():
        new_id = db.session.scalar(sa.select(Instrument.id).where(Instrument.key == "breakfast"))
    response = client.post(f"/instruments/{new_id}/questions/new", data=question_form(
        positive="5", text_cy="Mae fy mhlentyn yn teimlo croeso.", read_aloud="Do you feel welcome?"))
    assert response.status_code == 302
    page = client.get(f"/instruments/{new_id}").get_data(as_text=True)
    assert "My child feels welcome at the club." in page and 'lang="cy"' in page
    with app.app_context():
        question = db.session.get(Instrument, new_id).question("welcome")
        assert question.positive == [5] and question.translations == {"cy": "Mae fy mhlentyn yn teimlo croeso."}


@pytest.mark.parametrize("changes, message", [
    ({"key": "enjoys"}, "already in this instrument"),
    ({"text": "x" * 5000}, "characters"),
    ({"type": "matrix"}, "Choose one of the answers given"),
    ({"positive": "four"}, "whole numbers"),
    ({"positive": "7"}, "7 is not an answer"),
    ({"condition_question": "days", "condition_values": "9"}, "answer codes of"),
    ({"condition_question": "nowhere", "condition_values": "1"}, "Choose from the list"),
    ({"priority_key": "astrology"}, "Choose from the list"),
])
def test_bad_question_input_is_shown_again_with_a_message_and_nothing_lost(app, client, auth, trust, changes, message):
    auth.sign_in("admin@trust.example")
    response = client.post(f"/instruments/{trust['draft']}/questions/new", data=question_form(
        read_aloud="Kept read-aloud text", **changes))
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and message in text
    assert "There is a problem" in text and "Kept read-aloud text" in text
    assert [k for k, _, _ in instrument(app, trust["draft"])["questions"]] == ["enjoys", "days"]


def test_questions_are_reordered_edited_and_deleted_through_the_page(app, client, auth, trust):
    auth.sign_in("admin@trust.example")
    base = f"/instruments/{trust['draft']}/questions"
    assert client.post(f"{base}/days/move/up").status_code == 302
    assert [k for k, _, _ in instrument(app, trust["draft"])["questions"]] == ["days", "enjoys"]
    page = client.get(f"{base}/enjoys").get_data(as_text=True)
    assert "My child enjoys the club." in page
    client.post(f"{base}/enjoys", data=question_form(key="enjoys", text="My child loves the club."))
    assert client.get(f"{base}/days/delete").status_code == 200
    client.post(f"{base}/days/delete")
    assert instrument(app, trust["draft"])["questions"] == [("enjoys", "My child loves the club.", 1)]
    assert client.get(f"{base}/nowhere").status_code == 404


def test_the_preview_renders_the_respondent_page_and_stores_nothing(app, client, auth, trust):
    auth.sign_in("head@first.example")
    page = client.get(f"/instruments/{trust['draft']}/preview").get_data(as_text=True)
    assert "Preview of After-school club survey" in page and "My child enjoys the club." in page
    assert "Send my answers" in page
    response = client.post(f"/instruments/{trust['draft']}/preview", data={
        "q_enjoys": "5", "q_days": ["1", "2"], "submission_key": "p" * 32})
    assert "nothing was saved" in response.get_data(as_text=True)
    refused = client.post(f"/instruments/{trust['draft']}/preview", data={
        "q_enjoys": "99", "submission_key": "p" * 32})
    assert "Choose one of the answers given" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_publishing_through_the_page_is_audited_and_a_second_press_is_harmless(app, client, auth, trust):
    auth.sign_in("admin@trust.example")
    confirm = client.get(f"/instruments/{trust['draft']}/publish").get_data(as_text=True)
    assert "can never be changed" in confirm
    client.post(f"/instruments/{trust['draft']}/publish", data={"change_note": "First go"})
    again = client.post(f"/instruments/{trust['draft']}/publish", data={"change_note": "Again"},
                        follow_redirects=True)
    assert "already published" in again.get_data(as_text=True)
    assert instrument(app, trust["draft"])["status"] == "published"
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "publish_instrument")).all()
        assert len(events) == 1 and events[0].detail["version"] == 1


@pytest.mark.parametrize("method, path, data", [
    ("post", "/details", {"name": "Renamed", "audience": "staff"}),
    ("post", "/questions/new", question_form()),
    ("post", "/questions/enjoys", question_form(key="enjoys", text="Changed")),
    ("post", "/questions/enjoys", question_form(key="renamed_key")),
    ("post", "/questions/enjoys/move/down", {}),
    ("post", "/questions/enjoys/delete", {}),
])
def test_no_route_changes_a_published_version(app, client, auth, trust, method, path, data):
    auth.sign_in("admin@trust.example")
    client.post(f"/instruments/{trust['draft']}/publish", data={})
    before = instrument(app, trust["draft"])
    response = getattr(client, method)(f"/instruments/{trust['draft']}{path}", data=data, follow_redirects=True)
    assert "cannot be changed" in response.get_data(as_text=True)
    assert instrument(app, trust["draft"]) == before


def test_editing_pages_of_a_published_version_send_you_back(client, auth, trust):
    auth.sign_in("admin@trust.example")
    for path in ("/details", "/questions/new", "/questions/enjoys", "/questions/enjoys/delete"):
        response = client.get(f"/instruments/{trust['parent']}{path.replace('enjoys', 'happy')}")
        assert response.status_code == 302


def test_edit_on_a_published_instrument_opens_a_new_draft_version(app, client, auth, trust):
    auth.sign_in("admin@trust.example")
    first = client.post(f"/instruments/{trust['parent']}/new-version")
    second = client.post(f"/instruments/{trust['parent']}/new-version")
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        versions = db.session.scalars(sa.select(Instrument).where(Instrument.key == "parent")
                                      .order_by(Instrument.version)).all()
        assert [(v.version, v.status) for v in versions] == [(1, "published"), (2, "draft")]
        assert [q.key for q in versions[1].questions] == [q.key for q in versions[0].questions]


def test_a_clone_is_made_through_the_page_and_a_taken_key_is_refused(app, client, auth, trust):
    auth.sign_in("admin@trust.example")
    assert client.post(f"/instruments/{trust['parent']}/clone",
                       data={"name": "Hub parent survey", "key": "hub_parent"}).status_code == 302
    again = client.post(f"/instruments/{trust['parent']}/clone", data={"name": "Again", "key": "hub_parent"})
    assert "already exists" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Instrument)
                                 .where(Instrument.key == "hub_parent")) == 1


def test_only_trust_admins_author(client, auth, trust):
    auth.sign_in("head@first.example")
    assert client.get("/instruments/new").status_code == 404
    assert client.post(f"/instruments/{trust['draft']}/publish").status_code == 404
    assert client.post(f"/instruments/{trust['draft']}/questions/enjoys/delete").status_code == 404
    assert client.post("/priorities", data={"name": "Attendance"}).status_code == 404
    assert client.post("/priorities/wellbeing", data={"name": "Mood"}).status_code == 404


def test_a_trust_admin_adds_renames_and_reorders_priorities(app, client, auth, trust):
    auth.sign_in("admin@trust.example")
    client.post("/priorities", data={"name": "Attendance"})
    duplicate = client.post("/priorities", data={"name": "attendance"})
    assert "already a priority" in duplicate.get_data(as_text=True)
    client.post("/priorities/wellbeing", data={"name": "Wellbeing and mental health"})
    client.post("/priorities/wellbeing/move/down")
    with app.app_context():
        priorities = db.session.scalars(sa.select(Priority).order_by(Priority.position)).all()
        assert [p.key for p in priorities][:2] == ["behaviour_safety", "wellbeing"]
        assert priorities[1].name == "Wellbeing and mental health"
        assert priorities[-1].key == "attendance"
    text = client.get(f"/instruments/{trust['parent']}").get_data(as_text=True)
    assert "Wellbeing and mental health" in text


def test_names_typed_by_authors_are_escaped(client, auth, trust):
    auth.sign_in("admin@trust.example")
    client.post(f"/instruments/{trust['draft']}/questions/new", data=question_form(
        text="<script>alert(1)</script>", key="xss"))
    page = client.get(f"/instruments/{trust['draft']}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


@pytest.mark.parametrize("changes, message", [
    ({"key": "parent"}, "already exists"),
    ({"key": "Parent Survey"}, "lower-case letter"),
    ({"name": ""}, "Enter a name for the instrument"),
    ({"name": "n" * 201}, "200 characters"),
    ({"audience": "governors"}, "Choose one of the answers given"),
])
def test_a_bad_new_instrument_is_refused_with_a_message_and_the_typing_kept(app, client, auth, trust, changes, message):
    auth.sign_in("admin@trust.example")
    data = {"name": "Breakfast club", "key": "breakfast", "audience": "parent",
            "description": "Kept introduction", "attribution": ""}
    data.update(changes)
    response = client.post("/instruments/new", data=data)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and message in text and "Kept introduction" in text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Instrument)
                                 .where(Instrument.key == "breakfast")) == 0


def test_the_phone_preview_frames_the_respondent_page(client, auth, trust):
    auth.sign_in("head@first.example")
    text = client.get(f"/instruments/{trust['draft']}/preview/phone").get_data(as_text=True)
    assert f'src="/instruments/{trust["draft"]}/preview"' in text and "Phone preview" in text
