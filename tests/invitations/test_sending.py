"""Invitations and reminders through a real SMTP server: links, escaping, bounces, retries, batches, opt-out."""

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.invitations import services
from app.models import (
    Contact, Invitation, InvitationToken, OutboxMessage, Response, School, Survey, User,
)
from app.models.collection import digest
from tests.builders import make_contact, make_school, make_survey, make_trust, make_user
from tests.surveys.test_routes import full_answers

LINK = re.compile(r"https://voice\.example\.org(/i/([A-Za-z0-9_-]{22}))")


@pytest.fixture
def trust(app):
    """Two schools; the Ahmed family has children at both, the Brown family two children at Oak."""
    with app.app_context():
        trust = make_trust()
        oak = make_school(trust, name="Oak <script>alert(1)</script> & Co Primary")
        elm = make_school(trust, name="Elm Primary")
        make_user("admin@trust.org.uk", "trust_admin")
        make_user("head@elm.sch.uk", "head", elm)
        make_contact(oak, "ahmed@example.org", year_groups=["Year 2"])
        make_contact(elm, "ahmed@example.org", year_groups=["Year 5"])
        make_contact(oak, "brown@example.org", year_groups=["Year 1", "Year 4"])
        survey = make_survey([oak, elm])
        survey.access_mode = "tokens"
        db.session.commit()
        return {"oak": oak.id, "elm": elm.id, "survey": survey.id}


def send_all(client, survey_id):
    """Press send, then poll the progress endpoint as the page's script does."""
    response = client.post(f"/surveys/{survey_id}/invitations/send")
    assert response.status_code == 302
    for _ in range(600):
        progress = client.get(f"/surveys/{survey_id}/invitations/progress.json").get_json()
        if progress["done"]:
            return progress
        time.sleep(0.05)
    raise AssertionError(f"sending did not finish: {progress}")


def messages(app, purpose="invitation"):
    with app.app_context():
        return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.purpose == purpose)
                                  .order_by(OutboxMessage.id)).all()


def token(smtp, message):
    return LINK.search(smtp.text(message)).group(2)


def test_invitations_arrive_as_collection_tokens_whose_hash_alone_is_stored(app, client, auth, smtp, trust):
    auth.sign_in("admin@trust.org.uk")
    progress = send_all(client, trust["survey"])
    assert progress["sent"] == 3 and progress["failed"] == progress["bounced"] == 0
    # One email per school for the family at two schools; one for two children at one school.
    assert len(smtp.to("ahmed@example.org")) == 2
    assert len(smtp.to("brown@example.org")) == 1
    tokens = {token(smtp, m) for m in smtp.messages}
    assert len(tokens) == 3
    with app.app_context():
        # The same token table as paper letters, the same hash; each invitation points at its token.
        stored = set(db.session.scalars(sa.select(InvitationToken.token_hash)))
        assert {digest("invitation", t) for t in tokens} == stored
        assert len(set(db.session.scalars(sa.select(Invitation.token_id)))) == 3
    with app.app_context():
        dump = "\n".join(str(row) for table in db.metadata.sorted_tables
                         for row in db.session.execute(sa.select(table)).all())
    assert not any(token in dump for token in tokens)


def test_every_placeholder_is_escaped_in_the_html_part(app, client, auth, smtp, trust):
    auth.sign_in("admin@trust.org.uk")
    send_all(client, trust["survey"])
    (message,) = [m for m in smtp.to("brown@example.org")]
    html = smtp.html(message)
    assert "<script>" not in html
    assert "Oak &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co Primary" in html
    assert "Oak <script>alert(1)</script> & Co Primary" in smtp.text(message)
    assert message["Subject"].strip() == "Oak <script>alert(1)</script> & Co Primary would like to hear from you"
    assert message["List-Unsubscribe"].strip().startswith("<https://voice.example.org/opt-out/")


def test_a_refused_address_is_recorded_as_bounced_for_that_contact(app, client, auth, smtp, trust):
    with app.app_context():
        make_contact(db.session.get(School, trust["oak"]), "bounce@example.org")
        db.session.commit()
    auth.sign_in("admin@trust.org.uk")
    progress = send_all(client, trust["survey"])
    assert progress["sent"] == 3 and progress["bounced"] == 1
    (bounced,) = [m for m in messages(app) if m.status == "bounced"]
    assert bounced.error.startswith("550")
    page = client.get(f"/surveys/{trust['survey']}/outbox").get_data(as_text=True)
    assert "bounce@example.org" in page and "550 5.1.1 No such user here" in page
    # The school's contact list marks the address to check.
    page = client.get(f"/schools/{trust['oak']}/contacts?kind=family").get_data(as_text=True)
    (row,) = [r for r in page.split("<tr")[1:] if "bounce@example.org" in r]
    assert "Email bounced" in row and "550 5.1.1" in row
    assert page.count("data-email-problem") == 1


def test_when_the_mail_server_is_down_sends_fail_and_can_be_retried(app, client, auth, smtp, trust):
    real_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1  # nothing listens there
    auth.sign_in("admin@trust.org.uk")
    progress = send_all(client, trust["survey"])
    assert progress["failed"] == 3 and smtp.messages == []
    assert all(m.attempts == 1 and m.error for m in messages(app))
    app.config["MAIL_PORT"] = real_port
    client.post(f"/surveys/{trust['survey']}/invitations/retry")
    for _ in range(200):
        if client.get(f"/surveys/{trust['survey']}/invitations/progress.json").get_json()["done"]:
            break
        time.sleep(0.05)
    assert len(smtp.messages) == 3
    assert {m.status for m in messages(app)} == {"sent"}
    assert {m.attempts for m in messages(app)} == {2}


def test_hundreds_of_invitations_go_in_batches_and_none_twice(app, client, auth, smtp, trust):
    with app.app_context():
        oak = db.session.get(School, trust["oak"])
        db.session.add_all(Contact(school_id=oak.id, kind="family", email=f"family{n}@example.org")
                           for n in range(400))
        db.session.commit()
    auth.sign_in("admin@trust.org.uk")
    client.post(f"/surveys/{trust['survey']}/invitations/send")
    client.post(f"/surveys/{trust['survey']}/invitations/send")  # a double click
    for _ in range(600):
        progress = client.get(f"/surveys/{trust['survey']}/invitations/progress.json").get_json()
        if progress["done"]:
            break
        time.sleep(0.2)
    assert progress["sent"] == 403
    assert len(smtp.messages) == 403
    assert len({m["To"] + m["Subject"] + token(smtp, m) for m in smtp.messages}) == 403


def test_sending_again_invites_only_people_added_since(app, client, auth, smtp, trust):
    auth.sign_in("admin@trust.org.uk")
    send_all(client, trust["survey"])
    page = client.post(f"/surveys/{trust['survey']}/invitations/send", follow_redirects=True)
    assert "Everyone with an email address has already been invited." in page.get_data(as_text=True)
    assert len(smtp.messages) == 3


def test_a_head_sees_and_sends_only_for_their_own_school(app, client, auth, smtp, trust):
    auth.sign_in("head@elm.sch.uk")
    progress = send_all(client, trust["survey"])
    assert progress["total"] == 1
    assert [m["To"] for m in smtp.messages] == ["ahmed@example.org"]
    assert "Elm Primary" in smtp.text(smtp.messages[0])


def reminders(runner):
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    return result.output


def test_an_emailed_link_opens_the_survey_and_works_once(app, client, auth, smtp, trust):
    auth.sign_in("admin@trust.org.uk")
    send_all(client, trust["survey"])
    auth.sign_out()
    path = LINK.search(smtp.text(smtp.to("brown@example.org")[0])).group(1)
    page = client.get(path)
    assert page.status_code == 200 and "Parent survey" in page.get_data(as_text=True)
    assert client.post(path, data=full_answers(app)).status_code == 302
    assert "This invitation has already been used" in client.get(path).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
        (used,) = db.session.scalars(sa.select(InvitationToken).where(InvitationToken.used.is_(True)))
        assert db.session.scalar(sa.select(Contact.email).join(Invitation).where(
            Invitation.token_id == used.id)) == "brown@example.org"


def test_reminders_reach_only_unused_links_and_running_twice_sends_nothing_new(
        app, client, auth, runner, smtp, trust, monkeypatch):
    auth.sign_in("admin@trust.org.uk")
    send_all(client, trust["survey"])
    auth.sign_out()
    first = {m["To"] + m["Subject"]: token(smtp, m) for m in smtp.messages}
    # The Elm family answers by its link; the Browns opt out.
    elm = next(m for m in smtp.to("ahmed@example.org") if "Elm" in m["Subject"])
    assert client.post(LINK.search(smtp.text(elm)).group(1), data=full_answers(app)).status_code == 302
    opt_out = re.search(r"https://voice\.example\.org(/opt-out/\S+)", smtp.text(smtp.to("brown@example.org")[0])).group(1)
    assert client.post(opt_out).status_code == 200
    smtp.messages.clear()

    assert reminders(runner) == "Sent 0 reminders.\n"  # not due yet
    now = clock.utcnow()
    monkeypatch.setattr(clock, "utcnow", lambda: now + timedelta(days=3, minutes=1))
    assert reminders(runner) == "Sent 1 reminders.\n"
    assert reminders(runner) == "Sent 0 reminders.\n"
    (reminder,) = smtp.messages
    assert reminder["To"] == "ahmed@example.org" and reminder["Subject"].startswith("Reminder:")
    assert "Oak" in reminder["Subject"]
    # The reminder carries the same single-use link as the invitation.
    assert token(smtp, reminder) in first.values()
    monkeypatch.setattr(clock, "utcnow", lambda: now + timedelta(days=7, minutes=2))
    assert reminders(runner) == "Sent 1 reminders.\n"
    assert reminders(runner) == "Sent 0 reminders.\n"
    monkeypatch.setattr(clock, "utcnow", lambda: now + timedelta(days=12))
    assert reminders(runner) == "Sent 0 reminders.\n"  # two reminders at most
    assert [m["To"] for m in smtp.messages] == ["ahmed@example.org"] * 2
    with app.app_context():
        purposes = db.session.scalars(sa.select(OutboxMessage.purpose).order_by(OutboxMessage.id)).all()
    assert purposes.count("reminder_1") == 1 and purposes.count("reminder_2") == 1


def test_a_missed_cron_day_does_not_send_two_reminders_at_once(app, client, auth, runner, smtp, trust, monkeypatch):
    auth.sign_in("admin@trust.org.uk")
    send_all(client, trust["survey"])
    smtp.messages.clear()
    now = clock.utcnow()
    monkeypatch.setattr(clock, "utcnow", lambda: now + timedelta(days=9))
    assert reminders(runner) == "Sent 3 reminders.\n"
    assert reminders(runner) == "Sent 0 reminders.\n"
    monkeypatch.setattr(clock, "utcnow", lambda: now + timedelta(days=13, minutes=1))
    assert reminders(runner) == "Sent 3 reminders.\n"


def test_a_reminder_queued_before_the_link_was_used_is_not_sent(app, client, auth, smtp, trust):
    auth.sign_in("admin@trust.org.uk")
    send_all(client, trust["survey"])
    auth.sign_out()
    with app.app_context():
        assert services.queue_reminders(clock.utcnow() + timedelta(days=4)) == 3
    path = LINK.search(smtp.text(smtp.to("brown@example.org")[0])).group(1)
    client.post(path, data=full_answers(app))
    smtp.messages.clear()
    with app.app_context():
        assert services.send_queued(kind="reminder") == 2
    assert sorted(m["To"] for m in smtp.messages) == ["ahmed@example.org"] * 2
    (skipped,) = [m for m in messages(app, "reminder_1") if m.status == "cancelled"]
    assert skipped.recipient == "brown@example.org" and skipped.error == "Already answered"


def test_no_reminders_after_the_survey_closes(app, client, auth, runner, smtp, trust, monkeypatch):
    auth.sign_in("admin@trust.org.uk")
    send_all(client, trust["survey"])
    smtp.messages.clear()
    with app.app_context():
        survey = db.session.get(Survey, trust["survey"])
        survey.closes_on = clock.today()
        db.session.commit()
    later = clock.utcnow() + timedelta(days=4)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    monkeypatch.setattr(clock, "today", lambda: later.date())
    assert reminders(runner) == "Sent 0 reminders.\n"


def test_the_opt_out_link_is_signed_for_its_purpose_and_honoured(app, client, auth, smtp, trust):
    auth.sign_in("admin@trust.org.uk")
    send_all(client, trust["survey"])
    auth.sign_out()
    path = re.search(r"https://voice\.example\.org(/opt-out/\S+)", smtp.text(smtp.to("brown@example.org")[0])).group(1)
    assert "Stop the emails" in client.get(path).get_data(as_text=True)
    with app.app_context():
        assert not db.session.scalar(sa.select(Contact.opted_out).where(Contact.email == "brown@example.org"))
    assert "no more survey emails" in client.post(path).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(Contact.opted_out).where(Contact.email == "brown@example.org"))
        from itsdangerous import URLSafeSerializer
        other_purpose = URLSafeSerializer(app.config["SECRET_KEY"], salt="password-reset").dumps(1)
    assert client.post(f"/opt-out/{other_purpose}").status_code == 404
    assert client.post(path[:-3] + "xyz").status_code == 404


def test_the_template_preview_escapes_and_refuses_unknown_placeholders(app, client, auth, trust):
    auth.sign_in("admin@trust.org.uk")
    url = f"/surveys/{trust['survey']}/emails/invitation"
    page = client.post(url, data={"subject": "Hi {nmae}", "body": "{link} {opt_out}", "preview": "1"})
    assert "Unknown placeholder {nmae}" in page.get_data(as_text=True)
    page = client.post(url, data={"subject": "Hi", "body": "No link here {opt_out}", "save": "1"})
    assert "The email must contain {link}" in page.get_data(as_text=True)
    page = client.post(url, data={"subject": "From {school}", "body": "<b>Hello</b> {school}\n\n{link}\n\n{opt_out}",
                                  "preview": "1"}).get_data(as_text=True)
    assert "&lt;b&gt;Hello&lt;/b&gt;" in page and "<b>Hello</b>" not in page
    assert "<script>alert(1)</script>" not in page
    client.post(url, data={"subject": "From {school}", "body": "Hello {name}\n\n{link}\n\n{opt_out}", "save": "1"})
    assert "Hello {name}" in client.get(url).get_data(as_text=True)


def test_no_table_links_a_contact_or_invitation_to_a_response(app):
    """Anonymity survives a database dump: nothing joins the people we email to what was answered."""
    personal = {"contact", "contact_import", "invitation", "outbox_message", "invitation_token"}
    answered = {"response", "answer"}
    for table in db.metadata.sorted_tables:
        targets = {fk.column.table.name for fk in table.foreign_keys}
        if table.name in personal:
            assert not targets & answered, table.name
        if table.name in answered:
            assert not targets & personal, table.name
            assert not {c.name for c in table.columns} & {"token_hash", "token_id", "contact_id", "invitation_id", "email"}


def test_invitations_left_queued_are_sent_by_the_cron_command(app, runner, smtp, trust):
    with app.app_context():
        from app.models import User
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@trust.org.uk"))
        survey = db.session.get(Survey, trust["survey"])
        schools = [link.school for link in survey.schools]
        assert services.queue_invitations(admin, survey, schools) == 3
    result = runner.invoke(args=["invitations", "send"])
    assert result.output == "Sent 3 invitations.\n"
    assert runner.invoke(args=["invitations", "send"]).output == "Sent 0 invitations.\n"
    assert len(smtp.messages) == 3


def test_after_an_emailed_link_is_answered_no_row_or_log_joins_the_contact_to_the_response(
        app, client, auth, smtp, trust, caplog):
    auth.sign_in("admin@trust.org.uk")
    send_all(client, trust["survey"])
    auth.sign_out()
    path = LINK.search(smtp.text(smtp.to("brown@example.org")[0])).group(1)
    caplog.clear()
    with caplog.at_level("DEBUG"):
        assert client.post(path, data=full_answers(app)).status_code == 302
    with app.app_context():
        (response,) = db.session.execute(sa.select(Response.__table__)).all()
        marks = {str(value) for value in (response.id, response.idempotency_key)}
        for table in db.metadata.sorted_tables:
            if table.name in ("response", "answer"):
                continue
            dump = "\n".join(repr(tuple(row)) for row in db.session.execute(sa.select(table)).all())
            assert not any(mark in dump for mark in marks), table.name
        used = db.session.scalar(sa.select(InvitationToken).where(InvitationToken.used.is_(True)))
        assert {c.name for c in InvitationToken.__table__.columns} == {"id", "survey_school_id", "token_hash", "used"}
    logged = caplog.text
    assert path.rsplit("/", 1)[1] not in logged and "brown@example.org" not in logged
    assert not any(mark in logged for mark in marks) and used.token_hash not in logged


def _outbox_ages_by(app, minutes):
    """As if the last try of every email was this many minutes ago."""
    with app.app_context():
        db.session.execute(sa.update(OutboxMessage).values(
            at=clock.utcnow() - timedelta(minutes=minutes)))
        db.session.commit()


def _tries(app):
    return sorted((m.status, m.attempts) for m in messages(app))


def test_failed_emails_go_again_by_themselves_after_a_growing_wait_until_the_last_try(app, smtp, trust):
    real_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1  # nothing listens there
    with app.app_context():
        survey = db.session.get(Survey, trust["survey"])
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@trust.org.uk"))
        services.queue_invitations(admin, survey, [link.school for link in survey.schools])
        services.send_queued()
    assert _tries(app) == [("failed", 1)] * 3
    with app.app_context():
        services.send_queued()  # straight after, nobody's wait is over
    assert _tries(app) == [("failed", 1)] * 3
    for tried, wait in ((2, 30), (3, 60), (4, 120)):
        _outbox_ages_by(app, wait - 1)
        with app.app_context():
            services.send_queued()
        assert _tries(app) == [("failed", tried - 1)] * 3, f"went again before {wait} minutes"
        _outbox_ages_by(app, wait + 1)
        with app.app_context():
            services.send_queued()
        assert _tries(app) == [("failed", tried)] * 3, f"did not go again after {wait} minutes"
    app.config["MAIL_PORT"] = real_port
    _outbox_ages_by(app, 60 * 24 * 30)
    with app.app_context():
        services.send_queued()
    # MAIL_MAX_ATTEMPTS runs have tried: they wait for a person to press "Try failed ones again".
    assert _tries(app) == [("failed", 4)] * 3 and smtp.messages == []


def test_an_email_that_failed_once_is_sent_by_the_next_run_after_its_wait(app, smtp, trust):
    real_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1
    with app.app_context():
        survey = db.session.get(Survey, trust["survey"])
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@trust.org.uk"))
        services.queue_invitations(admin, survey, [link.school for link in survey.schools])
        services.send_queued()
        first = db.session.scalar(sa.select(OutboxMessage).order_by(OutboxMessage.id))
        first.status = "bounced"  # the address was refused for good: it never goes again
        db.session.commit()
    app.config["MAIL_PORT"] = real_port
    _outbox_ages_by(app, 31)
    with app.app_context():
        services.send_reminders()  # cron's run: reminders, and what is due to go again
        services.send_queued(kind="invitation")
    assert _tries(app) == [("bounced", 1), ("sent", 2), ("sent", 2)]
    assert len(smtp.messages) == 2
