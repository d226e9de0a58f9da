"""Instrument import and export (JSON and XLSForm) over HTTP: round trips, clashes, bad files, access."""

import io
import json
import re
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
import sqlalchemy as sa
from werkzeug.test import EnvironBuilder

from app.extensions import db
from app.models import AuditEvent, Instrument, Question, User
from app.surveys import authoring, interchange
from tests.builders import builtin_instrument, make_first_primary

# Fields a new draft sets for itself; every other column must survive export then import.
LIFECYCLE = {"id", "instrument_id", "version", "status", "published_at"}
INSTRUMENT_COLUMNS = [a.key for a in sa.inspect(Instrument).column_attrs if a.key not in LIFECYCLE]
QUESTION_COLUMNS = [a.key for a in sa.inspect(Question).column_attrs if a.key not in LIFECYCLE]
FORMATS = ["json", "xlsx"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def trust(app):
    with app.app_context():
        make_first_primary()
        db.session.commit()


@pytest.fixture
def admin(client, auth, trust):
    auth.sign_in("admin@trust.example")
    return client


def everything(app, instrument_id):
    """Every field of an instrument and its questions, but the ones a new draft sets itself."""
    with app.app_context():
        found = db.session.get(Instrument, instrument_id)
        return ({name: getattr(found, name) for name in INSTRUMENT_COLUMNS},
                [{name: getattr(q, name) for name in QUESTION_COLUMNS} for q in found.questions])


def counts(app):
    with app.app_context():
        return (db.session.scalar(sa.select(sa.func.count()).select_from(Instrument)),
                db.session.scalar(sa.select(sa.func.count()).select_from(Question)))


def upload(client, data, filename="instrument.xlsx", **fields):
    form = {"on_clash": "version", "key": "", **fields, "file": (io.BytesIO(data), filename)}
    builder = EnvironBuilder(path="/instruments/import", method="POST", data=form)
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        # The test client spools big bodies to a temporary file that nothing else closes.
        environ["wsgi.input"].close()
        builder.close()


def imported_id(response):
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def workbook(survey, choices=None, settings=None):
    """An XLSForm file from lists of rows (the first row of each names the columns)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    settings = settings if settings is not None else [
        ["form_id", "form_title", "audience"], ["club_survey", "Club survey", "parent"]]
    sheets = {"survey": survey, "choices": choices if choices is not None else [["list_name", "name", "label"]],
              "settings": settings}
    for title, rows in sheets.items():
        if rows is False:
            continue
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


SURVEY_HEADER = ["type", "name", "label", "priority", "relevant"]


def problems_on(response):
    """The (where, problem) rows of the import page's table of problems."""
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Nothing was imported" in text, text[:2000]
    rows = re.findall(r'<td class="govuk-table__cell sv-wrap">(.*?)</td>\s*<td class="govuk-table__cell sv-wrap">(.*?)</td>',
                      text, re.S)
    return [(where.strip(), problem.strip()) for where, problem in rows]


# Round trips --------------------------------------------------------------------------------

@pytest.mark.parametrize("file_format", FORMATS)
@pytest.mark.parametrize("key", ["parent", "staff", "pupil_ks1", "pupil_ks2"])
def test_every_builtin_instrument_survives_export_then_import_field_for_field(app, admin, key, file_format):
    with app.app_context():
        original = builtin_instrument(key).id
        db.session.commit()
    exported = admin.get(f"/instruments/{original}/export.{file_format}")
    assert exported.status_code == 200
    assert f'filename="{key}-v1.{file_format}"' in exported.headers["Content-Disposition"]
    new = imported_id(upload(admin, exported.data, f"{key}.{file_format}"))
    assert everything(app, new) == everything(app, original)
    with app.app_context():
        draft = db.session.get(Instrument, new)
        assert (draft.key, draft.version, draft.status, draft.published_at) == (key, 2, "draft", None)
        assert db.session.get(Instrument, original).status == "published"


def authored_with_every_feature(app):
    """A published version 2 of an authored instrument that uses every feature a question has."""
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@trust.example"))
        draft = authoring.create_instrument(
            admin, "club_survey", "Club survey <b>2026</b>", "parent",
            description="=HYPERLINK(\"http://evil.example\")\nSecond line", attribution="© Trust; ‘quoted’",
        )
        questions = [
            {"key": "year", "text": "Which year is your child in?", "type": "single",
             "options": ["Year 1", "Year 2", "+44 Year 3"], "section": "About your child"},
            {"key": "happy", "text": "My child is happy at <script>alert(1)</script> club.", "type": "agree5",
             "priority_key": "wellbeing", "required": True, "dont_know": True, "positive": [5],
             "hint": "-think of this term-", "read_aloud": "Is your child happy? 😀", "section": "The club",
             "translations": {"cy": "Mae fy mhlentyn yn hapus.", "pl": "Moje dziecko jest szczęśliwe.",
                              "ur": "میرا بچہ خوش ہے۔"}, "labels": ["Never", "Rarely", "Sometimes", "Often", "Always"]},
            {"key": "worried", "text": "My child is worried.", "type": "agree5", "priority_key": "wellbeing",
             "reverse": True, "scale": "club.worry", "section": "The club"},
            {"key": "face", "text": "How does the club feel?", "type": "faces3", "reverse": False,
             "labels": ["Sad", "Meh", "Glad"], "priority_key": "inclusion"},
            {"key": "send", "text": "Does your child have SEND?", "type": "yes_no", "context": "send"},
            {"key": "send_help", "text": "The club helps with SEND.", "type": "agree5",
             "condition": {"question": "send", "values": [1]}, "priority_key": "inclusion"},
            {"key": "days", "text": "Which days?", "type": "multiple", "options": ["Mon", "Tue", "Wed"],
             "positive": [1, 3]},
            {"key": "recommend", "text": "How likely are you to recommend it?", "type": "scale010",
             "positive": [8, 9, 10], "condition": {"question": "days", "values": [1, 2]}},
            {"key": "why", "text": "Anything else?", "type": "text",
             "condition": {"question": "happy", "values": [1, 2, 3]}},
        ]
        for data in questions:
            authoring.add_question(admin, draft, data)
        authoring.publish(admin, draft, "First version")
        second = authoring.new_version(admin, draft)
        authoring.update_question(admin, second, "worried", {
            **{name: getattr(second.question("worried"), name) for name in (
                "key", "type", "priority_key", "reverse", "section")},
            "text": "My child seems worried at the club."})
        authoring.publish(admin, second, "Reworded ‘worried’")
        assert second.question("worried").previous_text == "My child is worried."
        return second.id


@pytest.mark.parametrize("file_format", FORMATS)
def test_an_authored_instrument_using_every_feature_survives_export_then_import(app, admin, file_format):
    original = authored_with_every_feature(app)
    exported = admin.get(f"/instruments/{original}/export.{file_format}")
    new = imported_id(upload(admin, exported.data, f"club.{file_format}", key="club_copy"))
    fields, questions = everything(app, new)
    original_fields, original_questions = everything(app, original)
    assert questions == original_questions
    assert fields == {**original_fields, "key": "club_copy"}
    with app.app_context():
        copy = db.session.get(Instrument, new)
        assert (copy.version, copy.status) == (1, "draft")
        assert copy.question("happy").labels == ["Never", "Rarely", "Sometimes", "Often", "Always"]


def test_the_spreadsheet_follows_xlsform_and_stores_formula_like_text_as_text(app, admin):
    original = authored_with_every_feature(app)
    book = openpyxl.load_workbook(io.BytesIO(admin.get(f"/instruments/{original}/export.xlsx").data))
    assert book.sheetnames == ["survey", "choices", "settings"]
    survey = list(book["survey"].values)
    header = survey[0]
    assert header[:6] == ("type", "name", "label", "label::Cymraeg (cy)", "label::Polski (pl)", "label::اردو (ur)")
    rows = {row[1]: dict(zip(header, row)) for row in survey[1:]}
    assert rows["year"]["type"] == "select_one options_year"
    assert rows["happy"]["type"] == "select_one agree5_happy" and rows["happy"]["required"] == "yes"
    assert rows["worried"]["type"] == "select_one agree5"
    assert rows["days"]["type"] == "select_multiple options_days"
    assert rows["send_help"]["relevant"] == "selected(${send}, '1')"
    assert rows["why"]["relevant"] == "selected(${happy}, '1') or selected(${happy}, '2') or selected(${happy}, '3')"
    choices = [row for row in book["choices"].values][1:]
    assert ("options_year", "3", "+44 Year 3") in choices and ("yes_no", "1", "Yes") in choices
    settings = list(book["settings"].values)
    assert dict(zip(settings[0], settings[1]))["form_id"] == "club_survey"
    description = book["settings"]["F2"]
    assert description.data_type == "s" and description.value.startswith("=HYPERLINK")


def test_exports_are_audited_and_open_to_heads_but_imports_are_for_trust_admins(app, client, auth, trust):
    with app.app_context():
        parent = builtin_instrument("parent").id
        db.session.commit()
    auth.sign_in("head@first.example")
    exported = client.get(f"/instruments/{parent}/export.json")
    assert exported.status_code == 200 and exported.mimetype == "application/json"
    assert json.loads(exported.data)["key"] == "parent"
    assert client.get("/instruments/import").status_code == 404
    assert upload(client, exported.data, "parent.json").status_code == 404
    auth.sign_out()
    auth.sign_in("teacher@first.example")
    assert client.get(f"/instruments/{parent}/export.xlsx").status_code == 404
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "export_instrument")).all()
        assert [(e.detail["instrument_key"], e.detail["file_format"]) for e in events] == [("parent", "json")]


# Clashing keys ------------------------------------------------------------------------------

def test_a_clashing_key_makes_a_new_draft_version_and_never_changes_the_published_one(app, admin):
    with app.app_context():
        parent = builtin_instrument("parent").id
        db.session.commit()
    before = everything(app, parent)
    data = json.loads(admin.get(f"/instruments/{parent}/export.json").data)
    data["name"] = "Parent survey, reworded"
    data["questions"][2]["text"] = "My child is happy here."
    first = imported_id(upload(admin, json.dumps(data).encode(), "parent.json"))
    assert everything(app, parent) == before
    with app.app_context():
        draft = db.session.get(Instrument, first)
        assert (draft.version, draft.status, draft.name) == (2, "draft", "Parent survey, reworded")
        assert [(q, before) for q, before in authoring.changed_wordings(draft)] == [
            (draft.question("happy"), "My child is happy at this school.")]
    # A second import asks rather than guessing: the draft is kept until the author chooses to replace it.
    refused = upload(admin, json.dumps(data).encode(), "parent.json")
    assert problems_on(refused) == [("The file", "Version 2 of ‘parent’ is already a draft. Choose to replace "
                                                 "that draft, or import under a different key.")]
    data["questions"] = data["questions"][:3]
    replaced = imported_id(upload(admin, json.dumps(data).encode(), "parent.json", on_clash="replace"))
    assert replaced == first
    with app.app_context():
        assert len(db.session.get(Instrument, first).questions) == 3
        assert db.session.scalar(sa.select(sa.func.count()).where(Instrument.key == "parent")) == 2
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "import_instrument")
                                    .order_by(AuditEvent.id)).all()
        assert [(e.detail["version"], e.detail["replaced_draft"]) for e in events] == [(2, False), (2, True)]


def test_replacing_when_there_is_no_draft_makes_a_new_version(app, admin):
    with app.app_context():
        parent = builtin_instrument("parent").id
        db.session.commit()
    new = imported_id(upload(admin, admin.get(f"/instruments/{parent}/export.xlsx").data, on_clash="replace"))
    with app.app_context():
        assert db.session.get(Instrument, new).version == 2


def test_the_builtin_json_files_import_as_they_are(app, admin):
    from app.surveys.library import BUILTIN_DIR
    new = imported_id(upload(admin, (BUILTIN_DIR / "pupil_ks1.json").read_bytes(), "pupil_ks1.json"))
    with app.app_context():
        draft = db.session.get(Instrument, new)
        assert (draft.key, draft.version, len(draft.questions)) == ("pupil_ks1", 1, 12)
        assert draft.questions[1].read_aloud and draft.questions[1].priority_key


# Bad files: every problem, where it is, and nothing stored ------------------------------------

def test_a_spreadsheet_with_many_problems_lists_each_with_its_row_and_stores_nothing(app, admin):
    before = counts(app)
    data = workbook([
        SURVEY_HEADER,
        ["select_one agree5", "happy", "My child is happy.", "wellbeing", None],
        ["integer", "age", "How old?", None, None],
        ["select_one agree5", "happy", "Happy again?", "wellbeing", None],
        ["select_one agree5", "safe", "Safe?", "astrology", None],
        ["text", "why", "Why?", None, "selected(${later}, '1')"],
        ["select_one yes_no", "later", "Later?", None, None],
        ["text", "what", "What?", None, "selected(${ghost}, '1')"],
        ["select_one agree5", "odd", "Odd?", None, "selected(${happy}, '9')"],
        ["select_one colours", "colour", "Colour?", None, None],
        ["text", "Bad Key", "<script>alert(1)</script>", None, None],
        ["text", "cond", "Cond?", None, "${happy} > 3"],
    ])
    rows = problems_on(upload(admin, data))
    assert rows == [
        ("Sheet ‘survey’, row 3, column ‘type’",
         "‘integer’ is not a type we can ask: use select_one, select_multiple or text."),
        ("Sheet ‘survey’, row 4, column ‘name’", "A question with the key ‘happy’ is already in this instrument."),
        ("Sheet ‘survey’, row 5, column ‘priority’", "Choose a priority from the list."),
        ("Sheet ‘survey’, row 6, column ‘relevant’", "A question can only depend on the answer to an earlier question."),
        ("Sheet ‘survey’, row 8, column ‘relevant’", "A question can only depend on the answer to an earlier question."),
        ("Sheet ‘survey’, row 9, column ‘relevant’", "Use answer codes of ‘happy’: 5, 4, 3, 2, 1."),
        ("Sheet ‘survey’, row 10, column ‘type’", "There is no list ‘colours’ in sheet ‘choices’."),
        ("Sheet ‘survey’, row 11, column ‘name’",
         "The key must start with a lower-case letter and use only a-z, 0-9 and _ (60 characters at most)."),
        ("Sheet ‘survey’, row 12, column ‘relevant’",
         "Write a condition as selected(${question}, &#39;code&#39;), joined by ‘or’ for more than one answer."),
    ]
    assert counts(app) == before
    with app.app_context():
        refused = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "import_instrument_refused"))
        assert refused.detail["problems"] == len(rows)


def workbook_without(sheet):
    sheets = {"survey": [SURVEY_HEADER, ["text", "why", "Why?", None, None]], sheet: False}
    return workbook(**sheets)


@pytest.mark.parametrize("data, filename, expected", [
    (b"", "empty.json", [("The file", "The file is empty.")]),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "photo.png",
     [("The file", "This is neither an instrument in JSON nor an XLSForm spreadsheet (.xlsx).")]),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.xls",
     [("The file", "This is an old Excel file (.xls): save it as an Excel workbook (.xlsx) and upload that.")]),
    (b"PK\x03\x04 not really a zip", "broken.xlsx",
     [("The file", "This spreadsheet is damaged or is not an Excel workbook (.xlsx).")]),
    (b"{\"key\": ", "cut.json", [("line 1, column 9", "This is not valid JSON (Expecting value).")]),
    (b"[" * 100000 + b"]" * 100000, "deep.json",
     [("The file", "This JSON is nested too deeply or holds numbers too large to read.")]),
    (b"[1, 2]", "list.json",
     [("$", "The file must hold one JSON object, {…}, describing an instrument.")]),
    ("{\"name\": \"x\"}".encode("utf-16"), "utf16.json",
     [("The file", "This is neither an instrument in JSON nor an XLSForm spreadsheet (.xlsx).")]),
    (workbook_without("survey"), "f.xlsx", [("Sheet ‘survey’", "The spreadsheet has no sheet with this name.")]),
    (workbook_without("settings"), "f.xlsx", [("Sheet ‘settings’", "The spreadsheet has no sheet with this name.")]),
    (workbook([["type", "label"], ["text", "Why?"]]), "f.xlsx", [
        ("Sheet ‘survey’", "There is no ‘name’ column."),
        ("Sheet ‘survey’, row 2, column ‘name’", "Enter a key for the question."),
    ]),
    (workbook([SURVEY_HEADER, ["text", "why", "Why?", None, None]], settings=[["form_id"], ["Club"]]), "f.xlsx", [
        ("Sheet ‘settings’", "There is no ‘form_title’ column."),
        ("Sheet ‘settings’", "There is no ‘audience’ column."),
        ("Sheet ‘settings’, row 2, column ‘form_id’",
         "The key must start with a lower-case letter and use only a-z, 0-9 and _ (60 characters at most)."),
        ("Sheet ‘settings’, row 2, column ‘form_title’", "Enter a name for the instrument."),
        ("Sheet ‘settings’, row 2, column ‘audience’",
         "Choose who answers the instrument (one of parent, staff, pupil_ks1, pupil_ks2)."),
    ]),
    (workbook([SURVEY_HEADER + ["constraint", "label::Français (fr)"], ["text", "why", "Why?", None, None, ". > 1", "Pourquoi?"]]),
     "f.xlsx", [
        ("Sheet ‘survey’, column ‘constraint’", "This is not a column we read: remove it."),
        ("Sheet ‘survey’, column ‘label::Français (fr)’",
         "We keep translations in Welsh (Cymraeg) (cy), Polish (Polski) (pl), Urdu (اردو) (ur) only."),
    ]),
    (workbook([SURVEY_HEADER + ["required", "positive"], ["select_one agree5", "happy", "Happy?", None, None, "maybe", "4, five"]]),
     "f.xlsx", [
        ("Sheet ‘survey’, row 2, column ‘required’", "Write yes, or leave it empty for no."),
        ("Sheet ‘survey’, row 2, column ‘positive’",
         "Write answer codes as whole numbers separated by commas, for example 4, 5."),
    ]),
    (workbook([SURVEY_HEADER, ["select_one agree5_own", "happy", "Happy?", None, None]],
              choices=[["list_name", "name", "label"], ["agree5_own", "1", "Low"], ["agree5_own", "1", "Lower"]]),
     "f.xlsx", [
        ("Sheet ‘choices’, list ‘agree5_own’", "This list needs the names 1, 2, 3, 4, 5, one each."),
        ("Sheet ‘choices’, row 3", "The name ‘1’ is used twice in list ‘agree5_own’."),
    ]),
    (workbook([SURVEY_HEADER]), "f.xlsx", [("The file", "The file has no questions.")]),
    (workbook([SURVEY_HEADER, ["text", "why", "=CONCAT(\"Wh\", \"y?\")", None, None]]), "f.xlsx", [
        ("Sheet ‘survey’, cell C2", "This cell holds a formula: type its value instead.")]),
    (json.dumps({"key": "club", "name": 5, "audience": "parent", "colour": "red", "questions": [
        {"key": "happy", "text": "Happy?", "type": "agree5", "required": "yes", "positive": ["4"]},
        "not a question",
        {"key": "pick", "text": "Pick", "type": "single", "options": ["Only one"], "priority_key": "astrology"},
        {"key": "why", "text": "Why?", "type": "essay", "condition": {"question": "happy", "values": [9]}},
        {"key": "happy", "text": "Again?", "type": "text", "translations": {"fr": "Encore?"}},
    ]}).encode(), "club.json", [
        ("$.colour", "This is not a field of an instrument."),
        ("$.name", "This must be text."),
        ("$.name", "Enter a name for the instrument."),
        ("$.questions[0].required", "This must be true or false."),
        ("$.questions[0].positive", "This must be a list of whole-number answer codes."),
        ("$.questions[1]", "Each question must be an object, { … }."),
        ("$.questions[2].priority_key", "Choose a priority from the list."),
        ("$.questions[2].options", "Give at least two answers to choose from, one a line."),
        ("$.questions[3].condition", "Use answer codes of ‘happy’: 5, 4, 3, 2, 1."),
        ("$.questions[3].type", "Choose a type of question (one of agree5, faces3, yes_no, single, multiple, "
                                "scale010, text)."),
        ("$.questions[4].key", "A question with the key ‘happy’ is already in this instrument."),
        ("$.questions[4].translations", "Choose a language from the list."),
    ]),
])
def test_bad_files_get_every_problem_listed_and_nothing_is_stored(app, admin, data, filename, expected):
    before = counts(app)
    assert problems_on(upload(admin, data, filename)) == expected
    assert counts(app) == before


def test_a_spreadsheet_that_unpacks_to_something_huge_is_refused_unread(app, admin):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (25 * 1024 * 1024))
    assert len(buffer.getvalue()) < 1024 * 1024
    assert problems_on(upload(admin, buffer.getvalue())) == [
        ("The file", "This spreadsheet unpacks to far more than an instrument needs; it cannot be read.")]


def test_a_file_over_the_instrument_limit_gets_a_clear_message_and_a_huge_one_is_refused(app, admin):
    before = counts(app)
    assert problems_on(upload(admin, b"{" + b" " * (1024 * 1024 + 10) + b"}", "big.json")) == [
        ("The file", "The file is 1,024 KB: instrument files must be 1,024 KB (1 MB) or smaller.")]
    huge = upload(admin, b" " * (3 * 1024 * 1024), "huge.json")
    assert huge.status_code == 413 and "too large" in huge.get_data(as_text=True)
    assert counts(app) == before


def test_an_upload_without_a_file_or_with_a_bad_key_says_so(app, admin):
    page = admin.post("/instruments/import", data={"on_clash": "version"}, content_type="multipart/form-data")
    assert page.status_code == 200 and "Choose a file to import" in page.get_data(as_text=True)
    data = workbook([SURVEY_HEADER, ["text", "why", "Why?", None, None]])
    assert problems_on(upload(admin, data, key="Not A Key")) == [
        ("Key", "The key must start with a lower-case letter and use only a-z, 0-9 and _ (60 characters at most).")]
    page = upload(admin, data, on_clash="overwrite")
    assert page.status_code == 200 and "Not a valid choice" in page.get_data(as_text=True)


def test_html_and_unicode_in_a_file_are_kept_as_text_and_shown_escaped(app, admin):
    data = workbook([
        SURVEY_HEADER + ["label::Cymraeg (cy)", "hint"],
        ["select_one agree5", "happy", "<img src=x onerror=alert(1)> ‘Hapus’ 😀", "wellbeing", None,
         "<b>Hapus</b>", "Café\nnaïve"],
    ], settings=[["form_id", "form_title", "audience"], ["club_survey", "<script>x</script>", "parent"]])
    new = imported_id(upload(admin, data))
    with app.app_context():
        question = db.session.get(Instrument, new).questions[0]
        assert question.text == "<img src=x onerror=alert(1)> ‘Hapus’ 😀"
        assert (question.translations, question.hint) == ({"cy": "<b>Hapus</b>"}, "Café\nnaïve")
    page = admin.get(f"/instruments/{new}").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>x</script>" not in page


def test_a_kobotoolbox_style_form_with_groups_names_and_english_labels_imports(app, admin):
    data = workbook([
        ["type", "name", "label::English (en)", "required", "relevant", "$kuid"],
        ["start", "start", None, None, None, "a1"],
        ["begin_group", "club", "At the club", None, None, "a2"],
        ["select_one yn", "likes", "Do you like the club?", "true", None, "a3"],
        ["select_multiple days", "days", "Which days?", "false", "${likes} = 'yes'", "a4"],
        ["end_group", None, None, None, None, "a5"],
        ["text", "why", "Why?", None, "selected(${days}, 'mon') or selected(${days}, 'fri')", "a6"],
    ], choices=[["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"],
                ["days", "mon", "Monday"], ["days", "fri", "Friday"]])
    new = imported_id(upload(admin, data))
    with app.app_context():
        likes, days, why = db.session.get(Instrument, new).questions
        assert (likes.type, likes.options, likes.required, likes.section) == ("single", ["Yes", "No"], True, "At the club")
        assert (days.type, days.condition, days.section) == ("multiple", {"question": "likes", "values": [1]}, "At the club")
        assert (why.condition, why.section) == ({"question": "days", "values": [1, 2]}, None)


# Hostile files, generated ----------------------------------------------------------------------

HOSTILE = settings(max_examples=60, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4), max_leaves=20,
)
QUESTION_LIKE = st.fixed_dictionaries({}, optional={
    "key": st.sampled_from(["happy", "safe", "Bad Key", "", "x" * 61]) | TEXT,
    "text": TEXT, "type": st.sampled_from(["agree5", "faces3", "yes_no", "single", "multiple", "scale010",
                                           "text", "matrix"]) | JSON_VALUES,
    "priority_key": st.sampled_from(["wellbeing", "astrology", None]), "required": JSON_VALUES,
    "options": st.lists(TEXT, max_size=4) | JSON_VALUES, "positive": st.lists(st.integers(-2, 12), max_size=3),
    "condition": st.fixed_dictionaries({"question": st.sampled_from(["happy", "safe", "ghost"]),
                                        "values": st.lists(st.integers(-1, 11), max_size=3)}) | JSON_VALUES,
    "translations": st.dictionaries(st.sampled_from(["cy", "pl", "ur", "fr"]), TEXT, max_size=2),
    "labels": st.lists(TEXT, max_size=6), "scale": TEXT, "context": TEXT,
})
INSTRUMENT_LIKE = st.fixed_dictionaries(
    {"questions": st.lists(QUESTION_LIKE, max_size=5) | JSON_VALUES},
    optional={"key": st.sampled_from(["club", "parent", "Bad"]) | TEXT, "name": TEXT | JSON_VALUES,
              "audience": st.sampled_from(["parent", "staff", "martians"]) | JSON_VALUES,
              "description": TEXT, "format": st.sampled_from(["stakeholder-voice-instrument", "other"])},
)
CELLS = st.none() | TEXT | st.integers(-10, 10) | st.booleans() | st.sampled_from([
    "select_one agree5", "select_one options_x", "select_multiple yes_no", "text", "begin_group", "end_group",
    "selected(${happy}, '1')", "${happy} = 5", "happy", "wellbeing", "yes", "options_x"])


def import_quietly(app, data, filename):
    """Import through the service: a stored draft or a list of problems, never anything else."""
    with app.app_context():
        before = counts(app)
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@trust.example"))
        try:
            interchange.import_instrument(admin, filename, data, "replace")
        except interchange.ImportProblems as refused:
            assert refused.problems and all(str(problem) for problem in refused.problems)
            assert counts(app) == before
        else:
            assert counts(app)[0] in (before[0], before[0] + 1)


@HOSTILE
@given(data=st.binary(max_size=3000) | st.binary(max_size=3000).map(lambda b: b"PK\x03\x04" + b)
       | st.binary(max_size=3000).map(lambda b: b"{" + b))
def test_random_bytes_never_break_the_importer(app, trust, data):
    import_quietly(app, data, "random.bin")


@HOSTILE
@given(payload=INSTRUMENT_LIKE | JSON_VALUES)
def test_random_json_is_imported_whole_or_refused_with_problems(app, trust, payload):
    import_quietly(app, json.dumps(payload).encode(), "random.json")


@HOSTILE
@given(survey=st.lists(st.lists(CELLS, min_size=1, max_size=6), max_size=6),
       choices=st.lists(st.lists(CELLS, min_size=1, max_size=3), max_size=5),
       settings_row=st.lists(CELLS, min_size=3, max_size=3))
def test_random_spreadsheets_are_imported_whole_or_refused_with_problems(app, trust, survey, choices, settings_row):
    data = workbook([SURVEY_HEADER] + survey, [["list_name", "name", "label"]] + choices,
                    [["form_id", "form_title", "audience"], settings_row])
    import_quietly(app, data, "random.xlsx")


@pytest.mark.parametrize("data", [b"PK\x03\x04" + b"\xff" * 50, b"{" * 5000, b"\x00" * 10,
                                  json.dumps({"questions": [{"key": "a", "type": ["agree5"]}]}).encode()])
def test_hostile_uploads_over_http_answer_with_problems_not_errors(app, admin, data):
    before = counts(app)
    page = upload(admin, data, "hostile.xlsx")
    assert page.status_code == 200 and "Nothing was imported" in page.get_data(as_text=True)
    assert counts(app) == before


def test_publishing_an_imported_draft_keeps_only_wordings_that_really_changed(app, admin):
    with app.app_context():
        parent = builtin_instrument("parent").id
        db.session.commit()
    data = json.loads(admin.get(f"/instruments/{parent}/export.json").data)
    data["questions"][2]["previous_text"] = "A wording from another trust's history."
    data["questions"][3]["text"] = "My child feels safe here."
    draft = imported_id(upload(admin, json.dumps(data).encode(), "parent.json"))
    assert admin.post(f"/instruments/{draft}/publish", data={"change_note": ""}).status_code == 302
    with app.app_context():
        published = db.session.get(Instrument, draft)
        assert published.status == "published"
        assert {q.key: q.previous_text for q in published.questions if q.previous_text} == {
            "safe": "My child feels safe at this school."}
