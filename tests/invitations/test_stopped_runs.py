"""A sending run killed half way: the next run sends what was left, and nothing the server had accepted twice."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import sqlalchemy as sa

from app.extensions import db
from app.invitations import services
from app.models import Contact, OutboxMessage, Survey, User
from tests.builders import make_school, make_survey, make_trust, make_user


def statuses(app):
    with app.app_context():
        return Counter(db.session.scalars(sa.select(OutboxMessage.status)))


def test_a_killed_run_leaves_rows_sending_and_the_next_run_after_the_stuck_time_sends_them_once(
        app, database_url, smtp):
    with app.app_context():
        school = make_school(make_trust())
        make_user("admin@trust.org.uk", "trust_admin")
        survey = make_survey([school])
        survey.access_mode = "tokens"
        db.session.add_all(Contact(school_id=school.id, kind="family", email=f"family{n}@example.org")
                           for n in range(30))
        db.session.commit()
        admin = db.session.scalar(sa.select(User))
        assert services.queue_invitations(admin, db.session.get(Survey, survey.id), [school]) == 30

    smtp.delay = 0.05
    env = {**os.environ, "FLASK_APP": "app", "DATABASE_URL": database_url, "SECRET_KEY": app.config["SECRET_KEY"],
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.port), "MAIL_BATCH_SIZE": "10",
           "PUBLIC_BASE_URL": "https://voice.example.org"}
    run = subprocess.Popen([sys.executable, "-m", "flask", "invitations", "send"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(6000):  # up to two minutes: starting the app on a busy machine is slow
            if len(smtp.messages) >= 5:
                break
            time.sleep(0.02)
        run.send_signal(signal.SIGKILL)
    finally:
        _, errors = run.communicate(timeout=30)
    smtp.delay = 0.0
    left = statuses(app)
    assert left["sending"] > 0 and left["queued"] > 0, (left, errors.decode())  # killed in its first batch

    with app.app_context():
        # Straight after, a claim is not yet stale: the next run sends only the queued rows.
        services.send_queued(kind="invitation")
        assert statuses(app)["sending"] == left["sending"]
        app.config["MAIL_STUCK_MINUTES"] = 0
        services.send_queued(kind="invitation")
    assert statuses(app) == {"sent": 30}
    received = Counter(m["To"] for m in smtp.messages)
    assert set(received) == {f"family{n}@example.org" for n in range(30)}
    # Only an email the server accepted in the instant before the kill, unrecorded, can go twice,
    # and then with the same Message-ID, so the mail program shows it once.
    twice = [address for address, n in received.items() if n > 1]
    assert len(twice) <= 1
    for address in twice:
        assert len({m["Message-ID"] for m in smtp.to(address)}) == 1
