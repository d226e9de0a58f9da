"""The main navigation highlights exactly one tab, the right one, on every section's pages."""

import re

import pytest

from app.auth.scope import access_of
from app.extensions import db
from app.models import RoleAssignment
from app.navigation import SECTIONS, nav_section
from tests.builders import make_school, make_survey, make_trust, make_user



def test_every_signed_in_endpoint_belongs_to_one_tab(app):
    # Public pages (sign-in, respondents' pages, health check, static files) have no tab.
    signed_in_endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and access_of(app.view_functions[rule.endpoint]).signed_in
    }
    missing = [endpoint for endpoint in signed_in_endpoints if nav_section(endpoint) not in SECTIONS]
    assert not missing


@pytest.fixture
def everyone(app):
    """One person holding every staff role at one school, so every tab is in the navigation."""
    with app.app_context():
        trust = make_trust()
        school = make_school(trust, "Alpha Primary")
        survey = make_survey([school])
        user = make_user("all@trust.example", "trust_admin")
        for role in ("cio", "wellbeing", "dsl", "head"):
            user.roles.append(RoleAssignment(role=role, school=school if role == "dsl" else None))
        db.session.commit()
        return {"school": school.id, "survey": survey.id}


def active_tabs(html):
    return re.findall(r'govuk-service-navigation__item--active">\s*<a[^>]*>\s*'
                      r'(?:<strong[^>]*>)?\s*([^<]+?)\s*<', html)


@pytest.mark.parametrize("path, tab", [
    ("/", "Results"),
    ("/results", "Results"),
    ("/schools/{school}", "Results"),
    ("/wellbeing", "Wellbeing"),
    ("/surveys", "Surveys"),
    ("/surveys/{survey}", "Surveys"),
    ("/instruments", "Instruments"),
    ("/priorities", "Instruments"),
    ("/class-sessions", "Class sessions"),
    ("/categorisation/", "Categories"),
    ("/categorisation/schools/{school}", "Categories"),
    ("/schedule/", "Schedule"),
    ("/reports", "Reports"),
    ("/schools/{school}/evidence-pack", "Reports"),
    ("/schools/{school}/parents-summary", "Reports"),
    ("/schools/{school}/actions", "Reports"),
    ("/schools/{school}/actions/new", "Reports"),
    ("/schools/{school}/comments", "Reports"),
    ("/safeguarding", "Safeguarding"),
    ("/word-lists", "Word lists"),
    ("/word-lists/safeguarding", "Word lists"),
    ("/rates", "Response rates"),
    ("/rates/schools/{school}", "Response rates"),
    ("/invitations", "Invitations"),
    ("/schools/{school}/contacts", "Invitations"),
])
def test_only_the_page_s_own_tab_is_highlighted(client, auth, everyone, path, tab):
    auth.sign_in("all@trust.example")
    response = client.get(path.format(**everyone), follow_redirects=True)
    assert response.status_code == 200
    assert active_tabs(response.get_data(as_text=True)) == [tab]
