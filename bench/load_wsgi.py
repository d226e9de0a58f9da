"""WSGI entry points for bench/load.py: the app as production runs it, and two baselines.

``bare`` answers "ok" and touches nothing: the ceiling of Flask under this gunicorn.
``make_write_baseline()`` commits one row per request through SQLAlchemy Core on the same
database, with the app's SQLite settings: the cheapest durable write a request can make.
"""

import os
import uuid

import sqlalchemy as sa
from flask import Flask

bare = Flask("bare")


@bare.route("/bare")
def bare_endpoint():
    return "ok"


WRITE_TABLE = sa.Table("bench_write", sa.MetaData(),
                       sa.Column("id", sa.Integer, primary_key=True),
                       sa.Column("key", sa.String(32), unique=True))


def make_write_baseline():
    from app import sqlite_pragmas

    url = os.environ["DATABASE_URL"]
    engine = sa.create_engine(url)
    if url.startswith("sqlite"):
        sa.event.listen(engine, "connect", sqlite_pragmas)
    write = Flask("write")

    @write.route("/write")
    def write_endpoint():
        with engine.begin() as conn:
            conn.execute(WRITE_TABLE.insert().values(key=uuid.uuid4().hex))
        return "ok"

    return write


def make_app():
    from app import create_app

    return create_app()
