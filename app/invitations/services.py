"""Invitations and reminders: tokens, message templates, sending in batches, opt-out, progress."""

import base64
import hashlib
import hmac
import re
import secrets
import threading
from datetime import timedelta, timezone

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import escape
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from app import clock
from app.extensions import db
from app.invitations.mail import Mailer, build_message
from app.models import (
    Contact, Invitation, InvitationToken, MessageTemplate, OutboxMessage, Survey, SurveySchool,
)
from app.models.collection import digest
from app.models.audit import record
from app.models.invitations import OUTBOX_STATUSES
from app.services import NotFound, ServiceError, commit

PLACEHOLDERS = {
    "name": "the person's name, or 'parent or carer'",
    "school": "the school's name",
    "survey": "the survey's title",
    "closes": "the date the survey closes",
    "link": "their personal survey link (works once)",
    "opt_out": "the link to stop emails about this survey",
}
DEFAULT_TEMPLATES = {
    "invitation": (
        "{school} would like to hear from you",
        "Dear {name},\n\n"
        "{school} would like to know what you think. The survey \"{survey}\" takes about "
        "5 minutes. Your answers are anonymous: the school only sees results from groups of "
        "people, never who said what.\n\n"
        "Your personal link (it works once): {link}\n\n"
        "The survey closes on {closes}.\n\n"
        "To stop emails about this survey: {opt_out}",
    ),
    "reminder": (
        "Reminder: {school} would like to hear from you",
        "Dear {name},\n\n"
        "There is still time to answer \"{survey}\" for {school}. It takes about 5 minutes "
        "and your answers are anonymous.\n\n"
        "Your personal link (it works once): {link}\n\n"
        "The survey closes on {closes}.\n\n"
        "To stop emails about this survey: {opt_out}",
    ),
}
AUDIENCE_KINDS = {"staff": "staff", "parent": "family"}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Everything an email needs, loaded with the batch rather than one query per email.
_LOADS = (
    selectinload(OutboxMessage.invitation).selectinload(Invitation.contact),
    selectinload(OutboxMessage.invitation).selectinload(Invitation.token),
    selectinload(OutboxMessage.invitation).selectinload(Invitation.survey_school).selectinload(SurveySchool.school),
    selectinload(OutboxMessage.invitation).selectinload(Invitation.survey_school)
    .selectinload(SurveySchool.survey).selectinload(Survey.instrument),
)
_running = set()
_running_lock = threading.Lock()


# Tokens -------------------------------------------------------------------------------------

def new_seed():
    return secrets.token_urlsafe(16)


def token_of(seed):
    """The link token of an invitation: worked out from its seed, so reminders carry the same link."""
    key = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(key, b"invitation-token:" + seed.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:16]).rstrip(b"=").decode()


# Templates ----------------------------------------------------------------------------------

def template_for(survey, purpose):
    row = db.session.scalar(sa.select(MessageTemplate).where(
        MessageTemplate.survey_id == survey.id, MessageTemplate.purpose == purpose))
    if row is None:
        subject, body = DEFAULT_TEMPLATES[purpose]
        row = MessageTemplate(survey_id=survey.id, purpose=purpose, subject=subject, body=body)
    return row


def check_template(subject, body):
    if not subject.strip() or not body.strip():
        raise ServiceError("Enter a subject and the words of the email.")
    if len(subject) > 200:
        raise ServiceError("The subject must be 200 characters or fewer.")
    unknown = sorted({name for name in _PLACEHOLDER.findall(subject + body) if name not in PLACEHOLDERS})
    if unknown:
        raise ServiceError("Unknown placeholder " + ", ".join("{" + name + "}" for name in unknown)
                           + ". Use only those listed.")
    if "{link}" not in body:
        raise ServiceError("The email must contain {link}, or people cannot answer.")
    if "{opt_out}" not in body:
        raise ServiceError("The email must contain {opt_out}, so people can stop the emails.")


def save_template(user, survey, purpose, subject, body):
    if purpose not in DEFAULT_TEMPLATES:
        raise NotFound("No such email.")
    check_template(subject, body)
    row = template_for(survey, purpose)
    row.subject, row.body = subject.strip(), body.replace("\r\n", "\n").strip()
    db.session.add(row)
    record("message_template_edit", user=user, survey_id=survey.id, purpose=purpose)
    commit()
    return row


def render(subject, body, values):
    """(subject, text, html): placeholders filled; in HTML every piece is escaped, links made links."""
    def fill_text(template):
        return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)

    def fill_html(template):
        out, last = [], 0
        for match in _PLACEHOLDER.finditer(template):
            out.append(str(escape(template[last:match.start()])))
            name, value = match.group(1), values.get(match.group(1))
            if value is None:
                out.append(str(escape(match.group(0))))
            elif name in ("link", "opt_out"):
                out.append(f'<a href="{escape(value)}">{escape(value)}</a>')
            else:
                out.append(str(escape(value)))
            last = match.end()
        out.append(str(escape(template[last:])))
        return "".join(out)

    # Header values must be one line, whatever a school's name holds.
    subject_text = " ".join(fill_text(subject).split())
    paragraphs = [p for p in body.replace("\r\n", "\n").split("\n\n") if p.strip()]
    html = "".join("<p>" + fill_html(p).replace("\n", "<br>") + "</p>\n" for p in paragraphs)
    html = f'<!doctype html>\n<html lang="en"><body style="font-family: sans-serif">\n{html}</body></html>\n'
    return subject_text, fill_text(body), html


def sample_values(survey, school):
    return _values(survey, school, None, "EXAMPLE-TOKEN", "EXAMPLE")


def _values(survey, school, contact, token, opt_out_token):
    name = (contact.name if contact and contact.kind == "staff" and contact.name else None)
    return {
        "name": name or ("colleague" if survey.instrument.audience == "staff" else "parent or carer"),
        "school": school.name, "survey": survey.title,
        "closes": f"{survey.closes_on.day} {survey.closes_on:%B %Y}",
        # The respondent route surveys.respond_invitation; url_for needs a request, and cron has none.
        "link": public_url(f"/i/{token}"),
        "opt_out": public_url(f"/opt-out/{opt_out_token}"),
    }


def public_url(path):
    """An absolute link for an email; built from config, because cron and the sender thread have no request."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


# Opt-out ------------------------------------------------------------------------------------

def _opt_out_serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="invitations-opt-out")


def opt_out_token(contact):
    return _opt_out_serializer().dumps(contact.id)


def contact_from_opt_out(signed):
    try:
        contact_id = _opt_out_serializer().loads(signed)
    except BadSignature:
        raise NotFound("This link is not valid. Copy the whole link from the email.") from None
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("You are no longer on the list: your details have been deleted.")
    return contact


def opt_out(contact):
    contact.opted_out = True
    commit()


# Queueing -----------------------------------------------------------------------------------

def queue_invitations(user, survey, schools):
    """One invitation per contact and school (a family at two schools gets two, with two children at one gets one).

    Each is a collection InvitationToken, the same kind as a paper letter's, with an
    Invitation saying which contact it went to and an outbox row to send.
    """
    kind = AUDIENCE_KINDS.get(survey.instrument.audience)
    if kind is None:
        raise ServiceError("Pupil surveys are answered in class sessions; there is nobody to email.")
    if survey.access_mode != "tokens":
        raise ServiceError("Only surveys answered by invitation have personal links to email. "
                           "Change how people answer this survey to 'by invitation' first.")
    if survey.status(clock.today()) == "closed":
        raise ServiceError("This survey has closed, so no invitations can be sent.")
    links = {link.school_id: link for link in survey.schools}
    queued = 0
    for school in schools:
        link = links.get(school.id)
        if link is None:
            continue
        invited = set(db.session.scalars(
            sa.select(Invitation.contact_id).where(Invitation.survey_school_id == link.id)))
        contacts = db.session.scalars(sa.select(Contact).where(
            Contact.school_id == school.id, Contact.kind == kind, Contact.email.is_not(None),
            Contact.opted_out.is_(False)).order_by(Contact.id))
        for contact in contacts:
            if contact.id in invited:
                continue
            seed = new_seed()
            token = InvitationToken(survey_school_id=link.id, token_hash=digest("invitation", token_of(seed)))
            invitation = Invitation(survey_school_id=link.id, contact=contact, seed=seed, token=token)
            db.session.add(OutboxMessage(invitation=invitation, purpose="invitation",
                                         recipient=contact.email))
            queued += 1
    if not queued:
        raise ServiceError("Everyone with an email address has already been invited.")
    record("invitations_queue", user=user, survey_id=survey.id, queued=queued)
    commit("Invitations were being queued at the same moment. Refresh the page to see them.")
    return queued


def queue_reminders(now=None):
    """Queue every reminder now due: invitation sent, token unused, not opted out, survey open.

    Reminder n is due REMINDER_DAYS[n] days after the invitation went, and (if cron missed a
    day) never sooner after the previous reminder than the schedule spaces them.
    """
    now = now or clock.utcnow()
    today = now.date()
    days = list(current_app.config["REMINDER_DAYS"])
    invited = aliased(OutboxMessage)
    reminder = aliased(OutboxMessage)
    reminders = (sa.select(sa.func.count(reminder.id), sa.func.max(reminder.at))
                 .where(reminder.invitation_id == Invitation.id, reminder.purpose != "invitation"))
    count = reminders.with_only_columns(sa.func.count(reminder.id)).scalar_subquery()
    last = reminders.with_only_columns(sa.func.max(reminder.at)).scalar_subquery()
    rows = db.session.execute(
        sa.select(Invitation.id, Contact.email, invited.at, count, last)
        .join(invited, sa.and_(invited.invitation_id == Invitation.id, invited.purpose == "invitation"))
        .join(InvitationToken, InvitationToken.id == Invitation.token_id)
        .join(Contact, Contact.id == Invitation.contact_id)
        .join(SurveySchool, SurveySchool.id == Invitation.survey_school_id)
        .join(Survey, Survey.id == SurveySchool.survey_id)
        .where(invited.status == "sent", InvitationToken.used.is_(False), Contact.opted_out.is_(False),
               Contact.email.is_not(None), Survey.opens_on <= today, Survey.closes_on >= today,
               count < len(days))
        .order_by(Invitation.id)
    ).all()
    due = [
        OutboxMessage(invitation_id=invitation_id, purpose=f"reminder_{n + 1}", recipient=email)
        for invitation_id, email, sent_at, n, previous in rows
        if now >= _aware(sent_at) + timedelta(days=days[n])
        and (n == 0 or now >= _aware(previous) + timedelta(days=days[n] - days[n - 1]))
    ]
    db.session.add_all(due)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another run queued them at the same moment; it sends them
        return 0
    return len(due)


def retry_failed(user, survey, school_ids=None):
    """Queue this survey's failed (not bounced) emails again."""
    rows = _survey_messages(survey, school_ids).where(OutboxMessage.status == "failed")
    ids = db.session.scalars(rows.with_only_columns(OutboxMessage.id)).all()
    if ids:
        db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                           .values(status="queued", claim=None))
    record("invitations_retry", user=user, survey_id=survey.id, retried=len(ids))
    commit()
    return len(ids)


# Sending ------------------------------------------------------------------------------------

KINDS = {"invitation": OutboxMessage.purpose == "invitation",
         "reminder": OutboxMessage.purpose != "invitation"}


def start_sending(survey):
    """Send the survey's queued emails in a background thread, unless it is sending already."""
    app = current_app._get_current_object()
    with _running_lock:
        if survey.id in _running:
            return None
        _running.add(survey.id)

    def run():
        try:
            with app.app_context():
                send_queued(survey_id=survey.id)
                db.session.remove()
        finally:
            with _running_lock:
                _running.discard(survey.id)

    thread = threading.Thread(target=run, name=f"send-survey-{survey.id}", daemon=True)
    thread.start()
    return thread


def recover_stuck(now=None):
    """Queue again the emails a stopped run left "sending" for more than MAIL_STUCK_MINUTES.

    Whether the mail server accepted them is unknown (a run records each acceptance as it
    happens, so these are at most the one or two in flight when it stopped); they go again
    with the same Message-ID, which mail programs use to drop a repeat.
    """
    now = now or clock.utcnow()
    cutoff = now - timedelta(minutes=current_app.config["MAIL_STUCK_MINUTES"])
    recovered = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < cutoff)
        .values(status="queued", claim=None)
    ).rowcount
    db.session.commit()
    return recovered


def requeue_failed(now=None):
    """Queue again the failed emails whose wait is over: MAIL_RETRY_AFTER_MINUTES after the first
    try, doubling after each, until MAIL_MAX_ATTEMPTS runs have tried. Bounces never go again:
    the address is wrong. Returns how many were queued."""
    now = now or clock.utcnow()
    config = current_app.config
    queued = 0
    for attempts in range(1, config["MAIL_MAX_ATTEMPTS"]):
        wait = timedelta(minutes=config["MAIL_RETRY_AFTER_MINUTES"] * 2 ** (attempts - 1))
        queued += db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.status == "failed", OutboxMessage.attempts == attempts,
                   OutboxMessage.at < now - wait)
            .values(status="queued", claim=None)
        ).rowcount
    db.session.commit()
    return queued


def send_queued(survey_id=None, kind=None):
    """Send queued emails in batches, each claimed first so two runs never send the same one.

    Failed emails whose wait is over go again (requeue_failed). Returns how many the mail
    server accepted.
    """
    recover_stuck()
    requeue_failed()
    sent = 0
    while True:
        claim = _claim(survey_id, kind)
        if claim is None:
            return sent
        sent += _send_claimed(claim)


def send_reminders(now=None):
    """Queue the reminders now due and send them (for cron); a second run straight after sends nothing."""
    queue_reminders(now)
    return send_queued(kind="reminder")


def _claim(survey_id, kind):
    """Mark up to MAIL_BATCH_SIZE queued rows as this run's; returns the claim, or None if none were left."""
    query = (sa.select(OutboxMessage.id).where(OutboxMessage.status == "queued")
             .order_by(OutboxMessage.id).limit(current_app.config["MAIL_BATCH_SIZE"]))
    if kind is not None:
        query = query.where(KINDS[kind])
    if survey_id is not None:
        query = (query.join(Invitation, Invitation.id == OutboxMessage.invitation_id)
                 .join(SurveySchool, SurveySchool.id == Invitation.survey_school_id)
                 .where(SurveySchool.survey_id == survey_id))
    ids = db.session.scalars(query).all()
    if not ids:
        return None
    claim = secrets.token_hex(16)
    # "status == queued" again: a row another run claimed since the select stays theirs.
    db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.status == "queued")
        .values(status="sending", claim=claim, claimed_at=clock.utcnow(),
                attempts=OutboxMessage.attempts + 1)
    )
    db.session.commit()
    return claim


def _send_claimed(claim):
    """Render and send this claim's emails, recording each result as soon as the server answers."""
    config = current_app.config
    rows = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.claim == claim).order_by(OutboxMessage.id)
        .options(*_LOADS)).all()
    today = clock.today()
    templates, outgoing = {}, []
    for row in rows:
        invitation = row.invitation
        contact, survey = invitation.contact, invitation.survey_school.survey
        reason = _not_wanted(row, contact, invitation.token, survey, today)
        if reason:
            row.status, row.error, row.claim = "cancelled", reason, None
            continue
        purpose = "invitation" if row.purpose == "invitation" else "reminder"
        if (survey.id, purpose) not in templates:
            templates[survey.id, purpose] = template_for(survey, purpose)
        template = templates[survey.id, purpose]
        values = _values(survey, invitation.survey_school.school, contact, token_of(invitation.seed),
                         opt_out_token(contact))
        subject, text, html = render(template.subject, template.body, values)
        headers = {"List-Unsubscribe": f"<{values['opt_out']}>",
                   "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        message = build_message(config["MAIL_DEFAULT_SENDER"], contact.email, subject, text, html,
                                headers, message_id=row.message_id)
        row.message_id, row.recipient, row.subject = message["Message-ID"], contact.email, subject[:200]
        outgoing.append((row.id, message))
    db.session.commit()  # the Message-IDs are kept before anything goes, so a resend reuses them
    # Only plain values are used from here; an empty session makes each commit below cheap.
    db.session.expunge_all()
    sent = 0
    heartbeat = clock.utcnow()
    with Mailer(config) as mailer:
        for row_id, message in outgoing:
            status, error = mailer.send(message)
            now = clock.utcnow()
            db.session.execute(
                sa.update(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.claim == claim)
                .values(status=status, error=error, at=now, claim=None))
            if now - heartbeat > timedelta(minutes=1):
                # A slow server is not a stopped run: keep the rest of the claim from looking stuck.
                db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.claim == claim)
                                   .values(claimed_at=now))
                heartbeat = now
            db.session.commit()
            sent += status == "sent"
    return sent


def _not_wanted(row, contact, token, survey, today):
    """Why a queued email should no longer go, or None."""
    if contact.opted_out:
        return "Opted out"
    if not contact.email:
        return "No email address"
    if survey.status(today) == "closed":
        return "Survey closed"
    if row.purpose != "invitation" and token.used:
        return "Already answered"
    return None


# Progress and the outbox --------------------------------------------------------------------

def _survey_messages(survey, school_ids=None):
    query = (sa.select(OutboxMessage).join(Invitation, Invitation.id == OutboxMessage.invitation_id)
             .join(SurveySchool, SurveySchool.id == Invitation.survey_school_id)
             .where(SurveySchool.survey_id == survey.id))
    if school_ids is not None:
        query = query.where(SurveySchool.school_id.in_(school_ids))
    return query


def progress(survey, school_ids=None):
    """This survey's emails by status: {"queued": n, "sending": n, "sent": n, ..., "total", "done", "percent"}."""
    query = (_survey_messages(survey, school_ids)
             .with_only_columns(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status))
    counts = dict.fromkeys(OUTBOX_STATUSES, 0)
    counts.update(dict(db.session.execute(query).all()))
    counts["total"] = sum(counts.values())
    waiting = counts["queued"] + counts["sending"]
    counts["done"] = waiting == 0
    counts["percent"] = round(100 * (counts["total"] - waiting) / counts["total"]) if counts["total"] else 100
    return counts


def outbox(survey, school_ids=None, limit=200):
    query = (_survey_messages(survey, school_ids)
             .order_by(OutboxMessage.at.desc(), OutboxMessage.id.desc()).limit(limit)
             .options(selectinload(OutboxMessage.invitation).selectinload(Invitation.survey_school)
                      .selectinload(SurveySchool.school)))
    return db.session.scalars(query).all()


def _aware(moment):
    """SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
