"""Hostile files through the real import pages (school data, contacts): no 500s, a clear message
with row numbers, and every row or none."""

import codecs
import csv
import io
import re

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import Contact, ContactImport, SchoolMeasure
from tests.builders import make_school, make_trust, make_user

MEASURES_HEADER = ["urn", "measure", "value", "as_of", "source"]
CONTACTS_HEADER = ["Primary Email", "Forename", "Surname", "Year Group"]
FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)", "=HYPERLINK(\"http://x\")",
            "\uff1d1+1", "\t=1"]
HOSTILE_CELLS = FORMULAS + [
    "<script>alert(1)</script>", "\x00", '"', "a\nb", "\ufeff", "é", "Ω≈ç√", "x" * 3000, "",
    "100001", "100002", "attendance_pct", "95", "2025-01-01", "DfE", "ann@example.org",
    "Year 3", "R", "not-an-email", "07700 900001", "9" * 40,
]
SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture
def trust(app):
    with app.app_context():
        trust = make_trust()
        oak = make_school(trust, name="Oak Primary", urn="100001")
        make_school(trust, name="Elm Primary", urn="100002")
        make_user("cio@trust.example", "cio")
        make_user("head@oak.example", "head", oak)
        db.session.commit()
        return oak.id


def signed_in(app, email):
    client = app.test_client()
    client.post("/sign-in", data={"email": email, "password": "correct horse battery"})
    return client


def count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def encode(text, encoding):
    if encoding == "utf-16":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    return text.encode(encoding, errors="replace")


def hostile_files(header):
    """Random files: CSV text of hostile cells (with or without our header, in several encodings),
    or random bytes."""
    cell = st.one_of(st.sampled_from(HOSTILE_CELLS), st.text(max_size=30))
    row = st.lists(cell, max_size=len(header) + 2)
    good_header = st.just(header)

    @st.composite
    def csv_file(draw):
        rows = [draw(st.one_of(good_header, row))] + draw(st.lists(row, max_size=8))
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(rows)
        encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
        return encode(buffer.getvalue(), encoding)

    return st.one_of(csv_file(), st.binary(max_size=3000),
                     st.sampled_from([b"", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"PK\x03\x04\x14\x00",
                                      b"\xff\xfe\x00\x00", b"\x00" * 100, b"%PDF-1.7\n"]))


def error_shown(page):
    return "govuk-error-summary" in page or "govuk-error-message" in page


# School data (CIO): POST /categorisation/data/import

def post_measures(client, data):
    return client.post("/categorisation/data/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), "data.csv")}, follow_redirects=True)


@SETTINGS
@given(data=hostile_files(MEASURES_HEADER))
def test_hostile_school_data_files_are_refused_plainly_or_imported_whole(app, trust, data):
    client = signed_in(app, "cio@trust.example")
    before = count(app, SchoolMeasure)
    response = post_measures(client, data)
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 400), page[:2000]
    assert "<script>alert(1)</script>" not in page
    added = count(app, SchoolMeasure) - before
    if response.status_code == 400:
        assert error_shown(page) and added == 0, "a refused file must say why and store nothing"
        if "row(s) need fixing" in page:
            assert re.search(r'<td class="govuk-table__cell">\d+</td>', page), "rows by number"
    else:
        imported = re.search(r"Imported (\d+) value", page)
        assert imported and int(imported.group(1)) == added > 0


@pytest.mark.parametrize("data, message", [
    ("urn,measure,value,as_of,source\n100001,attendance_pct,95,2025-01-01,Café DfE\n".encode("cp1252"),
     "not UTF-8"),
    (encode("urn,measure,value,as_of,source\n100001,attendance_pct,95,2025-01-01,DfE\n", "utf-16"),
     "not UTF-8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not UTF-8"),
    (b"urn,measure,value,as_of,source\n100001,attendance_pct,95,2025-01-01,DfE\x00\n",
     "not a CSV text file"),
])
def test_school_data_in_the_wrong_encoding_or_binary_gets_a_clear_message(app, trust, data, message):
    client = signed_in(app, "cio@trust.example")
    response = post_measures(client, data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(app, SchoolMeasure) == 0


def test_school_data_saved_by_excel_with_a_byte_order_mark_imports(app, trust):
    client = signed_in(app, "cio@trust.example")
    data = "urn,measure,value,as_of,source\r\n100001,attendance_pct,95,2025-01-01,DfE\r\n"
    response = post_measures(client, data.encode("utf-8-sig"))
    assert "Imported 1 value(s)" in response.get_data(as_text=True)
    assert count(app, SchoolMeasure) == 1


@pytest.mark.parametrize("formula", FORMULAS[:5])
def test_a_formula_in_school_data_is_refused_with_its_row_and_nothing_imported(app, trust, formula):
    client = signed_in(app, "cio@trust.example")
    rows = [MEASURES_HEADER, ["100001", "attendance_pct", "95", "2025-01-01", "DfE"],
            ["100002", "attendance_pct", "96", "2025-01-01", formula]]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    response = post_measures(client, buffer.getvalue().encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Nothing was imported: 1 row(s) need fixing." in page
    assert '<td class="govuk-table__cell">3</td>' in page and "formula" in page
    assert count(app, SchoolMeasure) == 0


# Contacts (head): upload -> map columns -> preview -> confirm

def import_contacts(client, school_id, data):
    """Upload, map email/name columns, confirm. Returns (page, status of the last step)."""
    response = client.post(f"/schools/{school_id}/contacts/import", content_type="multipart/form-data",
                           data={"kind": "family", "file": (io.BytesIO(data), "contacts.csv")})
    if response.status_code != 302:
        return response.get_data(as_text=True), response.status_code, "upload"
    columns_url = response.headers["Location"]
    page = client.get(columns_url)
    assert page.status_code == 200
    columns = re.findall(r'<option value="(\d+)"', page.get_data(as_text=True))
    mapping = {"email": "0"} if "0" in columns else {}
    if "1" in columns:
        mapping["first_name"] = "1"
    response = client.post(columns_url, data=mapping)
    if response.status_code != 302:
        return response.get_data(as_text=True), response.status_code, "columns"
    preview_url = response.headers["Location"]
    preview = client.get(preview_url)
    assert preview.status_code == 200, preview.get_data(as_text=True)[:2000]
    response = client.post(preview_url, follow_redirects=True)
    return response.get_data(as_text=True), response.status_code, "confirm"


@SETTINGS
@given(data=hostile_files(CONTACTS_HEADER))
def test_hostile_contact_files_are_refused_plainly_or_imported_whole(app, trust, data):
    client = signed_in(app, "head@oak.example")
    before, imports_before = count(app, Contact), count(app, ContactImport)
    page, status, step = import_contacts(client, trust, data)
    assert status < 500, page[:2000]
    assert "<script>alert(1)</script>" not in page
    added = count(app, Contact) - before
    if step == "upload" or step == "columns":
        assert error_shown(page) and added == 0
    elif "nothing was imported" in page:
        assert added == 0 and re.search(r"Row \d+: ", page), "bad rows are named by number"
    else:
        # Done: the uploaded file kept between steps is gone (abandoned ones stay for their user).
        assert "Imported" in page and count(app, ContactImport) == imports_before


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_contacts_exported_with_a_bom_or_in_windows_encoding_keep_their_accents(app, trust, encoding):
    client = signed_in(app, "head@oak.example")
    text = "Primary Email,Forename\r\nzoe@example.org,Zoë\r\nrene@example.org,René\r\n"
    page, status, step = import_contacts(client, trust, text.encode(encoding))
    assert step == "confirm" and status == 200, page[:2000]
    with app.app_context():
        names = set(db.session.scalars(sa.select(Contact.name)))
    assert names == {"Zoë", "René"}


def test_a_utf16_or_binary_contact_file_is_refused_with_a_clear_message(app, trust):
    client = signed_in(app, "head@oak.example")
    for data in (encode("Primary Email\r\nann@example.org\r\n", "utf-16"), b"PK\x03\x04\x14\x00\x00"):
        page, status, step = import_contacts(client, trust, data)
        assert step == "upload" and "does not look like a CSV file" in page
    assert count(app, ContactImport) == 0 and count(app, Contact) == 0


def test_one_bad_contact_row_among_good_ones_imports_nothing_and_names_the_row(app, trust):
    client = signed_in(app, "head@oak.example")
    text = "Primary Email,Forename\nann@example.org,Ann\n=cmd|' /C calc'!A0,Evil\nbob@example.org,Bob\n"
    page, status, step = import_contacts(client, trust, text.encode())
    assert "1 rows need fixing, so nothing was imported." in page
    assert "Row 3:" in page
    assert count(app, Contact) == 0
