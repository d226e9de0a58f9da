"""Benchmark: sending ~2000 invitations through the app against raw smtplib, to the same local SMTP server.

Both runs deliver the same number of messages, built the same way (app.invitations.mail
build_message, text and HTML), to one aiosmtpd server on 127.0.0.1 in this process:

(a) raw smtplib: one connection, build and send_message each message, nothing recorded;
(b) the app: app.invitations.services.send_queued on invitations already queued, that is
    claiming batches in the database, rendering each email from its template with its
    personal link, sending it, and committing its result before the next one.

The ratio (b) / (a) is the price of never losing or repeating an email. Best of --runs.

Run: python bench/bench_send.py [--invitations 2000] [--backend sqlite|postgresql|both] [--runs 2]
"""

import argparse
import os
import smtplib
import socket
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class Counter:
    """An SMTP server that accepts everything and counts it."""

    def __init__(self):
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        return "250 OK"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_app(url, port):
    from app import create_app
    from app.extensions import db
    from config import Config

    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="bench", MAIL_SERVER="127.0.0.1",
                     MAIL_PORT=port, MAIL_RETRY_DELAY=0.0, PUBLIC_BASE_URL="https://voice.example.org")
    with app.app_context():
        db.create_all()
    return app


def queue(app, invitations):
    """A trust, a school with this many staff contacts, and a staff survey by invitation, all queued."""
    from datetime import date, timedelta

    from app.extensions import db
    from app.invitations import services
    from app.models import Contact, Hub, OutboxMessage, School, Survey, SurveySchool, Trust, User
    from app.surveys.library import install_builtin_instruments, latest_published

    with app.app_context():
        db.session.execute(sa.delete(OutboxMessage))
        db.session.commit()
        school = db.session.scalar(sa.select(School))
        if school is None:
            install_builtin_instruments()
            trust = Trust(name="Bench Trust")
            hub = Hub(trust=trust, name="Hub")
            school = School(trust=trust, hub=hub, name="Bench Primary", urn="100001", staff_count=invitations)
            user = User(email="admin@bench.example", name="Admin")
            user.set_password("bench password long enough")
            survey = Survey(title="Staff survey", instrument=latest_published("staff"), access_mode="tokens",
                            opens_on=date.today() - timedelta(days=1), closes_on=date.today() + timedelta(days=14))
            survey.schools = [SurveySchool(school=school)]
            db.session.add_all([trust, hub, school, user, survey])
            db.session.flush()
            db.session.add_all(Contact(school_id=school.id, kind="staff", name=f"Staff {n}",
                                       email=f"staff{n}@bench.example") for n in range(invitations))
            db.session.commit()
        from app.models import Invitation

        db.session.execute(sa.delete(Invitation))
        db.session.commit()
        survey = db.session.scalar(sa.select(Survey))
        user = db.session.scalar(sa.select(User))
        assert services.queue_invitations(user, survey, [school]) == invitations


def raw_smtplib(port, invitations):
    from app.invitations.mail import build_message

    body = "Dear colleague,\n\nYour personal link (it works once): https://voice.example.org/i/{n}\n"
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for n in range(invitations):
            connection.send_message(build_message(
                "surveys@localhost", f"staff{n}@bench.example", "Bench Primary would like to hear from you",
                body.format(n=n), f"<p>{body.format(n=n)}</p>"))
    return time.perf_counter() - start


def through_app(app):
    from app.invitations import services

    with app.app_context():
        start = time.perf_counter()
        sent = services.send_queued()
        elapsed = time.perf_counter() - start
    return elapsed, sent


def database(backend, workdir):
    if backend == "sqlite":
        return f"sqlite:///{workdir}/send.db", None
    from tests.postgres import PostgresServer

    os.chmod(workdir, 0o777)
    server = PostgresServer(workdir).start()
    engine = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("CREATE DATABASE sv_send"))
    engine.dispose()
    return server.url("sv_send"), server


def run(backend, invitations, runs):
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=free_port())
    controller.start()
    workdir = tempfile.mkdtemp(prefix="sv-send-")
    url, server = database(backend, workdir)
    try:
        app = make_app(url, controller.port)
        raw, ours = [], []
        for _ in range(runs):
            counter.received = 0
            raw.append(raw_smtplib(controller.port, invitations))
            assert counter.received == invitations
            queue(app, invitations)
            counter.received = 0
            elapsed, sent = through_app(app)
            assert sent == counter.received == invitations, (sent, counter.received)
            ours.append(elapsed)
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
        best_raw, best_ours = min(raw), min(ours)
        print(f"{backend}: {invitations} invitations; raw smtplib {best_raw:.2f}s "
              f"({invitations / best_raw:.0f}/s); the app {best_ours:.2f}s ({invitations / best_ours:.0f}/s); "
              f"ratio app/raw {best_ours / best_raw:.2f}", flush=True)
    finally:
        controller.stop()
        if server is not None:
            server.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invitations", type=int, default=2000)
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql", "both"])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args(argv)
    for backend in (["sqlite", "postgresql"] if args.backend == "both" else [args.backend]):
        run(backend, args.invitations, args.runs)


if __name__ == "__main__":
    main()
