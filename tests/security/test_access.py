"""Every route x every role x our school / another school's ids: nobody sees what is not theirs."""

import pytest
from flask import url_for

from app.models.users import TRUST_WIDE_ROLES
from tests.builders import PASSWORD
from tests.security.access import (
    REDIRECT_WHEN_NOT_YOURS, SIGNED_OUT, URL_MAP_APP, WHO, access_for, build_world, expected, outcome, rules, url_sets,
)


def test_every_route_declares_who_it_is_for():
    undeclared = sorted({e for e, _, _ in rules(URL_MAP_APP) if access_for(URL_MAP_APP, e) is None})
    assert not undeclared, (
        f"Routes without a declared Access: {undeclared}. Decorate each view with "
        "app.auth.scope.public, signed_in or role_required(...)."
    )


@pytest.fixture
def world(app):
    with app.app_context():
        return build_world()


def test_every_url_variable_has_a_sample_for_both_schools(world):
    names = {name for _, _, rule in rules(URL_MAP_APP) for name in rule.arguments}
    missing = sorted(names - (set(world.ours) & set(world.theirs)))
    assert not missing, f"Add sample values for {missing} to tests/security/access.py build_world()"


@pytest.mark.parametrize("who", WHO)
def test_each_role_reaches_only_its_routes_and_its_own_schools(app, world, who):
    client = app.test_client()
    if who != SIGNED_OUT:
        signed = client.post("/sign-in", data={"email": world.emails[who], "password": PASSWORD})
        assert signed.status_code == 302, f"{who} could not sign in"
    wrong = []
    for endpoint, method, rule in rules(app):
        if endpoint == "auth.sign_out":
            continue  # would end the session the rest of the matrix runs in; checked last
        for side, values in url_sets(rule, world):
            access = access_for(app, endpoint, values)
            with app.test_request_context():
                url = url_for(endpoint, **values)
            response = client.open(url, method=method, data={})
            want = expected(access, who, side)
            got = outcome(response, endpoint in REDIRECT_WHEN_NOT_YOURS and side != "ours"
                          and who not in TRUST_WIDE_ROLES)
            response.close()
            if got not in want:
                wrong.append(f"{side:16} {method} {url}: expected {sorted(want)}, got {got}")
    assert client.post("/sign-out").status_code == 302
    assert not wrong, f"{who}:\n" + "\n".join(wrong)
