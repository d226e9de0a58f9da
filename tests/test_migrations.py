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
