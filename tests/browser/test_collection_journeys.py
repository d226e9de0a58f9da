"""Answering in a real browser: a parent resumes after closing the tab, staff use an
invitation once, and a class of pupils takes turns on one tablet. axe checks every page."""

import pytest
import sqlalchemy as sa

from app.demo import DEMO_DOMAIN, DEMO_PASSWORD
from app.extensions import db
from app.models import Answer, ClassSession, PartialResponse, Response, Survey
from app.surveys import collection
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def count_responses(app, survey_id):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Response.id)).where(Response.survey_id == survey_id))


def count_partials(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(PartialResponse.id)))


def parent_survey(app):
    with app.app_context():
        survey = db.session.scalars(sa.select(Survey).order_by(Survey.opens_on.desc())).first()
        link = next(s for s in survey.schools if s.school.name == "Meadowbank Primary School")
        agree = [q.key for q in survey.instrument.questions if q.type == "agree5" and not q.condition]
        return survey.id, link.link_code, agree


def test_a_parent_closes_the_tab_half_way_and_resumes_on_the_same_phone(live_server, phone):
    app, page = live_server.app, phone
    survey_id, code, agree = parent_survey(app)
    before = count_responses(app, survey_id)
    partials = count_partials(app)

    page.goto(f"{live_server.url}/s/{code}")
    assert_accessible(page)
    page.locator("input[name=q_year_group][value='2']").check()
    page.locator("input[name=q_has_send][value='0']").check()
    for key in agree[:3]:
        page.locator(f"input[name=q_{key}][value='5']").check()
    page.locator("textarea[name=q_comments]").fill("Half-way thoughts about homework")
    page.get_by_text("You can close this page and come back to finish").wait_for()
    assert count_partials(app) == partials + 1
    assert "Half-way thoughts" in page.evaluate("JSON.stringify(localStorage)")
    page.close()

    page = phone.context.new_page()
    page.goto(f"{live_server.url}/s/{code}")
    page.get_by_text("Welcome back").wait_for()
    page.wait_for_load_state()
    assert page.locator("textarea[name=q_comments]").input_value() == "Half-way thoughts about homework"
    assert page.locator(f"input[name=q_{agree[0]}][value='5']").is_checked()
    assert_accessible(page)
    for key in agree[3:]:
        page.locator(f"input[name=q_{key}][value='4']").check()
    page.locator("input[name=q_recommend][value='1']").check()
    page.get_by_role("button", name="Send my answers").dblclick()

    assert page.locator(".govuk-panel__title").inner_text() == "Thank you"
    page.wait_for_load_state()
    assert_accessible(page)
    assert count_responses(app, survey_id) == before + 1
    assert count_partials(app) == partials
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('sv:')).length") == 0

    page.go_back()
    if page.get_by_role("button", name="Send my answers").count():
        page.get_by_role("button", name="Send my answers").click()
    assert count_responses(app, survey_id) == before + 1

    page.goto(f"{live_server.url}/s/{code}")
    page.wait_for_url(f"**/s/{code}/answered")
    assert page.locator("h1").inner_text() == "You have already answered on this device"
    assert_accessible(page)
    page.get_by_role("link", name="Answer again for another child").click()
    assert page.locator("textarea[name=q_comments]").input_value() == ""


def test_a_member_of_staff_answers_by_invitation_section_by_section_and_it_is_then_used(live_server, phone):
    app, page = live_server.app, phone
    with app.app_context():
        survey = db.session.scalar(sa.select(Survey).where(Survey.access_mode == "tokens"))
        [token] = collection.generate_tokens(survey.schools[0], 1)
        survey_id, sections = survey.id, len({q.section for q in survey.instrument.questions})
    before = count_responses(app, survey_id)

    page.goto(f"{live_server.url}/i/{token}")
    page.get_by_text(f"Section 1 of {sections}").wait_for()
    assert not page.get_by_role("button", name="Send my answers").is_visible()
    assert_accessible(page)
    page.locator("input[name=q_role_group][value='1']").check()
    page.get_by_role("button", name="Next section").click()
    page.get_by_text(f"Section 2 of {sections}").wait_for()
    page.get_by_role("button", name="Previous section").click()
    assert page.locator("input[name=q_role_group][value='1']").is_checked()  # kept between pages
    for _ in range(sections - 1):
        page.get_by_role("button", name="Next section").click()
    assert_accessible(page)
    page.get_by_role("button", name="Send my answers").click()
    assert page.locator(".govuk-panel__title").inner_text() == "Thank you"
    assert count_responses(app, survey_id) == before + 1

    page.goto(f"{live_server.url}/i/{token}")
    assert page.locator("h1").inner_text() == "This invitation has already been used"
    assert_accessible(page)
    page.goto(f"{live_server.url}/i/not-a-real-invitation")
    assert page.locator("h1").inner_text() == "We cannot find this invitation"
    assert_accessible(page)


def storage_is_empty(page):
    return page.evaluate("localStorage.length + sessionStorage.length") == 0


def test_two_pupils_answer_in_turn_on_one_tablet_and_the_teacher_sees_counts(live_server, browser):
    app = live_server.app
    with app.app_context():
        session = db.session.scalar(sa.select(ClassSession).where(ClassSession.group_name == "Year 5 Oak"))
        code, session_id, survey_id = session.join_code, session.id, session.survey_school.survey_id
        completions = session.completions
    before = count_responses(app, survey_id)

    teacher = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    teacher.goto(f"{live_server.url}/sign-in")
    teacher.fill("#email", f"teacher1@{DEMO_DOMAIN}")
    teacher.fill("#password", DEMO_PASSWORD)
    teacher.get_by_role("button", name="Sign in").click()
    teacher.goto(f"{live_server.url}/class-sessions/{session_id}")
    assert teacher.locator(".sv-board__code").inner_text() == code
    assert teacher.locator("img.sv-board__qr").evaluate("img => img.naturalWidth") > 0
    assert_accessible(teacher)

    tablet = browser.new_context(viewport={"width": 820, "height": 1180}, has_touch=True).new_page()
    tablet.goto(f"{live_server.url}/join")
    assert_accessible(tablet)
    for pupil, answer in enumerate(("5", "2"), start=1):
        tablet.fill("#code", code.lower())
        tablet.get_by_role("button", name="Start").click()
        assert tablet.locator("input[type=radio]:checked").count() == 0
        tablet.get_by_role("button", name="Read it to me").first.wait_for()
        if pupil == 1:
            assert_accessible(tablet)
        tablet.locator("input[name=q_year_group][value='3']").check()
        tablet.get_by_role("button", name="Next section").click()
        tablet.locator(f"input[name=q_happy][value='{answer}']").check()
        while tablet.get_by_role("button", name="Next section").is_visible():
            tablet.get_by_role("button", name="Next section").click()
        tablet.get_by_role("button", name="I have finished").click()

        tablet.get_by_text("Please give the tablet to the next person").wait_for()
        tablet.wait_for_load_state()
        assert storage_is_empty(tablet)
        assert tablet.locator("input[type=radio]").count() == 0
        assert tablet.locator("#code").input_value() == code
        assert_accessible(tablet)
        tablet.go_back()  # nothing of the last pupil comes back
        assert tablet.locator("input[type=radio]:checked").count() == 0
        tablet.goto(f"{live_server.url}/join?done={code}")

    assert count_responses(app, survey_id) == before + 2
    teacher.locator("[data-count=completions]").filter(has_text=str(completions + 2)).wait_for(timeout=15000)
    assert "Yes, always" not in teacher.locator("main").inner_text()
    teacher.context.close()
    tablet.context.close()


def test_a_ks1_pupil_taps_faces_on_a_tablet_and_can_have_each_question_read_aloud(live_server, browser):
    app = live_server.app
    with app.app_context():
        session = db.session.scalar(sa.select(ClassSession).where(ClassSession.group_name == "Year 1 Ash"))
        code, survey_id = session.join_code, session.survey_school.survey_id
        faces = [q.key for q in session.survey_school.survey.instrument.questions if q.type == "faces3"]
    before = count_responses(app, survey_id)

    tablet = browser.new_context(viewport={"width": 820, "height": 1180}, has_touch=True).new_page()
    tablet.goto(f"{live_server.url}/join")
    tablet.fill("#code", code)
    tablet.get_by_role("button", name="Start").tap()
    tablet.get_by_role("button", name="Read it to me").first.wait_for()
    assert tablet.locator(".sv-face").count() == 3 * len(faces)
    # One read-aloud button for every question, the year group's included.
    assert tablet.get_by_role("button", name="Read it to me").count() == len(faces) + 1
    assert_accessible(tablet)

    tablet.evaluate("""() => {
        window.spoken = [];
        window.speechSynthesis.speak = (utterance) => window.spoken.push([utterance.text, utterance.lang]);
    }""")
    tablet.locator(".sv-question", has=tablet.locator("input[name=q_happy]")).get_by_role(
        "button", name="Read it to me").tap()
    [[text, lang]] = tablet.evaluate("window.spoken")
    assert text.startswith("Are you happy at school?") and "Happy" in text and lang == "en-GB"

    tablet.get_by_text("Year 1", exact=True).tap()
    chosen = {}
    for number, key in enumerate(faces):
        label = ("Happy", "Okay", "Not happy")[number % 3]
        block = tablet.locator(".sv-question", has=tablet.locator(f"input[name=q_{key}]"))
        # Tap the face where a finger would: the whole card is the target.
        block.locator(".sv-face").filter(has=tablet.get_by_text(label, exact=True)).tap()
        chosen[key] = {"Happy": 3, "Okay": 2, "Not happy": 1}[label]
    for key, value in chosen.items():
        assert tablet.locator(f"input[name=q_{key}]:checked").get_attribute("value") == str(value)
    assert_accessible(tablet)
    tablet.get_by_role("button", name="I have finished").tap()
    tablet.get_by_text("Please give the tablet to the next person").wait_for()
    assert count_responses(app, survey_id) == before + 1
    with app.app_context():
        latest = db.session.execute(
            sa.select(Answer.question_key, Answer.value).join(Response)
            .where(Response.survey_id == survey_id, Answer.question_key.in_(faces))).all()
        assert {key: value for key, value in latest} == chosen  # the first response to this survey
    assert storage_is_empty(tablet)
    tablet.context.close()


def test_a_parent_switches_to_welsh_and_answers_on_a_phone(live_server, phone):
    app, page = live_server.app, phone
    survey_id, code, agree = parent_survey(app)
    before = count_responses(app, survey_id)

    page.goto(f"{live_server.url}/s/{code}")
    page.get_by_role("link", name="Cymraeg").click()
    page.wait_for_url("**lang=cy")
    assert page.locator("html").get_attribute("lang") == "cy"
    assert page.get_by_role("link", name="English").get_attribute("hreflang") == "en"
    page.get_by_text("Mae fy mhlentyn yn hapus yn yr ysgol hon.").wait_for()
    assert_accessible(page)

    page.locator("input[name=q_year_group][value='2']").check()
    page.get_by_text("Mae eich atebion wedi'u cadw. Gallwch gau'r dudalen hon").wait_for()
    page.locator("input[name=q_has_send][value='0']").check()
    for key in agree:
        page.locator(f"input[name=q_{key}][value='4']").check()
    page.get_by_role("button", name="Anfon fy atebion").click()
    # The recommendation question was left out: the page says so in Welsh and keeps the rest.
    page.get_by_text("Mae problem wedi codi").wait_for()
    assert page.title().startswith("Gwall:")
    assert page.locator(f"input[name=q_{agree[0]}][value='4']").is_checked()
    assert_accessible(page)
    page.locator("input[name=q_recommend][value='1']").check()
    page.get_by_role("button", name="Anfon fy atebion").click()
    assert page.locator(".govuk-panel__title").inner_text() == "Diolch"
    page.wait_for_load_state()
    assert_accessible(page)
    assert count_responses(app, survey_id) == before + 1

    page.goto(f"{live_server.url}/join")  # the choice is remembered
    assert page.locator("h1").inner_text() == "Ymuno ag arolwg eich dosbarth"
    assert_accessible(page)
