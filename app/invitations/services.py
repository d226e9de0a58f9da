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
from sqlalchemy.orm import selectinload

from app import clock
from app.extensions import db
from app.invitations.mail import Mailer, build_message
from app.models import Contact, Invitation, MessageTemplate, OutboxMessage, Survey, SurveySchool
from app.models.audit import record
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
    selectinload(Invitation.contact),
    selectinload(Invitation.survey_school).selectinload(SurveySchool.school),
    selectinload(Invitation.survey_school).selectinload(SurveySchool.survey).selectinload(Survey.instrument),
)
_running = set()
_running_lock = threading.Lock()


# Tokens -------------------------------------------------------------------------------------

def new_seed():
    return secrets.token_urlsafe(16)


def token_of(seed):
    """The link token of an invitation: worked out from its seed, so reminders carry the same link."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, b"invitation-token:" + seed.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def token_used(token_hash_):
    """Whether the invitation token with this hash has produced a response.

    After the merge with collection this reads InvitationToken.used by token_hash (the
    collection table knows a token was used, never which response it produced); until
    then it reads the stand-in flag on Invitation. Everything else asks here.
    """
    return bool(db.session.scalar(sa.select(Invitation.used).where(Invitation.token_hash == token_hash_)))


def _unused_clause():
    """SQL for token_used() being false, so reminders can filter in the database."""
    return Invitation.used.is_(False)


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
        "link": public_url(f"/t/{token}"),
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


# Queueing and sending ------------------------------------------------------------------------

def queue_invitations(user, survey, schools):
    """One invitation per contact and school (a family at two schools gets two, with two children at one gets one)."""
    kind = AUDIENCE_KINDS.get(survey.instrument.audience)
    if kind is None:
        raise ServiceError("Pupil surveys are answered in class sessions; there is nobody to email.")
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
            Contact.opted_out.is_(False)))
        for contact in contacts:
            if contact.id in invited:
                continue
            seed = new_seed()
            db.session.add(Invitation(survey_school_id=link.id, contact_id=contact.id, seed=seed,
                                      token_hash=token_hash(token_of(seed))))
            queued += 1
    if not queued:
        raise ServiceError("Everyone with an email address has already been invited.")
    record("invitations_queue", user=user, survey_id=survey.id, queued=queued)
    commit()
    return queued


def start_sending(survey):
    """Send the queued invitations in a background thread, unless that survey is sending already."""
    app = current_app._get_current_object()
    with _running_lock:
        if survey.id in _running:
            return None
        _running.add(survey.id)

    def run():
        try:
            with app.app_context():
                send_queued(survey.id)
                db.session.remove()
        finally:
            with _running_lock:
                _running.discard(survey.id)

    thread = threading.Thread(target=run, name=f"send-survey-{survey.id}", daemon=True)
    thread.start()
    return thread


def send_queued(survey_id=None):
    """Send queued invitations in batches; each is claimed in the outbox first, so none goes twice."""
    sent = 0
    batch_size = current_app.config["MAIL_BATCH_SIZE"]
    while True:
        query = (sa.select(Invitation).join(SurveySchool)
                 .where(Invitation.status == "queued").order_by(Invitation.id).limit(batch_size)
                 .options(*_LOADS))
        if survey_id is not None:
            query = query.where(SurveySchool.survey_id == survey_id)
        batch = db.session.scalars(query).all()
        if not batch:
            return sent
        sent += _send_batch(batch, "invitation")


def due_reminders(now=None):
    """Invitations whose next reminder is due: sent, link unused, not opted out, survey open."""
    now = now or clock.utcnow()
    days = list(current_app.config["REMINDER_DAYS"])
    today = clock.today()
    rows = db.session.scalars(
        sa.select(Invitation).join(SurveySchool).join(Survey).join(Contact)
        .where(Invitation.status == "sent", _unused_clause(), Contact.opted_out.is_(False),
               Invitation.reminders_sent < len(days), Survey.opens_on <= today,
               Survey.closes_on >= today)
        .order_by(Invitation.id).options(*_LOADS)
    ).all()
    due = []
    for invitation in rows:
        sent_at = _aware(invitation.sent_at)
        if now >= sent_at + timedelta(days=days[invitation.reminders_sent]) \
                and not token_used(invitation.token_hash):
            due.append(invitation)
    return due


def send_reminders(now=None):
    """Send every reminder that is due (for cron); a second run straight after sends nothing."""
    due = due_reminders(now)
    batch_size = current_app.config["MAIL_BATCH_SIZE"]
    sent = 0
    for start in range(0, len(due), batch_size):
        sent += _send_batch(due[start:start + batch_size], "reminder")
    return sent


def _send_batch(batch, purpose):
    config = current_app.config
    templates = {}
    prepared = []
    for invitation in batch:
        label = purpose if purpose == "invitation" else f"reminder_{invitation.reminders_sent + 1}"
        survey, school = invitation.survey_school.survey, invitation.survey_school.school
        kind = "invitation" if purpose == "invitation" else "reminder"
        if (survey.id, kind) not in templates:
            templates[survey.id, kind] = template_for(survey, kind)
        template = templates[survey.id, kind]
        values = _values(survey, school, invitation.contact, token_of(invitation.seed),
                         opt_out_token(invitation.contact))
        subject, text, html = render(template.subject, template.body, values)
        outbox = OutboxMessage(invitation_id=invitation.id, purpose=label,
                               recipient=invitation.contact.email, subject=subject, status="sending")
        headers = {"List-Unsubscribe": f"<{values['opt_out']}>",
                   "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        message = build_message(config["MAIL_DEFAULT_SENDER"], invitation.contact.email,
                                subject, text, html, headers)
        prepared.append((invitation, outbox, message))
    claimed = _claim(prepared)  # commits, so only plain values are used below
    with Mailer(config) as mailer:
        for item in claimed:
            item["status"], item["error"] = mailer.send(item.pop("message"))
            item["at"] = clock.utcnow()
    outbox_rows = [{"id": c["outbox_id"], "status": c["status"], "error": c["error"], "at": c["at"]}
                   for c in claimed]
    if purpose == "invitation":
        invitation_rows = [
            {"id": c["id"], "status": c["status"], "error": c["error"], "attempts": c["attempts"] + 1,
             "sent_at": c["at"] if c["status"] == "sent" else None} for c in claimed]
    else:
        invitation_rows = [{"id": c["id"], "reminders_sent": c["reminders_sent"] + 1}
                           for c in claimed if c["status"] == "sent"]
    for model, rows in ((OutboxMessage, outbox_rows), (Invitation, invitation_rows)):
        if rows:
            db.session.execute(sa.update(model), rows)
    db.session.commit()
    return sum(c["status"] == "sent" for c in claimed)


def _claim(prepared):
    """Write the outbox rows before sending; the unique (invitation, purpose) lets only one run have each.

    Returns a dict of plain values (ids, counts, the message) for each claimed one.
    """
    claimed = prepared
    try:
        with db.session.begin_nested():
            db.session.add_all(outbox for _, outbox, _ in prepared)
    except IntegrityError:
        claimed = []  # another run claimed some of them: claim one by one
        for item in prepared:
            try:
                with db.session.begin_nested():
                    db.session.add(item[1])
            except IntegrityError:
                continue
            claimed.append(item)
    values = [{"id": invitation.id, "outbox_id": outbox.id, "attempts": invitation.attempts,
               "reminders_sent": invitation.reminders_sent, "message": message}
              for invitation, outbox, message in claimed]
    db.session.commit()
    return values


def progress(survey, school_ids=None):
    """Invitations of a survey by status: {"queued": n, "sent": n, ..., "total": n, "done": bool}."""
    query = (sa.select(Invitation.status, sa.func.count()).join(SurveySchool)
             .where(SurveySchool.survey_id == survey.id).group_by(Invitation.status))
    if school_ids is not None:
        query = query.where(SurveySchool.school_id.in_(school_ids))
    counts = {status: 0 for status in ("queued", "sent", "failed", "bounced")}
    counts.update(dict(db.session.execute(query).all()))
    counts["total"] = sum(counts.values())
    counts["done"] = counts["queued"] == 0
    counts["percent"] = round(100 * (counts["total"] - counts["queued"]) / counts["total"]) \
        if counts["total"] else 100
    return counts


def outbox(survey, school_ids=None, limit=200):
    query = (sa.select(OutboxMessage).join(Invitation).join(SurveySchool)
             .where(SurveySchool.survey_id == survey.id)
             .order_by(OutboxMessage.at.desc(), OutboxMessage.id.desc()).limit(limit))
    if school_ids is not None:
        query = query.where(SurveySchool.school_id.in_(school_ids))
    return db.session.scalars(query).all()


def retry_failed(user, survey, school_ids=None):
    """Queue failed (not bounced) invitations again; their claim in the outbox is released."""
    query = (sa.select(Invitation).join(SurveySchool)
             .where(SurveySchool.survey_id == survey.id, Invitation.status == "failed"))
    if school_ids is not None:
        query = query.where(SurveySchool.school_id.in_(school_ids))
    rows = db.session.scalars(query).all()
    for invitation in rows:
        invitation.status = "queued"
        db.session.execute(sa.delete(OutboxMessage).where(
            OutboxMessage.invitation_id == invitation.id, OutboxMessage.purpose == "invitation"))
    record("invitations_retry", user=user, survey_id=survey.id, retried=len(rows))
    commit()
    return len(rows)


def _aware(moment):
    """SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
