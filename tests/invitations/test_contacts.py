"""Contact lists: CSV upload, column mapping, preview with row numbers, all-or-nothing import, edit, delete."""

import io

import pytest
from werkzeug.test import EnvironBuilder
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Contact, ContactImport
from tests.builders import make_contact, make_school, make_trust, make_user

ARBOR_FAMILIES = (
    "Forename,Surname,Primary Email,Mobile,Year Group\n"
    "Ann,Smith,ann@example.org,07700 900001,Year 1\n"
    "Ann,Smith,ANN@example.org,,Y4\n"                      # same family, second child: merged
    "Bob,Jones,,+44 7700 900002,R\n"
    "Cat,Brown,cat@example.org,,3;5\n"
)


@pytest.fixture
def school(app):
    with app.app_context():
        trust = make_trust()
        school = make_school(trust, name="Oak Primary")
        other = make_school(trust, name="Elm Primary")
        make_user("head@oak.sch.uk", "head", school)
        make_user("head@elm.sch.uk", "head", other)
        db.session.commit()
        return school.id


def upload(client, school_id, text, kind="family", name="families.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(f"/schools/{school_id}/contacts/import",
                       data={"kind": kind, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def contacts(app, school_id):
    with app.app_context():
        return db.session.scalars(
            sa.select(Contact).where(Contact.school_id == school_id).order_by(Contact.id)).all()


def test_families_import_through_upload_map_preview_and_confirm(app, client, auth, school):
    auth.sign_in("head@oak.sch.uk")
    response = upload(client, school, ARBOR_FAMILIES)
    assert response.status_code == 302
    columns_url = response.headers["Location"]
    page = client.get(columns_url).get_data(as_text=True)
    assert '<option value="2" selected>Primary Email</option>' in page  # guessed from the heading
    response = client.post(columns_url, data={"first_name": "0", "last_name": "1", "email": "2",
                                              "mobile": "3", "year_group": "4"})
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "3 new contacts" in page and "1 repeated rows merged" in page
    assert contacts(app, school) == []  # nothing saved before confirming
    response = client.post(preview_url)
    assert response.status_code == 302
    saved = {c.email or c.mobile: c for c in contacts(app, school)}
    assert set(saved) == {"ann@example.org", "07700900002", "cat@example.org"}
    assert saved["ann@example.org"].year_groups == ["Year 1", "Year 4"]
    assert saved["ann@example.org"].mobile == "07700900001"
    assert saved["07700900002"].year_groups == ["Reception"]
    assert saved["cat@example.org"].year_groups == ["Year 3", "Year 5"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactImport)) == 0
        assert db.session.scalar(sa.select(AuditEvent.detail).where(
            AuditEvent.action == "contacts_import")) == {"kind": "family", "new": 3, "updated": 0}


def test_a_bad_file_is_refused_with_row_numbers_and_nothing_is_imported(app, client, auth, school):
    auth.sign_in("head@oak.sch.uk")
    bad = ("Forename,Surname,Primary Email,Mobile,Year Group\n"
           "Ann,Smith,ann@example.org,,Year 1\n"
           "Bob,Jones,not-an-email,,Year 2\n"
           "Cat,Brown,,,Year 3\n"
           "Dan,Green,dan@example.org,123,Year 9\n")
    columns_url = upload(client, school, bad).headers["Location"]
    preview_url = client.post(columns_url, data={"first_name": "0", "email": "2", "mobile": "3",
                                                 "year_group": "4"}).headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "Row 3: &#39;not-an-email&#39; is not an email address" in page
    assert "Row 4: no email address or mobile number" in page
    assert "Row 5: &#39;123&#39; is not a UK mobile number" in page
    assert "Import 1 contacts" not in page
    page = client.post(preview_url, follow_redirects=True).get_data(as_text=True)
    assert "3 rows need fixing, so nothing was imported." in page
    assert contacts(app, school) == []


def test_existing_contacts_are_merged_not_duplicated(app, client, auth, school):
    with app.app_context():
        make_contact(db.session.get(Contact.school.property.mapper.class_, school),
                     "ann@example.org", year_groups=["Year 2"])
        db.session.commit()
    auth.sign_in("head@oak.sch.uk")
    columns_url = upload(client, school, ARBOR_FAMILIES).headers["Location"]
    preview_url = client.post(columns_url, data={"email": "2", "mobile": "3", "year_group": "4",
                                                 "first_name": "0", "last_name": "1"}).headers["Location"]
    assert "1 already on the list" in client.get(preview_url).get_data(as_text=True)
    client.post(preview_url)
    ann = [c for c in contacts(app, school) if c.email == "ann@example.org"]
    assert len(ann) == 1 and ann[0].year_groups == ["Year 1", "Year 2", "Year 4"]
    assert ann[0].name == "Ann Smith"


@pytest.mark.parametrize("payload, message", [
    (b"", "The file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "does not look like a CSV file"),
    (b"Email\n", "a heading row but no contacts"),
    (b"Email\n" + b"a@example.org\n" * 11, "The file has 11 rows; up to 10 can be imported at once"),
])
def test_unreadable_empty_and_too_long_files_get_a_clear_message(app, client, auth, school, payload, message):
    app.config["CONTACTS_MAX_ROWS"] = 10
    auth.sign_in("head@oak.sch.uk")
    response = upload(client, school, payload)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactImport)) == 0


def test_a_file_over_the_upload_limit_is_refused(app, client, auth, school):
    auth.sign_in("head@oak.sch.uk")
    builder = EnvironBuilder(
        path=f"/schools/{school}/contacts/import", method="POST",
        data={"kind": "family", "file": (io.BytesIO(b"Email\n" + b"someone@example.org\n" * 200_000), "big.csv")},
    )
    environ = builder.get_environ()
    try:
        response = client.open(environ)
    finally:
        # The test client spools big bodies to a temporary file that nothing else closes.
        environ["wsgi.input"].close()
        builder.close()
    assert response.status_code == 413
    assert "larger than we accept" in response.get_data(as_text=True)


def test_mapping_without_an_email_column_is_refused_and_kept(app, client, auth, school):
    auth.sign_in("head@oak.sch.uk")
    columns_url = upload(client, school, ARBOR_FAMILIES).headers["Location"]
    response = client.post(columns_url, data={"first_name": "0", "email": "", "mobile": "",
                                              "year_group": "4"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose the column that holds the email address or mobile number." in page
    assert '<option value="0" selected>Forename</option>' in page


def test_another_schools_head_cannot_see_or_use_the_import(app, client, auth, school):
    auth.sign_in("head@oak.sch.uk")
    columns_url = upload(client, school, ARBOR_FAMILIES).headers["Location"]
    auth.sign_out()
    auth.sign_in("head@elm.sch.uk")
    assert client.get(columns_url).status_code == 404
    assert client.get(f"/schools/{school}/contacts").status_code == 404


def test_a_contact_can_be_edited_and_deleted_for_good(app, client, auth, school):
    with app.app_context():
        from app.models import School
        contact = make_contact(db.session.get(School, school), "old@example.org", year_groups=["Year 1"])
        db.session.commit()
        contact_id = contact.id
    auth.sign_in("head@oak.sch.uk")
    response = client.post(f"/schools/{school}/contacts/{contact_id}/edit",
                           data={"email": "not an email", "year_groups": ["Year 2"]})
    assert "is not an email address" in response.get_data(as_text=True)
    client.post(f"/schools/{school}/contacts/{contact_id}/edit",
                data={"email": "New@Example.org", "year_groups": ["Year 2", "Year 6"]})
    (saved,) = contacts(app, school)
    assert saved.email == "new@example.org" and saved.year_groups == ["Year 2", "Year 6"]
    assert client.post(f"/schools/{school}/contacts/{contact_id}/delete").status_code == 302
    assert contacts(app, school) == []
