"""A head imports a contact list in the browser; invitations go to a real SMTP server while the page
shows progress, and the emailed link opens the survey; the CIO watches response rates climb. axe checks each page."""

import re
import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from app.demo import DEMO_DOMAIN, DEMO_PASSWORD
from app.extensions import db
from aiosmtpd.controller import Controller

from app.models import Contact, Response, School, Survey
from tests.browser.conftest import assert_accessible
from tests.invitations.conftest import Inbox, free_port

pytestmark = pytest.mark.browser

CSV = (
    "Legal Forename,Legal Surname,Contact Email,Mobile,NC Year\n"
    "Priya,Shah,priya.shah@example.org,07700 900123,Year 2\n"
    "Tom,Reed,tom.reed@example.org,,R;Y3\n"
)


def sign_in(page, url, who):
    page.goto(f"{url}/sign-in")
    page.get_by_label("Email address").fill(f"{who}@{DEMO_DOMAIN}")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def school_id(app, name):
    with app.app_context():
        return db.session.scalar(sa.select(School.id).where(School.name == name))


def test_a_head_maps_the_columns_of_a_contacts_file_and_imports_it(live_server, desktop, tmp_path):
    app, page = live_server.app, desktop
    oak = school_id(app, "Ashby Road Primary School")
    sign_in(page, live_server.url, "head1")
    page.goto(f"{live_server.url}/schools/{oak}/contacts/import")
    assert_accessible(page)
    path = tmp_path / "arbor-export.csv"
    path.write_text(CSV)
    page.get_by_label("Families").check()
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and choose columns").click()

    assert page.locator("h1").inner_text() == "Choose which column holds what"
    assert_accessible(page)
    page.get_by_label("Email address").select_option(label="Contact Email")
    page.get_by_label("Child's year group").select_option(label="NC Year")
    page.get_by_role("button", name="Check the contacts").click()

    assert "2 new contacts" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Import 2 contacts").click()
    assert "Imported 2 new" in page.locator(".govuk-notification-banner").inner_text()
    assert_accessible(page)
    with app.app_context():
        tom = db.session.scalar(sa.select(Contact).where(Contact.email == "tom.reed@example.org"))
        assert tom.year_groups == ["Reception", "Year 3"] and tom.name == "Tom Reed"


def test_the_response_rate_page_updates_as_responses_arrive(live_server, phone):
    app, page = live_server.app, phone
    app.config["RATES_POLL_MS"] = 300
    sign_in(page, live_server.url, "cio")
    page.goto(f"{live_server.url}/rates")
    assert_accessible(page)
    with app.app_context():
        survey = db.session.scalars(sa.select(Survey).order_by(Survey.opens_on.desc())).first()
        survey_id = survey.id
    little = school_id(app, "Little Hadley Primary School")
    selector = f'[data-rate-school="{little}"] [data-rate-responses]'
    before = int(page.locator(selector).inner_text())
    with app.app_context():
        for _ in range(7):
            db.session.add(Response(survey_id=survey_id, school_id=little, submitted_on=date.today(),
                                    idempotency_key=uuid.uuid4().hex))
        db.session.commit()
    page.wait_for_function(
        "([selector, expected]) => document.querySelector(selector).textContent === expected",
        arg=[selector, str(before + 7)], timeout=10000)
    page.goto(f"{live_server.url}/rates/schools/{little}")
    assert "Fewer than 10 responses" in page.locator("main").inner_text()
    assert_accessible(page)


@pytest.fixture
def smtp(live_server):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    live_server.app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port,
                                  PUBLIC_BASE_URL=live_server.url)
    yield inbox
    controller.stop()


def test_invitations_go_with_progress_on_the_page_and_the_emailed_link_opens_the_survey(live_server, desktop, phone, smtp):
    app, page = live_server.app, desktop
    with app.app_context():
        survey_id = db.session.scalar(sa.select(Survey.id).where(Survey.access_mode == "tokens"))
    smtp.delay = 0.05  # slow enough that the page sees the sending under way
    sign_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/invitations")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Staff survey")).click()
    before = int(page.locator('[data-progress-count="sent"]').inner_text())
    page.get_by_role("button", name=re.compile("Invite people added since the last send")).click()
    assert "Sending 88 invitations" in page.locator(".govuk-notification-banner").inner_text()
    assert_accessible(page)
    # The script polls progress and updates the counts until nothing is waiting.
    page.wait_for_function(
        "() => document.querySelector('[data-progress-count=\"queued\"]').textContent === '0'"
        " && document.querySelector('[data-progress-count=\"sending\"]').textContent === '0'",
        timeout=30000)
    assert int(page.locator('[data-progress-count="sent"]').inner_text()) == before + 88
    assert "(100%)" in page.locator("[data-progress-summary]").inner_text()
    assert len(smtp.messages) == 88

    link = re.search(r"(http://127\.0\.0\.1:\d+/i/\S+)", smtp.text(smtp.messages[0])).group(1)
    phone.goto(link)
    assert "Staff survey" in phone.locator("h1").inner_text()
    assert_accessible(phone)
    page.goto(f"{live_server.url}/surveys/{survey_id}/outbox")
    assert smtp.messages[0]["To"] in page.locator("main").inner_text()
    assert_accessible(page)
