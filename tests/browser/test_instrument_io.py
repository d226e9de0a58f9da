"""A trust admin downloads an instrument as a spreadsheet, edits it, and imports it back as a draft."""

import json

import openpyxl
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Instrument
from tests.browser.conftest import assert_accessible
from tests.browser.test_authoring_journey import sign_in

pytestmark = pytest.mark.browser


def test_a_trust_admin_exports_edits_and_imports_an_instrument(live_server, desktop, tmp_path):
    app, page = live_server.app, desktop
    sign_in(page, live_server.url)
    page.get_by_role("link", name="Instruments").click()
    page.get_by_role("link", name="Pupil survey (Key Stage 1)").first.click()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="spreadsheet (XLSForm, .xlsx)").click()
    spreadsheet = tmp_path / download.value.suggested_filename
    download.value.save_as(spreadsheet)
    assert spreadsheet.name.startswith("pupil_ks1-v") and spreadsheet.suffix == ".xlsx"
    with page.expect_download() as download:
        page.get_by_role("link", name="JSON").click()
    assert json.loads(download.value.path().read_text(encoding="utf-8"))["key"] == "pupil_ks1"

    # Reword one question, and by mistake give another a priority the trust does not have.
    book = openpyxl.load_workbook(spreadsheet)
    survey = book["survey"]
    header = [cell.value for cell in survey[1]]
    survey.cell(row=3, column=header.index("label") + 1, value="Do you like coming to school?")
    survey.cell(row=4, column=header.index("priority") + 1, value="astrology")
    book.save(spreadsheet)

    page.get_by_role("link", name="All instruments").click()
    page.get_by_role("button", name="Import an instrument").click()
    assert_accessible(page)
    page.get_by_role("button", name="Import as a draft").click()  # no file chosen
    assert "Choose a file to import" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Instrument file").set_input_files(str(spreadsheet))
    page.get_by_role("button", name="Import as a draft").click()
    assert "Nothing was imported" in page.locator(".govuk-error-summary").inner_text()
    problems = page.get_by_role("region", name="Problems in the file").inner_text()
    assert "Sheet ‘survey’, row 4, column ‘priority’" in problems and "Choose a priority from the list" in problems
    assert_accessible(page)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(Instrument.key == "pupil_ks1")) == 1

    # Fixed: it becomes a draft of the next version, with the changed wording shown.
    book = openpyxl.load_workbook(spreadsheet)
    book["survey"].cell(row=4, column=header.index("priority") + 1, value="wellbeing")
    book.save(spreadsheet)
    page.get_by_label("Instrument file").set_input_files(str(spreadsheet))
    page.get_by_role("button", name="Import as a draft").click()
    assert "made a draft of Pupil survey (Key Stage 1) (version 2)" in page.locator("main").inner_text()
    assert "Do you like coming to school?" in page.locator("main").inner_text()
    assert_accessible(page)
    with app.app_context():
        draft = db.session.scalar(sa.select(Instrument).where(Instrument.key == "pupil_ks1", Instrument.version == 2))
        assert draft.status == "draft" and draft.questions[1].text == "Do you like coming to school?"
        actions = db.session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.action.in_(["export_instrument", "import_instrument", "import_instrument_refused"]))).all()
        assert sorted(actions) == ["export_instrument", "export_instrument", "import_instrument",
                                   "import_instrument_refused"]


def test_the_import_page_works_on_a_phone(live_server, phone):
    sign_in(phone, live_server.url)
    phone.goto(f"{live_server.url}/instruments/import")
    assert phone.locator("h1").inner_text() == "Import an instrument"
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(phone)
