"""A parent answers on a phone; the head then sees the result. axe checks every page."""

import pytest
import sqlalchemy as sa

from app.demo import DEMO_DOMAIN, DEMO_PASSWORD
from app.extensions import db
from app.models import Response, Survey
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def open_survey_link(app, school_name):
    with app.app_context():
        survey = db.session.scalars(sa.select(Survey).order_by(Survey.opens_on.desc())).first()
        link = next(s for s in survey.schools if s.school.name == school_name)
        questions = [(q.key, q.type, bool(q.condition)) for q in survey.instrument.questions]
        return survey.id, link.link_code, link.school_id, questions


def count_responses(app, survey_id, school_id):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Response.id)).where(
            Response.survey_id == survey_id, Response.school_id == school_id))


def test_a_parent_answers_on_a_phone_and_the_head_sees_it(live_server, phone, browser):
    app, page = live_server.app, phone
    survey_id, code, school_id, questions = open_survey_link(app, "Ashby Road Primary School")
    before = count_responses(app, survey_id, school_id)

    page.goto(f"{live_server.url}/s/{code}")
    assert page.locator("h1").inner_text().startswith("Parent survey")
    assert_accessible(page)

    # Sending nothing: the error summary lists what is missing and nothing is stored.
    page.get_by_role("button", name="Send my answers").click()
    page.locator(".govuk-error-summary").wait_for()  # waits for the page that comes back
    assert_accessible(page)

    page.locator("textarea[name=q_comments]").fill("The new reading scheme is great.")
    page.locator("input[name=q_year_group][value='3']").check()
    page.locator("input[name=q_has_send][value='1']").check()
    # The SEND question appears only once the parent says their child has SEND.
    page.locator("input[name=q_send_support]").first.wait_for()
    for key, kind, _ in questions:
        if kind == "agree5":
            page.locator(f"input[name=q_{key}][value='4']").check()
    page.locator("input[name=q_recommend][value='1']").check()
    page.get_by_role("button", name="Send my answers").click()

    assert page.locator(".govuk-panel__title").inner_text() == "Thank you"
    assert_accessible(page)
    assert count_responses(app, survey_id, school_id) == before + 1

    # Back and send again: still exactly one new response.
    page.go_back()
    if page.get_by_role("button", name="Send my answers").count():
        page.get_by_role("button", name="Send my answers").click()
    assert count_responses(app, survey_id, school_id) == before + 1

    head = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    head.goto(f"{live_server.url}/sign-in")
    assert_accessible(head)
    head.fill("#email", f"head1@{DEMO_DOMAIN}")
    head.fill("#password", DEMO_PASSWORD)
    head.get_by_role("button", name="Sign in").click()
    assert head.locator("h1").inner_text() == "Ashby Road Primary School"
    assert f"{before + 1} responses" in head.locator("main").inner_text()
    assert_accessible(head)
    head.context.close()


def test_a_wrong_password_gets_a_plain_error_on_the_sign_in_page(live_server, desktop):
    desktop.goto(f"{live_server.url}/sign-in")
    desktop.fill("#email", f"cio@{DEMO_DOMAIN}")
    desktop.fill("#password", "not the password")
    desktop.get_by_role("button", name="Sign in").click()
    assert "The email address or password is not right" in desktop.locator(".govuk-error-summary").inner_text()
    assert_accessible(desktop)


def test_the_cio_sees_the_trust_grid_with_small_schools_withheld(live_server, desktop):
    desktop.goto(f"{live_server.url}/sign-in")
    desktop.fill("#email", f"cio@{DEMO_DOMAIN}")
    desktop.fill("#password", DEMO_PASSWORD)
    desktop.get_by_role("button", name="Sign in").click()
    assert desktop.locator("h1").inner_text() == "Results across the trust"
    row = desktop.locator("tr", has_text="Little Hadley Primary School")
    assert "Too few to show" in row.inner_text()
    assert_accessible(desktop)
    desktop.goto(f"{live_server.url}/surveys")
    assert_accessible(desktop)
