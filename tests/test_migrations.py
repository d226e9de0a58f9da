"""The schema is made by migrations alone, and they run down as well as up."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from tests.conftest import make_app

TABLES = {"trust", "hub", "school", "priority", "user", "role_assignment", "instrument",
          "question", "survey", "survey_school", "response", "answer",
          "invitation_token", "class_session", "partial_response"}


def test_migrations_run_down_to_nothing_and_up_again(database_url):
    app = make_app(database_url)
    with app.app_context():
        assert TABLES <= set(sa.inspect(db.engine).get_table_names())
        downgrade(revision="base")
        assert not TABLES & set(sa.inspect(db.engine).get_table_names())
        upgrade()
        assert TABLES <= set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()


def test_the_models_match_the_migrations(database_url):
    """Autogenerate finds nothing to add: every model change has its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    app = make_app(database_url)
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": False})
            assert compare_metadata(context, db.metadata) == []
        db.engine.dispose()


def test_0013_takes_the_anonymity_promise_out_of_the_parent_description(app):
    """An installed parent questionnaire loses the sentence; one a trust re-worded is left alone."""
    import importlib

    from app.models import Instrument
    from tests.builders import builtin_instrument, make_draft

    migration = importlib.import_module("migrations.versions.0013_parent_description")
    with app.app_context():
        installed = builtin_instrument("parent")
        installed.description = migration.OLD
        reworded = make_draft(key="parent_club")
        reworded.description = "Our own words; your answers are anonymous."
        db.session.commit()
        ids = installed.id, reworded.id
        db.session.remove()
        downgrade(revision="0012_targets_schedule")
        upgrade()
        assert [db.session.get(Instrument, i).description for i in ids] == [
            migration.NEW, "Our own words; your answers are anonymous."]
        db.session.remove()
        db.engine.dispose()
