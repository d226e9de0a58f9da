"""A trust admin writes a draft instrument, previews it on a phone and publishes it; axe checks every page."""

import pytest
import sqlalchemy as sa

from app.demo import DEMO_DOMAIN, DEMO_PASSWORD
from app.extensions import db
from app.models import AuditEvent, Instrument, Response
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def sign_in(page, url, who="admin"):
    page.goto(f"{url}/sign-in")
    page.fill("#email", f"{who}@{DEMO_DOMAIN}")
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def stored(app, key):
    with app.app_context():
        instrument = db.session.scalar(sa.select(Instrument).where(Instrument.key == key))
        return instrument and {
            "id": instrument.id, "status": instrument.status,
            "questions": [(q.key, q.type, q.condition) for q in instrument.questions],
        }


def test_a_trust_admin_drafts_previews_on_a_phone_and_publishes(live_server, desktop, phone):
    app, page = live_server.app, desktop
    sign_in(page, live_server.url)
    page.get_by_role("link", name="Instruments").click()
    assert page.locator("h1").inner_text() == "Instruments"
    assert_accessible(page)

    page.get_by_role("button", name="Create an instrument").click()
    assert_accessible(page)
    page.get_by_role("button", name="Create draft").click()  # nothing filled in
    assert "Enter a name for the instrument" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    page.get_by_label("Name").fill("Reading at home")
    page.get_by_label("Key").fill("reading_home")
    page.get_by_label("Parents and carers").check()
    page.get_by_role("button", name="Create draft").click()
    assert page.locator("h1").inner_text() == "Reading at home"
    assert_accessible(page)

    page.get_by_role("button", name="Add a question").first.click()
    assert_accessible(page)
    page.get_by_label("Question", exact=True).fill("Do you read with your child at home?")
    page.get_by_label("Key").fill("reads_at_home")
    page.get_by_label("Yes or no").check()
    page.get_by_label("Priority").select_option("curriculum")
    page.get_by_label("Question in Welsh (Cymraeg) (optional)").fill("Ydych chi'n darllen gyda'ch plentyn gartref?")
    page.get_by_role("button", name="Save question").click()
    assert "Question ‘reads_at_home’ added." in page.locator("main").inner_text()

    # A second question shown only after "Yes"; a bad answer code first, then the right one.
    page.get_by_role("button", name="Add a question").first.click()
    page.get_by_label("Question", exact=True).fill("We enjoy the books the school sends home.")
    page.get_by_label("Key").fill("enjoy_books")
    page.get_by_label("Show only after an answer to (optional)").select_option("reads_at_home")
    page.get_by_label("Answers that show this question").fill("7")
    page.get_by_role("button", name="Save question").click()
    assert "Use answer codes of ‘reads_at_home’: 1, 0" in page.locator(".govuk-error-summary").inner_text()
    assert page.get_by_label("Question", exact=True).input_value() == "We enjoy the books the school sends home."
    assert_accessible(page)
    page.get_by_label("Answers that show this question").fill("1")
    page.get_by_role("button", name="Save question").click()
    draft = stored(app, "reading_home")
    assert draft["questions"] == [
        ("reads_at_home", "yes_no", None),
        ("enjoy_books", "agree5", {"question": "reads_at_home", "values": [1]}),
    ]
    assert "Shown when" in page.locator("main").inner_text()
    assert_accessible(page)

    # The phone preview is the respondent's page; sending from it stores nothing.
    sign_in(phone, live_server.url)
    with app.app_context():
        responses_before = db.session.scalar(sa.select(sa.func.count()).select_from(Response))
    phone.goto(f"{live_server.url}/instruments/{draft['id']}/preview")
    assert "Nothing you enter is saved" in phone.locator(".sv-preview-bar").inner_text()
    assert not phone.get_by_text("We enjoy the books the school sends home.").is_visible()
    phone.get_by_label("Yes").check()
    assert phone.get_by_text("We enjoy the books the school sends home.").is_visible()
    assert_accessible(phone)
    phone.get_by_role("button", name="Send my answers").click()
    assert "nothing was saved" in phone.locator("main").inner_text()
    assert_accessible(phone)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == responses_before

    page.get_by_role("link", name="Publish").click()
    assert_accessible(page)
    page.get_by_label("What changed and why (optional)").fill("First version")
    page.get_by_role("button", name="Publish").click()
    assert "is published" in page.locator("main").inner_text()
    assert "Edit details" not in page.locator("main").inner_text()
    assert_accessible(page)
    assert stored(app, "reading_home")["status"] == "published"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "publish_instrument")) == 1

    # "Edit" on the published version makes version 2, a draft with the same keys.
    page.get_by_role("button", name="Edit (make version 2)").click()
    assert "draft of version 2" in page.locator("main").inner_text()
    assert_accessible(page)


def test_priorities_and_a_clone_pages_are_accessible(live_server, phone):
    sign_in(phone, live_server.url)
    phone.goto(f"{live_server.url}/priorities")
    assert_accessible(phone)
    phone.get_by_label("Name").fill("Attendance")
    phone.get_by_role("button", name="Add priority").click()
    assert "Attendance" in phone.locator("table").inner_text()
    phone.get_by_role("link", name="Rename Attendance").click()
    assert_accessible(phone)
    with live_server.app.app_context():
        parent = db.session.scalar(sa.select(Instrument.id).where(Instrument.key == "parent"))
    phone.goto(f"{live_server.url}/instruments/{parent}")
    assert_accessible(phone)
    phone.get_by_role("link", name="Make a copy").click()
    assert_accessible(phone)
    phone.get_by_label("Key of the copy").fill("parent_hub")
    phone.get_by_role("button", name="Make a copy").click()
    assert "as a new draft" in phone.locator("main").inner_text()
    phone.get_by_role("button", name="Preview as a respondent").click()
    assert "Preview of Parent and carer survey (copy)" in phone.locator(".sv-preview-bar").inner_text()
    assert_accessible(phone)


def test_an_author_on_a_computer_previews_at_phone_size(live_server, desktop):
    sign_in(desktop, live_server.url)
    with live_server.app.app_context():
        clubs = db.session.scalar(sa.select(Instrument.id).where(Instrument.key == "clubs"))
    desktop.goto(f"{live_server.url}/instruments/{clubs}")
    desktop.get_by_role("link", name="Preview on a phone-sized screen").click()
    frame = desktop.frame_locator("iframe.sv-phone-frame")
    assert "Nothing you enter is saved" in frame.locator(".sv-preview-bar").inner_text()
    assert frame.locator("body").evaluate("() => window.innerWidth") == 390
    assert_accessible(desktop)
