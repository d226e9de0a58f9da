"""Contact lists: CSV import (upload, map columns, preview, confirm), edits and hard deletion."""

import csv
import io
import re

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from app.extensions import db
from app.models import Contact, ContactImport, Invitation, InvitationToken, OutboxMessage
from app.models.audit import record
from app.models.trust import YEAR_GROUPS
from app.services import NotFound, ServiceError, commit

# What a contact row can hold, and the headings school information systems (SIMS, Arbor,
# Bromcom, ScholarPack) use for it in their exports, for a first guess at the mapping.
FIELDS = {
    "staff": ["first_name", "last_name", "name", "email", "role_group"],
    "family": ["first_name", "last_name", "name", "email", "mobile", "year_group"],
}
FIELD_LABELS = {
    "first_name": "First name", "last_name": "Last name", "name": "Full name",
    "email": "Email address", "mobile": "Mobile number", "role_group": "Role group",
    "year_group": "Child's year group",
}
GUESSES = {
    "first_name": ["forename", "first name", "legal forename", "preferred forename", "contact forename", "firstname"],
    "last_name": ["surname", "last name", "legal surname", "contact surname", "lastname"],
    "name": ["name", "full name", "contact name", "staff name", "parent name"],
    "email": ["email", "email address", "primary email", "contact email", "main email", "e-mail", "work email"],
    "mobile": ["mobile", "mobile number", "mobile phone", "contact mobile", "telephone (mobile)", "phone"],
    "role_group": ["role", "role group", "staff role", "job title", "post", "category"],
    "year_group": ["year", "year group", "nc year", "year taught in", "pupil year", "child year group"],
}
PREVIEW_ROWS = 20
_YEAR = {label.lower(): label for label in YEAR_GROUPS}
_YEAR.update({"r": "Reception", "rec": "Reception", "yr": "Reception", "f2": "Reception"})
_YEAR.update({str(n): f"Year {n}" for n in range(1, 7)})
_YEAR.update({f"y{n}": f"Year {n}" for n in range(1, 7)})
_YEAR.update({f"year{n}": f"Year {n}" for n in range(1, 7)})


class ImportRefused(ServiceError):
    """The file or some of its rows cannot be imported; `problems` lists (row number, reason)."""

    def __init__(self, message, problems=()):
        super().__init__(message)
        self.problems = list(problems)


def start_import(user, school, kind, filename, data):
    """Keep an uploaded CSV until its columns are mapped; refuse files we cannot read."""
    if kind not in FIELDS:
        raise ServiceError("Choose staff or families.")
    if not data:
        raise ServiceError("The file is empty. Export the contact list as CSV and upload it again.")
    text = _decode(data)
    rows = _read_rows(text)
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ServiceError("The file has no heading row. The first row must name the columns.")
    limit = current_app.config["CONTACTS_MAX_ROWS"]
    if len(rows) - 1 > limit:
        raise ServiceError(
            f"The file has {len(rows) - 1:,} rows; up to {limit:,} can be imported at once. "
            "Split it into smaller files."
        )
    if not any(any(cell.strip() for cell in row) for row in rows[1:]):  # blank lines are not contacts
        raise ServiceError("The file has a heading row but no contacts.")
    pending = ContactImport(
        school_id=school.id, user_id=user.id, kind=kind, filename=(filename or "contacts.csv")[:200],
        text=text, mapping=guess_mapping(rows[0], kind),
    )
    db.session.add(pending)
    commit()
    return pending


def pending_import(user, school, import_id):
    pending = db.session.get(ContactImport, import_id)
    if pending is None or pending.school_id != school.id or pending.user_id != user.id:
        raise NotFound("That import has finished or was never started. Upload the file again.")
    return pending


def headings(pending):
    return [cell.strip() for cell in _read_rows(pending.text)[0]]


def guess_mapping(header, kind):
    """Field -> column index, for headings we recognise."""
    mapping = {}
    lowered = [cell.strip().lower() for cell in header]
    for field in FIELDS[kind]:
        for index, heading in enumerate(lowered):
            if heading in GUESSES[field] and index not in mapping.values():
                mapping[field] = index
                break
    return mapping


def set_mapping(pending, mapping):
    """Save the chosen columns (field -> column index or None); email or mobile must be mapped."""
    count = len(headings(pending))
    clean = {}
    for field in FIELDS[pending.kind]:
        index = mapping.get(field)
        if index is None or index == "":
            continue
        try:
            index = int(index)
        except (TypeError, ValueError):
            raise ServiceError(f"Choose a column for {FIELD_LABELS[field].lower()}.") from None
        if not 0 <= index < count:
            raise ServiceError(f"Choose a column for {FIELD_LABELS[field].lower()}.")
        clean[field] = index
    reach = ["email"] if pending.kind == "staff" else ["email", "mobile"]
    if not any(field in clean for field in reach):
        raise ServiceError("Choose the column that holds the email address"
                           + (" or mobile number." if pending.kind == "family" else "."))
    used = list(clean.values())
    if len(used) != len(set(used)):
        raise ServiceError("Each column can be used for one thing only.")
    pending.mapping = clean
    commit()
    return pending


def preview(pending):
    """What confirming would do: contacts merged by email/mobile, and every bad row with its number.

    Returns a dict: contacts (merged rows), problems [(row number, reason)], new, updated, merged.
    """
    rows = _read_rows(pending.text)
    mapping = {field: int(index) for field, index in pending.mapping.items()}
    contacts, problems, merged = {}, [], 0
    for number, row in enumerate(rows[1:], start=2):  # row 1 is the heading row
        if not any(cell.strip() for cell in row):
            continue
        try:
            contact = _parse_row(row, mapping, pending.kind)
        except ValueError as error:
            problems.append((number, str(error)))
            continue
        key = _key(contact)
        if key in contacts:
            merged += 1
            _merge(contacts[key], contact)
        else:
            contacts[key] = contact
    existing = _existing(pending.school_id, pending.kind)
    updated = sum(1 for key in contacts if key in existing)
    return {
        "contacts": list(contacts.values()), "problems": problems, "merged": merged,
        "updated": updated, "new": len(contacts) - updated,
    }


def confirm_import(user, school, pending):
    """Write every contact of the file in one transaction, or none if any row is bad."""
    result = preview(pending)
    if result["problems"]:
        raise ImportRefused(
            f"{len(result['problems'])} rows need fixing, so nothing was imported.", result["problems"]
        )
    existing = _existing(school.id, pending.kind)
    for contact in result["contacts"]:
        row = existing.get(_key(contact))
        if row is None:
            db.session.add(Contact(school_id=school.id, kind=pending.kind, **contact))
            continue
        row.name = contact["name"] or row.name
        row.email = contact["email"] or row.email
        row.mobile = contact["mobile"] or row.mobile
        row.role_group = contact["role_group"] or row.role_group
        row.year_groups = _years(row.year_groups + contact["year_groups"])
    db.session.delete(pending)
    record("contacts_import", user=user, school=school, kind=pending.kind,
           new=result["new"], updated=result["updated"])
    commit("Some of these contacts were changed by someone else meanwhile. Upload the file again.")
    return result


def contacts_of(school, kind):
    return db.session.scalars(
        sa.select(Contact).where(Contact.school_id == school.id, Contact.kind == kind)
        .order_by(Contact.name, Contact.email, Contact.mobile)
    ).all()


def email_problems(school, kind):
    """{contact_id: (status, error)} where the contact's latest email bounced or failed, so the address needs checking."""
    latest = (
        sa.select(Invitation.contact_id, sa.func.max(OutboxMessage.id).label("id"))
        .join(OutboxMessage, OutboxMessage.invitation_id == Invitation.id)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Contact.school_id == school.id, Contact.kind == kind,
               OutboxMessage.status.in_(("sent", "bounced", "failed")))
        .group_by(Invitation.contact_id).subquery())
    rows = db.session.execute(
        sa.select(latest.c.contact_id, OutboxMessage.status, OutboxMessage.error)
        .join(OutboxMessage, OutboxMessage.id == latest.c.id)
        .where(OutboxMessage.status.in_(("bounced", "failed"))))
    return {contact_id: (status, error) for contact_id, status, error in rows}


def contact_or_404(school, contact_id):
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.school_id != school.id:
        raise NotFound("That contact is not on this school's list.")
    return contact


def update_contact(user, contact, name, email, mobile, role_group, year_groups):
    values = {"name": name, "email": email, "mobile": mobile, "role_group": role_group,
              "year_group": ";".join(year_groups or [])}
    fields = ["name", "email", "mobile", "role_group", "year_group"]
    try:
        parsed = _parse_row([values[f] or "" for f in fields], dict(zip(fields, range(5))), contact.kind)
    except ValueError as error:
        raise ServiceError(str(error)) from None
    for field, value in parsed.items():
        setattr(contact, field, value)
    record("contact_edit", user=user, school=contact.school, contact_id=contact.id)
    commit("Another contact of this school already has that email address or mobile number.")
    return contact


def delete_contact(user, contact):
    """Hard delete, as asked for: the contact and their invitations go; the audit says only that it happened.

    Their unused links stop working. A used token stays: it holds nothing about them and
    still counts in the response rates.
    """
    school = contact.school
    unused = db.session.scalars(
        sa.select(Invitation.token_id).join(InvitationToken, InvitationToken.id == Invitation.token_id)
        .where(Invitation.contact_id == contact.id, InvitationToken.used.is_(False))).all()
    if unused:
        db.session.execute(sa.delete(InvitationToken).where(InvitationToken.id.in_(unused)))
    db.session.delete(contact)
    record("contact_delete", user=user, school=school, kind=contact.kind)
    commit()


def _decode(data):
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise ServiceError("This does not look like a CSV file. Export the contact list as CSV and upload it again.")


def _read_rows(text):
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error as error:
        raise ServiceError(f"The file could not be read as CSV ({error}).") from None


def _cell(row, mapping, field):
    index = mapping.get(field)
    if index is None or index >= len(row):
        return ""
    return row[index].strip()


def _parse_row(row, mapping, kind):
    """One contact from a CSV row; ValueError says what is wrong in plain words."""
    name = _cell(row, mapping, "name") or " ".join(
        part for part in (_cell(row, mapping, "first_name"), _cell(row, mapping, "last_name")) if part)
    email = _cell(row, mapping, "email")
    mobile = _cell(row, mapping, "mobile") if kind == "family" else ""
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            raise ValueError(f"'{email[:60]}' is not an email address") from None
    if mobile:
        mobile = _mobile(mobile)
    if not email and not mobile:
        raise ValueError("no email address" + (" or mobile number" if kind == "family" else ""))
    years = []
    if kind == "family":
        for part in re.split(r"[;,/|]", _cell(row, mapping, "year_group")):
            part = part.strip()
            if not part:
                continue
            year = _YEAR.get(part.lower().replace("year ", "year").replace(" ", "")) or _YEAR.get(part.lower())
            if year is None:
                raise ValueError(f"'{part[:30]}' is not a primary year group (Reception to Year 6)")
            years.append(year)
    if len(name) > 200:
        raise ValueError("the name is longer than 200 characters")
    role = _cell(row, mapping, "role_group")[:60] if kind == "staff" else ""
    return {"name": name or None, "email": email or None, "mobile": mobile or None,
            "role_group": role or None, "year_groups": _years(years)}


def _mobile(value):
    digits = re.sub(r"[\s()\-.]", "", value)
    if digits.startswith("+44"):
        digits = "0" + digits[3:]
    elif digits.startswith("0044"):
        digits = "0" + digits[4:]
    if not re.fullmatch(r"07\d{9}", digits):
        raise ValueError(f"'{value[:30]}' is not a UK mobile number")
    return digits


def _years(years):
    return sorted(set(years), key=YEAR_GROUPS.index)


def _key(contact):
    """Rows for the same person: the same email, or the same mobile when there is no email."""
    return ("email", contact["email"]) if contact["email"] else ("mobile", contact["mobile"])


def _merge(into, other):
    for field in ("name", "email", "mobile", "role_group"):
        into[field] = into[field] or other[field]
    into["year_groups"] = _years(into["year_groups"] + other["year_groups"])


def _existing(school_id, kind):
    found = {}
    for contact in db.session.scalars(
        sa.select(Contact).where(Contact.school_id == school_id, Contact.kind == kind)
    ):
        if contact.mobile:
            found[("mobile", contact.mobile)] = contact
        if contact.email:
            found[("email", contact.email)] = contact
    return found
