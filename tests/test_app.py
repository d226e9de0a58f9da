"""The factory, configuration and database settings."""

import sqlalchemy as sa
from flask import Flask

from app import configure_secret_key, create_app
from app.extensions import db
from config import Config, database_url


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url(str(tmp_path)) == f"sqlite:///{tmp_path}/stakeholder_voice.db"


def test_postgres_urls_use_psycopg_3():
    assert database_url("/x", "postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("/x", "postgresql://u@h/db") == "postgresql+psycopg://u@h/db"


def test_sqlite_runs_in_wal_mode_with_foreign_keys_on(tmp_path):
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db", SECRET_KEY="k")
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()


def test_a_secret_key_is_made_once_and_kept_in_the_instance_folder(tmp_path):
    first, second = Flask("a", instance_path=str(tmp_path)), Flask("b", instance_path=str(tmp_path))
    configure_secret_key(first)
    configure_secret_key(second)
    assert len(first.config["SECRET_KEY"]) == 64
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_unknown_pages_get_a_plain_404_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Page not found" in response.data
