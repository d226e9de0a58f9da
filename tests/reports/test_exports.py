"""Exports: read back with csv/openpyxl/pandas; suppression, formula safety, audit and access."""

import csv
import io

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, CommentFlag
from app.reports.exports import neutralise
from tests.builders import make_response, make_school, make_survey, make_trust, make_user

EVIL_SCHOOL = "=HYPERLINK(\"http://evil.example\",\"click\")"


@pytest.fixture
def data(app):
    """A 12 parents, B 9 (under 10), C 15 named like a formula; the survey titled like one too."""
    with app.app_context():
        trust = make_trust()
        a, b = make_school(trust, "Alpha Primary"), make_school(trust, "Beta Primary")
        c = make_school(trust, EVIL_SCHOOL)
        survey = make_survey([a, b, c], title="@SUM(A1:A9)")
        for index in range(12):
            make_response(survey, a, {"happy": 5 if index < 9 else 2, "year_group": 1 + index % 2,
                                      "comments": "-2+3 lovely school"})
        for _ in range(9):
            make_response(survey, b, {"happy": 5, "year_group": 3})
        for index in range(15):
            make_response(survey, c, {"happy": 4, "year_group": 1 if index < 13 else 6,
                                      "comments": "Mrs Khan hit me"})
        make_user("admin@trust.example", "trust_admin")
        make_user("cio@trust.example", "cio")
        make_user("head@alpha.example", "head", a)
        make_user("governor@alpha.example", "governor", a)
        db.session.commit()
        return {"a": a.id, "b": b.id, "c": c.id, "survey": survey.id}


def read_csv(response):
    text = response.data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("value, safe", [
    ("=1+1", "'=1+1"), ("+44 1234", "'+44 1234"), ("-3", "'-3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("\nx", "'\nx"), ("＝1+1", "'＝1+1"), ("＠x", "'＠x"),
    ("fine", "fine"), (-3, -3), (4.5, 4.5), (None, None),
])
def test_text_that_could_start_a_formula_is_neutralised(value, safe):
    assert neutralise(value) == safe


def test_the_trust_indicator_csv_hides_small_schools_and_their_complements(client, auth, data):
    auth.sign_in("cio@trust.example")
    response = client.get(f"/results/export/indicators.csv?survey_id={data['survey']}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.decode("utf-8-sig").startswith('"survey","school"')
    rows = [row for row in read_csv(response) if row["question_key"] == "happy"]
    by_school = {row["school"]: row for row in rows}
    assert by_school["Beta Primary"]["n"] == "" and by_school["Beta Primary"]["suppressed"] == "True"
    # Alpha is hidden too: otherwise trust total minus Alpha and C would give Beta away.
    assert by_school["Alpha Primary"]["percent_positive"] == ""
    assert by_school["'" + EVIL_SCHOOL]["n"] == "15"
    assert by_school["All schools in the trust"]["n"] == "36"
    assert all(row["survey"] == "'@SUM(A1:A9)" for row in rows)


def test_the_indicator_xlsx_reads_back_with_text_as_text(client, auth, data):
    auth.sign_in("cio@trust.example")
    response = client.get(f"/results/export/indicators.xlsx?survey_id={data['survey']}")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book["Indicators"]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert not any(isinstance(c.value, str) and c.value.startswith(("=", "@", "+")) for c in cells)
    frame = pd.read_excel(io.BytesIO(response.data), sheet_name="Indicators")
    beta = frame[(frame["school"] == "Beta Primary") & (frame["question_key"] == "happy")]
    assert beta["percent_positive"].isna().all() and beta["n"].isna().all()


def test_a_head_exports_only_their_school_with_the_trust_total(client, auth, data):
    auth.sign_in("head@alpha.example")
    rows = read_csv(client.get(f"/schools/{data['a']}/export/indicators.csv?survey_id={data['survey']}"))
    assert {row["school"] for row in rows} == {"Alpha Primary", "All schools in the trust"}
    assert client.get(f"/schools/{data['b']}/export/indicators.csv?survey_id={data['survey']}"
                      ).status_code == 404


def test_the_response_export_leaves_out_small_schools_free_text_and_small_subgroups(
        client, auth, data):
    auth.sign_in("cio@trust.example")
    response = client.get(f"/results/export/responses.xlsx?survey_id={data['survey']}")
    book = pd.read_excel(io.BytesIO(response.data), sheet_name=None)
    answers, codebook = book["Responses"], book["Codebook"]
    assert set(answers["school"]) == {"Alpha Primary", "'" + EVIL_SCHOOL}
    assert len(answers) == 27 and "comments" not in answers.columns
    assert answers["response"].is_unique and answers["response"].str.match(r"R\d{5}$").all()
    evil = answers[answers["school"] != "Alpha Primary"]
    # 13 answered Year 1; the two in Year 6 are fewer than 10, so their year group is blank.
    assert (evil["year_group"] == 1).sum() == 13 and evil["year_group"].isna().sum() == 2
    alpha = answers[answers["school"] == "Alpha Primary"]
    assert alpha["year_group"].isna().all()  # 6 and 6: both under 10
    assert "Free text is not exported" in " ".join(codebook["notes"].fillna(""))
    assert "5 = Strongly agree" in codebook.loc[codebook["column"] == "happy", "codes"].iloc[0]


def test_the_response_csv_is_all_quoted(client, auth, data):
    auth.sign_in("head@alpha.example")
    response = client.get(f"/schools/{data['a']}/export/responses.csv?survey_id={data['survey']}")
    lines = response.data.decode("utf-8-sig").splitlines()
    assert len(lines) == 13 and all(line.startswith('"') and line.endswith('"') for line in lines)


def test_every_export_is_recorded_in_the_audit_log(app, client, auth, data):
    auth.sign_in("cio@trust.example")
    client.get(f"/results/export/indicators.csv?survey_id={data['survey']}")
    client.get(f"/results/export/responses.xlsx?survey_id={data['survey']}")
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action.like("export_%")).order_by(AuditEvent.id)).all()
        assert [(e.action, e.detail["format"], e.detail["survey_id"]) for e in events] == [
            ("export_indicators", "csv", data["survey"]), ("export_responses", "xlsx", data["survey"])]
        assert all(e.user_id is not None and e.at is not None for e in events)


@pytest.mark.parametrize("email, url, status", [
    ("governor@alpha.example", "/schools/{a}/export/responses.csv?survey_id={survey}", 404),
    ("governor@alpha.example", "/schools/{a}/export/indicators.csv?survey_id={survey}", 200),
    ("head@alpha.example", "/results/export/responses.csv?survey_id={survey}", 404),
    ("cio@trust.example", "/export/backup.xlsx", 404),
    ("cio@trust.example", "/results/export/indicators.pdf?survey_id={survey}", 404),
    ("cio@trust.example", "/results/export/indicators.csv?survey_id=999", 404),
    ("cio@trust.example", "/results/export/indicators.csv?survey_id=x", 404),
])
def test_exports_are_refused_outside_a_role_or_scope(client, auth, data, email, url, status):
    auth.sign_in(email)
    assert client.get(url.format(**data)).status_code == status


def test_a_trust_admin_backs_up_the_whole_dataset_without_unreleased_comments(
        app, client, auth, data):
    with app.app_context():
        from app.models import Answer
        answer = db.session.scalars(sa.select(Answer).where(Answer.school_id == data["c"],
                                                            Answer.text.is_not(None))).first()
        db.session.add(CommentFlag(answer=answer, school_id=data["c"], survey_id=data["survey"],
                                   matched=["hit me"]))
        db.session.commit()
    auth.sign_in("admin@trust.example")
    response = client.get("/export/backup.xlsx")
    book = pd.read_excel(io.BytesIO(response.data), sheet_name=None)
    assert set(book) == {"Schools", "Surveys", "Questions", "Responses", "Answers"}
    assert len(book["Responses"]) == 36
    texts = book["Answers"]["text"].dropna()
    assert (texts == "[withheld: safeguarding]").sum() == 1
    assert "[name removed] hit me" in set(texts) and not texts.str.contains("Khan").any()
    assert set(texts[texts.str.contains("lovely")]) == {"'-2+3 lovely school"}
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEvent).filter_by(action="export_backup"))
