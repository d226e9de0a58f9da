"""The demo trust: realistic size, deterministic, signs in."""

from datetime import date

import sqlalchemy as sa

from app.demo import DEMO_DOMAIN, DEMO_PASSWORD, build_demo_trust
from app.extensions import db
from app.models import Action, Answer, CommentFlag, Hub, Response, School, Survey, User
from tests.conftest import fresh_database, make_app


def _fingerprint():
    return db.session.execute(
        sa.select(Answer.school_id, Answer.question_key, Answer.value, sa.func.count())
        .group_by(Answer.school_id, Answer.question_key, Answer.value)
        .order_by(Answer.school_id, Answer.question_key, Answer.value)
    ).all()


def test_demo_trust_has_twelve_schools_in_three_hubs_and_a_year_of_parent_and_staff_surveys(app):
    with app.app_context():
        build_demo_trust(seed=7)
        assert db.session.scalar(sa.select(sa.func.count(School.id))) == 12
        assert db.session.scalar(sa.select(sa.func.count(Hub.id))) == 3
        # 4 parent surveys, 2 past staff surveys, an open staff survey, open KS2 and KS1 surveys.
        assert db.session.scalar(sa.select(sa.func.count(Survey.id))) == 9
        assert db.session.scalar(sa.select(sa.func.count(CommentFlag.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(Action.id))) == 48
        assert db.session.scalar(sa.select(sa.func.count(Response.id))) > 1000
        cio = db.session.scalar(sa.select(User).where(User.email == f"cio@{DEMO_DOMAIN}"))
        assert cio.check_password(DEMO_PASSWORD)


def test_demo_data_is_the_same_every_time_for_a_seed(app, tmp_path, request):
    with app.app_context():
        build_demo_trust(seed=7, today=date(2026, 11, 23))
        first = _fingerprint()
    (tmp_path / "other").mkdir()
    other = make_app(fresh_database(request, "sqlite", tmp_path / "other"))
    with other.app_context():
        build_demo_trust(seed=7, today=date(2026, 11, 23))
        assert _fingerprint() == first
        db.engine.dispose()


def test_demo_data_command_prints_the_sign_in_details_and_loads_only_once(runner, app):
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0
    assert f"cio@{DEMO_DOMAIN}" in result.output and DEMO_PASSWORD in result.output
    again = runner.invoke(args=["demo-data"])
    assert "already has a trust" in again.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(School.id))) == 12
