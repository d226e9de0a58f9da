"""A parent's disclosure reaches only the DSL; the CIO opens the evidence pack. axe on each page."""

import pytest

from app.demo import DEMO_DOMAIN, DEMO_PASSWORD
from tests.browser.conftest import assert_accessible
from tests.browser.test_parent_journey import open_survey_link

pytestmark = pytest.mark.browser

DISCLOSURE = 'I am scared to go home <script>alert("x")</script><img src=x onerror=alert(2)>'


def sign_in(page, url, who):
    page.goto(f"{url}/sign-in")
    page.fill("#email", f"{who}@{DEMO_DOMAIN}")
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def answer_with_comment(page, url, code, questions, comment):
    page.goto(f"{url}/s/{code}")
    page.locator("textarea[name=q_comments]").fill(comment)
    page.locator("input[name=q_year_group][value='3']").check()
    page.locator("input[name=q_has_send][value='0']").check()
    for key, kind, conditional in questions:
        if kind == "agree5" and not conditional:
            page.locator(f"input[name=q_{key}][value='4']").check()
    page.locator("input[name=q_recommend][value='1']").check()
    page.get_by_role("button", name="Send my answers").click()
    assert page.locator(".govuk-panel__title").inner_text() == "Thank you"


def test_a_disclosure_goes_to_the_dsl_who_records_what_they_did(live_server, phone, browser):
    url = live_server.url
    _, code, _, questions = open_survey_link(live_server.app, "Ashby Road Primary School")
    answer_with_comment(phone, url, code, questions, DISCLOSURE)

    dialogs = []
    phone.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(phone, url, "dsl1")
    phone.goto(f"{url}/safeguarding")
    assert phone.locator("h1").inner_text() == "Safeguarding comments"
    waiting = phone.locator("[data-testid=waiting] li")
    assert waiting.count() == 2  # the demo's own disclosure and this one
    assert_accessible(phone)

    waiting.last.get_by_role("link").click()
    assert phone.get_by_test_id("comment-text").inner_text() == DISCLOSURE
    assert not dialogs
    assert_accessible(phone)
    phone.get_by_role("button", name="Record what I did").click()
    assert "Enter what you did" in phone.locator(".govuk-error-summary").inner_text()
    assert_accessible(phone)
    phone.get_by_label("What did you do?").fill("Logged on CPOMS and told the class teacher.")
    phone.get_by_role("button", name="Record what I did").click()
    assert "Recorded" in phone.locator(".govuk-notification-banner").inner_text()
    assert phone.locator("[data-testid=waiting] li").count() == 1
    assert "Logged on CPOMS" in phone.locator("[data-testid=handled]").inner_text()
    assert_accessible(phone)

    head = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(head, url, "head1")
    assert head.goto(f"{url}/safeguarding").status == 404
    head.goto(f"{url}/reports")
    head.get_by_role("link", name="Comments for Ashby Road Primary School").click()
    assert "scared to go home" not in head.locator("main").inner_text()
    assert_accessible(head)
    head.context.close()


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_cio_opens_the_evidence_pack_and_its_pdf(live_server, request, device):
    page = request.getfixturevalue(device)
    url = live_server.url
    sign_in(page, url, "cio")
    page.goto(f"{url}/reports")
    assert_accessible(page)
    # Generous: the first view draws every chart (later views reuse them).
    page.get_by_role("link", name="CIO evidence pack for Ashby Road Primary School").click(timeout=120_000)
    assert page.locator("h1").inner_text() == "CIO evidence pack"
    assert page.locator("img.sv-chart").count() >= 6
    main = page.locator("main").inner_text()
    assert "Summary by priority" in main and "Category by area" in main and "Overall:" in main
    assert_accessible(page)
    href = page.get_by_role("link", name="Download PDF").get_attribute("href")
    # Generous: two shared cores render a 14-page pack with charts in about 10-20 seconds.
    pdf = page.request.get(f"{url}{href}", timeout=120_000)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF-")
    for name in ("Termly SGC overview", "Wellbeing committee pack", "You said, we did"):
        page.goto(f"{url}/reports")
        page.get_by_role("link", name=f"{name} for Ashby Road Primary School").click()
        assert page.locator("h1").inner_text() == name
        assert_accessible(page)


def comment_line(page, text):
    return page.locator("li.sv-comment", has_text=text).first


def test_a_trust_admin_edits_names_and_keywords_and_the_head_sees_them_applied(
        live_server, desktop, browser):
    url = live_server.url
    head = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in(head, url, "head1")
    head.goto(f"{url}/reports")
    head.get_by_role("link", name="Comments for Ashby Road Primary School").click()
    line = comment_line(head, "in the office for sorting out cover")
    assert "Thank you to Amira in the office" in line.inner_text()
    assert "Wellbeing" not in line.inner_text()

    sign_in(desktop, url, "admin")
    desktop.goto(f"{url}/word-lists")
    assert_accessible(desktop)
    desktop.get_by_role("link", name="Change names for Ashby Road Primary School").click()
    desktop.get_by_label("Words and phrases, one a line").fill("Amira\n" + "x" * 61)
    desktop.get_by_role("button", name="Save the list").click()
    assert "too long" in desktop.locator(".govuk-error-summary").inner_text()
    assert desktop.get_by_label("Words and phrases, one a line").input_value().startswith("Amira\n")
    assert_accessible(desktop)
    desktop.get_by_label("Words and phrases, one a line").fill("Amira\nBen")
    desktop.get_by_role("button", name="Save the list").click()
    assert "saved" in desktop.locator(".govuk-notification-banner").inner_text()
    desktop.get_by_role("link", name="Change keywords for Wellbeing").click()
    words = desktop.get_by_label("Words and phrases, one a line")
    words.fill(words.input_value() + "\nthank you")
    desktop.get_by_role("button", name="Save the list").click()
    assert "thank you" in desktop.locator("main").inner_text()

    head.reload()
    line = comment_line(head, "in the office for sorting out cover")
    assert "Thank you to [name removed] in the office" in line.inner_text()
    assert "Amira" not in head.locator("main").inner_text()
    assert "Wellbeing" in line.locator(".govuk-tag").all_inner_texts()
    assert_accessible(head)
    head.context.close()
