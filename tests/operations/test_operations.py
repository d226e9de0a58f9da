"""Backup and restore round trips on both databases; retention deletes only what is old."""

from datetime import date

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Answer, AuditEvent, Response, School, User
from app.operations import months_before
from tests.builders import make_response, make_school, make_survey, make_trust, make_user


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def school(app):
    with app.app_context():
        trust = make_trust()
        school = make_school(trust)
        make_user("head@ours.example", "head", school)
        db.session.commit()
        return school.id


def test_backup_then_restore_brings_back_exactly_what_was_there(app, runner, school, tmp_path):
    with app.app_context():
        survey = make_survey([db.session.get(School, school)])
        for code in (5, 4, 2):
            make_response(survey, survey.schools[0].school, {"q_happy": code})
        db.session.commit()
    path = tmp_path / "voice.backup"
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert path.stat().st_size > 0
    with app.app_context():
        db.session.execute(sa.delete(Answer))
        db.session.execute(sa.delete(Response))
        db.session.commit()
        assert count(Response) == 0
    result = runner.invoke(args=["restore", "--yes", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert count(Response) == 3
        assert sorted(db.session.scalars(sa.select(Answer.value))) == [2, 4, 5]
        db.session.execute(sa.delete(Answer))  # the restored database takes writes again
        db.session.commit()


def test_restore_refuses_a_file_that_is_not_a_backup(app, runner, school, tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    result = runner.invoke(args=["restore", "--yes", str(bogus)])
    assert result.exit_code != 0
    with app.app_context():
        assert count(User) == 1


def test_restore_without_a_file_says_so(runner, school, tmp_path):
    result = runner.invoke(args=["restore", "--yes", str(tmp_path / "missing")])
    assert result.exit_code != 0 and "There is no backup file" in result.output


def test_retention_deletes_responses_older_than_the_trusts_setting_and_keeps_the_rest(
        app, runner, school):
    with app.app_context():
        ours = db.session.get(School, school)
        ours.trust.retention_months = 24
        survey = make_survey([ours], opens_on=date(2023, 1, 1), closes_on=date(2026, 12, 1))
        make_response(survey, ours, {"q_happy": 5}, submitted_on=date(2024, 11, 22))
        make_response(survey, ours, {"q_happy": 4}, submitted_on=date(2024, 11, 23))
        make_response(survey, ours, {"q_happy": 3}, submitted_on=date(2026, 1, 5))
        db.session.commit()
    result = runner.invoke(args=["retention", "run", "--today", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 responses" in result.output
    with app.app_context():
        assert sorted(db.session.scalars(sa.select(Response.submitted_on))) == [
            date(2024, 11, 23), date(2026, 1, 5)]
        assert sorted(db.session.scalars(sa.select(Answer.value))) == [3, 4]
        event = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "retention_run")).one()
        assert event.detail["responses_deleted"] == 1


@pytest.mark.parametrize("day, months, expected", [
    (date(2026, 11, 23), 24, date(2024, 11, 23)),
    (date(2026, 3, 31), 1, date(2026, 2, 28)),
    (date(2028, 3, 31), 1, date(2028, 2, 29)),
    (date(2026, 1, 15), 13, date(2024, 12, 15)),
])
def test_months_before_keeps_the_day_or_the_end_of_a_shorter_month(day, months, expected):
    assert months_before(day, months) == expected
