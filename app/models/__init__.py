"""The data model, one module per stage of the data path; imported here so Alembic sees every table."""

from app.models.trust import Hub, Priority, School, Trust
from app.models.users import ROLES, RoleAssignment, User
from app.models.instruments import AUDIENCES, QUESTION_TYPES, Instrument, Question
from app.models.surveys import Survey, SurveySchool
from app.models.responses import Answer, Response
from app.models.audit import AuditEvent
from app.models.invitations import Contact, ContactImport, Invitation, MessageTemplate, OutboxMessage

__all__ = [
    "AUDIENCES", "QUESTION_TYPES", "ROLES",
    "Answer", "AuditEvent", "Hub", "Instrument", "Priority", "Question", "Response",
    "RoleAssignment", "School", "Survey", "SurveySchool", "Trust", "User",
    "Contact", "ContactImport", "Invitation", "MessageTemplate", "OutboxMessage",
]
