"""The data model, one module per stage of the data path; imported here so Alembic sees every table."""

from app.models.trust import Hub, Priority, School, Trust
from app.models.users import ROLES, RoleAssignment, User
from app.models.instruments import AUDIENCES, QUESTION_TYPES, Instrument, Question
from app.models.surveys import Survey, SurveySchool
from app.models.responses import Answer, Response
from app.models.counts import AnswerCount, PriorityCount
from app.models.collection import ClassSession, InvitationToken, PartialResponse
from app.models.audit import AuditEvent
from app.models.categorisation import Area, Decision, Review, RuleSet, SchoolMeasure
from app.models.schedule import ScheduleEvent, ScheduleSettings, WindowSurvey
from app.models.comments import CommentFlag, WordList
from app.models.actions import Action
from app.models.sign_in import SignInThrottle
from app.models.invitations import Contact, ContactImport, Invitation, MessageTemplate, OutboxMessage
from app.models.targets import SmartTarget
from app.models.calendar_feeds import CalendarFeed

__all__ = [
    "AUDIENCES", "QUESTION_TYPES", "ROLES",
    "Action", "Answer", "AnswerCount", "Area", "AuditEvent", "ClassSession", "CommentFlag", "Contact",
    "ContactImport", "Decision", "Hub", "Instrument", "Invitation", "InvitationToken",
    "MessageTemplate", "OutboxMessage", "PartialResponse", "Priority", "PriorityCount", "Question", "Response",
    "Review", "RoleAssignment", "RuleSet", "ScheduleEvent", "School", "SchoolMeasure",
    "SignInThrottle", "Survey", "SurveySchool", "Trust", "User", "WordList",
    "CalendarFeed", "ScheduleSettings", "SmartTarget", "WindowSurvey",
]
