"""Action plans: add and update a school's actions against its priorities and indicators."""

from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import Action, Priority
from app.models.actions import ACTION_STATUSES
from app.models.audit import record
from app.services import NotFound, ServiceError, commit

FIELDS = ("priority_key", "question_key", "you_said", "title", "owner", "due_on", "status",
          "progress")


def action_of(school, action_id):
    action = db.session.get(Action, action_id)
    if action is None or action.school_id != school.id:
        raise NotFound("There is no such action.")
    return action


def save_action(user, school, values, action=None):
    """Create (action None) or update an action after checking its values; returns it."""
    values = {key: values.get(key) for key in FIELDS}
    keys = set(db.session.scalars(sa.select(Priority.key).where(Priority.trust_id == school.trust_id)))
    if values["priority_key"] not in keys:
        raise ServiceError("Choose a priority from the list.")
    if values["status"] not in ACTION_STATUSES:
        raise ServiceError("Choose a status from the list.")
    if not isinstance(values["due_on"], date):
        raise ServiceError("Enter the date the action is due.")
    for key in ("you_said", "title", "owner"):
        values[key] = (values[key] or "").strip()
        if not values[key]:
            raise ServiceError("Fill in what people said, the action and who owns it.")
    values["question_key"] = values["question_key"] or None
    values["progress"] = (values["progress"] or "").strip() or None
    if action is None:
        action = Action(school_id=school.id)
        db.session.add(action)
    for key, value in values.items():
        setattr(action, key, value)
    db.session.flush()
    record("save_action", user=user, school=school, action_id=action.id, status=action.status)
    commit()
    return action
