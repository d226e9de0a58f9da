"""Fixtures: an app on a freshly migrated database (SQLite and PostgreSQL), clients, builders."""

import os
import shutil
import tempfile
import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from argon2 import PasswordHasher

from app import create_app
from app.models import users as users_model
from app.extensions import db
from config import TestConfig
from tests.postgres import PostgresServer

# Real argon2id, with the cheapest parameters: tests check behaviour, not the cost of guessing.
users_model._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

BACKENDS = os.environ.get("SV_TEST_DATABASES", "sqlite,postgresql").split(",")


def make_app(database_url, **overrides):
    return create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, **overrides)


def migrate(database_url):
    """Make the schema the only way production does: flask db upgrade."""
    app = make_app(database_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def postgres_server():
    # Not under pytest's tmp dir: that is private to root, and the server runs as postgres.
    base_dir = tempfile.mkdtemp(prefix="sv-postgres-")
    server = PostgresServer(base_dir).start()
    yield server
    server.stop()
    shutil.rmtree(base_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    migrate(f"sqlite:///{path}")
    return path.read_bytes()


@pytest.fixture(scope="session")
def postgres_admin(postgres_server):
    engine = sa.create_engine(postgres_server.url(), isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_template(postgres_server, postgres_admin):
    with postgres_admin.connect() as conn:
        conn.execute(sa.text("CREATE DATABASE sv_template"))
    migrate(postgres_server.url("sv_template"))
    return "sv_template"


def fresh_database(request, backend, tmp_path):
    """A URL of a new, migrated database of this backend, dropped after the test."""
    if backend == "sqlite":
        path = tmp_path / "test.db"
        path.write_bytes(request.getfixturevalue("sqlite_template"))
        return f"sqlite:///{path}"
    template = request.getfixturevalue("postgres_template")
    server = request.getfixturevalue("postgres_server")
    admin = request.getfixturevalue("postgres_admin")
    name = "sv_" + uuid.uuid4().hex[:12]
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name} TEMPLATE {template}"))

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))

    request.addfinalizer(drop)
    return server.url(name)


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    return fresh_database(request, request.param, tmp_path)


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def sign_in(self, email, password="correct horse battery"):
        return self._client.post("/sign-in", data={"email": email, "password": password})

    def sign_out(self):
        return self._client.post("/sign-out")


@pytest.fixture
def auth(client):
    return AuthActions(client)
