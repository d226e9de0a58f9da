"""Importing school data from CSV: every row or none, each problem named with its row number."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.categorisation import services
from app.extensions import db
from app.models import School, SchoolMeasure, User

HEADER = "urn,measure,value,as_of,source\n"
YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def _import(text):
    trust = db.session.scalar(sa.select(School)).trust
    user = db.session.scalar(sa.select(User).where(User.email == "cio@example.org"))
    data = text.encode("utf-8") if isinstance(text, str) else text
    return services.import_measures(user, trust, data)


def _count():
    return db.session.scalar(sa.select(sa.func.count(SchoolMeasure.id)))


def test_a_good_file_imports_every_row_with_its_date_and_source(app, trust_setup):
    with app.app_context():
        added = _import("\ufeff" + HEADER + f"100001,attendance_pct,95.2%,{YESTERDAY},DfE data\r\n"
                        f"100002,ofsted_grade,2,2025-03-01,Ofsted report\n\n")
        assert added == 2
        rows = db.session.scalars(sa.select(SchoolMeasure).order_by(SchoolMeasure.measure)).all()
        assert [(r.measure, r.value, r.source) for r in rows] == [
            ("attendance_pct", 95.2, "DfE data"), ("ofsted_grade", 2.0, "Ofsted report")]
        assert rows[1].as_of == date(2025, 3, 1)


@pytest.mark.parametrize("row, problem", [
    ("999999,attendance_pct,95,{d},x", "URN “999999” is not a school in this trust"),
    ("100001,attendance,95,{d},x", "is not a measure we know"),
    ("100001,attendance_pct,ninety,{d},x", "“ninety” is not a number"),
    ("100001,attendance_pct,101,{d},x", "between 0 and 100"),
    ("100001,attendance_pct,nan,{d},x", "between 0 and 100"),
    ("100001,ofsted_grade,2.5,{d},x", "whole number"),
    ("100001,suspensions,-1,{d},x", "between 0 and 10000"),
    ("100001,attendance_pct,95,31/12/2025,x", "YYYY-MM-DD"),
    ("100001,attendance_pct,95,2999-01-01,x", "in the future"),
    ("100001,attendance_pct,95,{d},", "Say where the value came from"),
    ("100001,attendance_pct,95,{d},=HYPERLINK(\"http://evil\")", "formula"),
    ("100001,attendance_pct,95,{d},@SUM(A1)", "formula"),
    ("100001,attendance_pct,=1+1,{d},x", "is not a number"),
    ("100001,attendance_pct,95,{d}", "has 4 columns, not 5"),
])
def test_one_bad_row_stops_the_whole_file_and_says_which_row(app, trust_setup, row, problem):
    with app.app_context():
        good = f"100002,attendance_pct,94,{YESTERDAY},DfE data\n"
        with pytest.raises(services.ImportRefused) as refused:
            _import(HEADER + good + row.format(d=YESTERDAY) + "\n")
        assert "Nothing was imported" in str(refused.value)
        [(number, message)] = refused.value.problems
        assert number == 3 and problem in message
        assert _count() == 0


def test_duplicates_in_the_file_and_in_the_database_are_both_named(app, trust_setup):
    with app.app_context():
        _import(HEADER + f"100001,attendance_pct,95,{YESTERDAY},DfE\n")
        with pytest.raises(services.ImportRefused) as refused:
            _import(HEADER + f"100002,phonics_pass_pct,80,{YESTERDAY},DfE\n"
                    f"100002,phonics_pass_pct,81,{YESTERDAY},DfE\n"
                    f"100001,attendance_pct,96,{YESTERDAY},DfE\n")
        assert [n for n, _ in refused.value.problems] == [3, 4]
        assert "repeats row 2" in refused.value.problems[0][1]
        assert "already has this measure" in refused.value.problems[1][1]
        assert _count() == 1


@pytest.mark.parametrize("data, message", [
    (b"", "first row must be the column names"),
    ("urn,value\n100001,5\n", "first row must be the column names"),
    (HEADER, "no rows of data"),
    ("\xff\xfeu\x00r\x00".encode("latin-1"), "not UTF-8"),
    (HEADER + f"100001,attendance_pct,95,{YESTERDAY},x\n" * 20000, "larger than 512 KB"),
    (HEADER + "1,a,1,1,1\n" * 5100, "more than 5000 rows"),
    (HEADER + '100001,attendance_pct,95,2025-01-01,"unclosed\n', "not a readable CSV"),
])
def test_files_that_are_not_our_csv_are_refused_plainly(app, trust_setup, data, message):
    with app.app_context():
        with pytest.raises(services.ImportRefused, match=message):
            _import(data)
        assert _count() == 0
