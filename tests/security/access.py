"""The access test matrix, generated from the app's URL map and each view's declared Access."""

from dataclasses import dataclass
from datetime import date, timedelta


from flask import Flask

from app import create_app
from app.auth.scope import Access, access_of
from app.extensions import db
from app.models.users import ROLES, TRUST_WIDE_ROLES
from config import TestConfig
from app.models.actions import Action
from app.models.collection import (
    JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, ClassSession, InvitationToken, digest,
)
from app.models.comments import CommentFlag
from app.models.invitations import ContactImport
from app.models.schedule import ScheduleEvent
from app.models import CalendarFeed, RoleAssignment, SmartTarget, User
from app.schedule.services import digest as feed_digest
from app.models.trust import DEFAULT_PRIORITIES
from app import clock
from tests.builders import (
    PASSWORD, make_contact, make_draft, make_response, make_school, make_survey, make_trust,
    make_user,
)

SIGNED_OUT = "signed_out"
# Every role, each held at "our" school unless it is trust-wide, plus nobody signed in.
WHO = [*ROLES, SIGNED_OUT]

# The URL map of the app as built; routes added on any branch are collected from it automatically.
URL_MAP_APP = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://")

# URL variables that belong to no school: trust-level objects (instruments, areas, priorities,
# reviews) and plain parameters. They have one sample, the same on both sides, and are never swapped.
SHARED = {"filename", "instrument_id", "question_key", "direction", "priority_key", "area_key",
          "review_id", "fmt", "kind", "name", "purpose", "file_format"}

# Query arguments a route needs to name anything (without them it answers 404 to everyone):
# endpoint -> {query argument: world sample name}, taken from the same side as the URL.
QUERY = {
    "reports.export_trust_indicators": {"survey_id": "survey_id"},
    "reports.export_trust_responses": {"survey_id": "survey_id"},
    "reports.export_school_indicators": {"survey_id": "survey_id"},
    "reports.export_school_responses": {"survey_id": "survey_id"},
    "categorisation.compare_reviews": {"first": "review_id", "second": "review_id"},
    "reports.wellbeing_trend_chart": {"instrument": "instrument_key"},
}

# Routes that answer an import that is not yours by sending you back to start again (with a
# message, showing nothing of it) rather than 404: that redirect counts as not found for a
# school-level user. Imports belong to their uploader, so the trust's roles are sent back too.
REDIRECT_WHEN_NOT_YOURS = {"invitations.map_columns", "invitations.preview_import"}

# Views Flask makes itself, which cannot carry a decorator.
BUILT_IN = {"static": Access(signed_in=False)}


def access_for(app, endpoint, values=None):
    """The view's declared Access; for a report pack, narrowed to the roles of the pack named."""
    access = BUILT_IN.get(endpoint) or access_of(app.view_functions[endpoint])
    if endpoint in ("reports.show_pack", "reports.pack_pdf") and values and "name" in values:
        from app.reports.pack_routes import PACKS

        return Access(signed_in=True, roles=frozenset(PACKS[values["name"]][2]))
    return access


@dataclass
class World:
    """Two schools of one trust; each has a survey of its own; one user per role at ours."""

    ours: dict    # URL variable name -> value belonging to our school
    theirs: dict  # the same names -> values belonging to the other school
    emails: dict  # role -> email


def build_world():
    from app.categorisation import services as categorisation
    from app.reports.pack_routes import _serializer as parent_link_serializer

    trust = make_trust()
    ours, theirs = make_school(trust, "Ours Primary"), make_school(trust, "Theirs Primary")
    our_survey, their_survey = make_survey([ours]), make_survey([theirs])
    emails = {}
    users = {}
    for role in ROLES:
        email = f"{role}@ours.example"
        users[role] = make_user(email, role, None if role in TRUST_WIDE_ROLES else ours)
        emails[role] = email
    # Trust-level objects, the same on both sides (see SHARED).
    categorisation.install_defaults(trust)
    area_key = categorisation.areas(trust.id)[0].key
    draft = make_draft(questions=[{"key": "q1", "type": "text", "text": "Anything else?"}])
    shared = {"filename": "css/app.css", "instrument_id": draft.id, "question_key": "q1",
              "direction": "up", "priority_key": DEFAULT_PRIORITIES[0][0], "area_key": area_key,
              "fmt": "csv", "file_format": "xlsx", "kind": "safeguarding", "name": "evidence-pack", "purpose": "invitation",
              "instrument_key": our_survey.instrument.key}  # a query argument, see QUERY
    sides = {}
    for school, survey in ((ours, our_survey), (theirs, their_survey)):
        sides[school.id] = _school_samples(trust, school, survey, users)
    review = categorisation.take_review(users["trust_admin"], trust, "Matrix review")  # commits
    shared["review_id"] = review.id
    with_parent_links = {}
    for school in (ours, theirs):
        # The public parents' summary link is /you-said-we-did/<token> too: signed, not an invitation.
        token = parent_link_serializer().dumps(school.id)
        with_parent_links[school.id] = {("reports.public_parents_summary", "token"): token,
                                        ("reports.public_parents_summary_pdf", "token"): token}
    db.session.commit()
    # One sample per URL variable name. A new name in the URL map fails
    # test_every_url_variable_has_a_sample_for_both_schools until it is added here (or to SHARED).
    return World(
        ours={**shared, **sides[ours.id], **with_parent_links[ours.id]},
        theirs={**shared, **sides[theirs.id], **with_parent_links[theirs.id]},
        emails=emails,
    )


def _school_samples(trust, school, survey, users):
    """One object of each school-owned kind, at this school; URL variable name -> value."""
    from app.invitations.services import opt_out_token

    link = next(s for s in survey.schools if s.school_id == school.id)
    contact = make_contact(school, email=f"family@{school.id}.example", name="A Family")
    # The matrix deletes this one (the delete route sorts before edit).
    doomed = make_contact(school, email=f"doomed@{school.id}.example", name="Another Family")
    # Imports are the uploader's own: the head at ours started both.
    pending = ContactImport(school_id=school.id, user_id=users["head"].id, kind="family", filename="families.csv",
                            text="name,email\nA Family,a@example.org\n")
    # Fixed, not random: test_hostile_input samples these and Hypothesis needs the same draws.
    token = f"matrix-invitation-{school.id}"
    now = clock.utcnow()
    session = ClassSession(survey_school_id=link.id, group_name="Class 1", opened_at=now,
                           join_code=JOIN_CODE_ALPHABET[school.id] * JOIN_CODE_LENGTH,
                           ends_at=now + timedelta(hours=1))
    action = Action(school_id=school.id, priority_key=DEFAULT_PRIORITIES[0][0],
                    you_said="More clubs", title="Start a club", owner="Head",
                    due_on=date.today() + timedelta(days=30))
    today = date.today()
    event = ScheduleEvent(trust_id=trust.id, school_id=school.id, academic_year=today.year,
                          term="autumn", kind="link_governor_visit", title="School event",
                          starts_on=today, ends_on=today)
    db.session.add_all([pending, InvitationToken(survey_school_id=link.id,
                                                 token_hash=digest("invitation", token)),
                        session, action, event])
    response = make_response(survey, school, {"comments": "worried about someone"})
    flag = CommentFlag(answer_id=response.answers[0].id, school_id=school.id, survey_id=survey.id,
                       matched=["worried"])
    db.session.add(flag)
    target, doomed_target = (
        SmartTarget(school_id=school.id, priority_key=DEFAULT_PRIORITIES[0][0],
                    indicator="priority:parent:wellbeing", baseline=50, baseline_source="Entered by hand",
                    target_value=60, target_on=today + timedelta(days=100), owner="Head")
        for _ in range(2))  # the matrix deletes the second (the delete route sorts before edit)
    # A calendar feed of someone at this school, found by its secret alone (fixed, as for tokens).
    feed_secret = f"matrix-feed-{school.id}"
    holder = User(email=f"feed@{school.id}.example", name="Feed holder", password_hash="unused")
    holder.roles.append(RoleAssignment(role="governor", school=school))
    db.session.add_all([target, doomed_target, holder, CalendarFeed(user=holder, token_hash=feed_digest(feed_secret))])
    db.session.flush()
    return {"school_id": school.id, "target_id": target.id, "secret": feed_secret,
            ("targets.delete_target", "target_id"): doomed_target.id, "survey_id": survey.id, "link_code": link.link_code,
            "action_id": action.id, "class_session_id": session.id, "code": session.join_code,
            "contact_id": contact.id, ("invitations.delete_contact", "contact_id"): doomed.id, "event_id": event.id, "flag_id": flag.id,
            "import_id": pending.id, "token": token, "signed": opt_out_token(contact)}


def sample(side, endpoint, name):
    """The sample for a name, or the one this endpoint needs when a name means two things."""
    return side.get((endpoint, name), side[name])


def rules(app: Flask):
    """(endpoint, method, rule) for every route and method a person can call."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, rule


def url_sets(rule, world):
    """("ours" | "theirs" | "swap <name>", url values): all ours, all theirs, and each
    school-owned variable swapped alone. SHARED variables are the same on both sides."""
    names = sorted(rule.arguments)
    owned = [name for name in names if name not in SHARED]

    def values(theirs=()):
        query = {arg: (world.theirs if theirs == owned else world.ours)[name]
                 for arg, name in QUERY.get(rule.endpoint, {}).items()}
        return {**query, **{name: sample(world.theirs if name in theirs else world.ours,
                                         rule.endpoint, name) for name in names}}

    yield "ours", values()
    if owned:
        yield "theirs", values(owned)
    if len(owned) > 1:
        for swapped in owned:
            yield f"swap {swapped}", values({swapped})


def expected(access: Access, who, side):
    """What may happen: a set of "ok", "sign_in" (sent to sign in) and "not_found"."""
    if not access.signed_in:
        # A public page may send people on to sign in (signing out does): that still let them in.
        # Public links are found by their token alone, so another school's or a mixed link may
        # name nothing; our own must work.
        return {"ok", "sign_in"} if side == "ours" else {"ok", "sign_in", "not_found"}
    if who == SIGNED_OUT:
        return {"sign_in"}
    if access.roles and who not in access.roles:
        return {"not_found"}
    if side != "ours" and who not in TRUST_WIDE_ROLES:
        return {"not_found"}
    if side.startswith("swap"):
        # Ids of two schools mixed may name nothing at all, even for the trust.
        return {"ok", "not_found"}
    return {"ok"}


def outcome(response, redirect_is_not_found=False):
    if response.status_code == 404:
        return "not_found"
    if response.status_code in (301, 302, 303) and "/sign-in" in response.headers["Location"]:
        return "sign_in"
    if redirect_is_not_found and response.status_code in (301, 302, 303):
        return "not_found"
    if response.status_code < 400 or response.status_code == 400:
        return "ok"
    return f"status {response.status_code}"


def sign_in_as(app, world, who):
    """A test client signed in as this role (or signed out)."""
    client = app.test_client()
    if who != SIGNED_OUT:
        signed = client.post("/sign-in", data={"email": world.emails[who], "password": PASSWORD})
        assert signed.status_code == 302, f"{who} could not sign in"
    return client


def poster_for(access):
    """Who to send hostile input as: someone the route lets in, held at one school if it can be."""
    if not access.signed_in:
        return SIGNED_OUT
    allowed = sorted(access.roles) if access.roles else list(ROLES)
    school_roles = [role for role in allowed if role not in TRUST_WIDE_ROLES]
    return (school_roles or allowed)[0]
