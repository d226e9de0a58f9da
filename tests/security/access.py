"""The access test matrix, generated from the app's URL map and each view's declared Access."""

from dataclasses import dataclass

from flask import Flask

from app import create_app
from app.auth.scope import Access, access_of
from app.extensions import db
from app.models.users import ROLES, TRUST_WIDE_ROLES
from config import TestConfig
from tests.builders import PASSWORD, link_of, make_school, make_survey, make_trust, make_user

SIGNED_OUT = "signed_out"
# Every role, each held at "our" school unless it is trust-wide, plus nobody signed in.
WHO = [*ROLES, SIGNED_OUT]

# The URL map of the app as built; routes added on any branch are collected from it automatically.
URL_MAP_APP = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://")

# Views Flask makes itself, which cannot carry a decorator.
BUILT_IN = {"static": Access(signed_in=False)}


def access_for(app, endpoint):
    return BUILT_IN.get(endpoint) or access_of(app.view_functions[endpoint])


@dataclass
class World:
    """Two schools of one trust; each has a survey of its own; one user per role at ours."""

    ours: dict    # URL variable name -> value belonging to our school
    theirs: dict  # the same names -> values belonging to the other school
    emails: dict  # role -> email


def build_world():
    trust = make_trust()
    ours, theirs = make_school(trust, "Ours Primary"), make_school(trust, "Theirs Primary")
    our_survey, their_survey = make_survey([ours]), make_survey([theirs])
    emails = {}
    for role in ROLES:
        email = f"{role}@ours.example"
        make_user(email, role, None if role in TRUST_WIDE_ROLES else ours)
        emails[role] = email
    db.session.commit()
    # One sample per URL variable name. A new name in the URL map fails
    # test_every_url_variable_has_a_sample_for_both_schools until it is added here.
    return World(
        ours={"school_id": ours.id, "survey_id": our_survey.id,
              "link_code": link_of(our_survey, ours), "filename": "css/app.css"},
        theirs={"school_id": theirs.id, "survey_id": their_survey.id,
                "link_code": link_of(their_survey, theirs), "filename": "css/app.css"},
        emails=emails,
    )


def rules(app: Flask):
    """(endpoint, method, rule) for every route and method a person can call."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, rule


def url_sets(rule, world):
    """("ours" | "theirs" | "swap <name>", url values): all ours, all theirs, and each id swapped alone."""
    names = sorted(rule.arguments)
    yield "ours", {name: world.ours[name] for name in names}
    if names:
        yield "theirs", {name: world.theirs[name] for name in names}
    if len(names) > 1:
        for swapped in names:
            values = {name: world.ours[name] for name in names}
            values[swapped] = world.theirs[swapped]
            yield f"swap {swapped}", values


def expected(access: Access, who, side):
    """What may happen: a set of "ok", "sign_in" (sent to sign in) and "not_found"."""
    if not access.signed_in:
        # A public page may send people on to sign in (signing out does): that still let them in.
        return {"ok", "sign_in"}
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


def outcome(response):
    if response.status_code == 404:
        return "not_found"
    if response.status_code in (301, 302, 303) and "/sign-in" in response.headers["Location"]:
        return "sign_in"
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
