"""Every POST route in the URL map refuses a post without a CSRF token and changes nothing;
production cookies are Secure, HttpOnly and SameSite."""

import hashlib
import re

import sqlalchemy as sa
from flask import url_for

from app.extensions import db
from tests.builders import PASSWORD
from tests.security.access import (
    SIGNED_OUT, URL_MAP_APP, access_for, build_world, poster_for, rules, url_sets,
)

# Routes that take a post without a token, each for a reason (anything else must refuse).
EXEMPT = {
    # RFC 8058 one-click unsubscribe: mail programs post with no form; the signed link is the proof.
    "invitations.opt_out",
}
POSTS = [(endpoint, rule) for endpoint, method, rule in rules(URL_MAP_APP) if method == "POST"]
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def database_fingerprint():
    """A hash of every row of every table: any insert, update or delete changes it."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        digest.update(f"{table.name}:{rows!r}".encode())
    return digest.hexdigest()


def signed_in_with_token(app, email):
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                             "csrf_token": TOKEN.search(page).group(1)})
    assert response.status_code == 302, f"{email} could not sign in with a token"
    return client


def test_every_post_route_in_the_url_map_refuses_a_post_without_a_csrf_token(app):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        world = build_world()
    clients, failures = {}, []
    assert len(POSTS) > 30, "the URL map should have found the app's forms"
    for endpoint, rule in POSTS:
        if endpoint in EXEMPT:
            continue
        who = poster_for(access_for(app, endpoint))
        if who not in clients:
            clients[who] = (app.test_client() if who == SIGNED_OUT
                            else signed_in_with_token(app, world.emails[who]))
        client = clients[who]
        _, ours = next(url_sets(rule, world))
        with app.test_request_context():
            url = url_for(endpoint, **ours)
        with app.app_context():
            before = database_fingerprint()
        form = client.post(url, data={"submission_key": "k" * 32, "name": "x", "title": "x"})
        as_json = client.post(url, json={"answers": {}, "name": "x"})
        with app.app_context():
            after = database_fingerprint()
        for response in (form, as_json):
            page = response.get_data(as_text=True)
            refused = (
                response.status_code == 400
                or (response.status_code == 302 and response.headers["Location"].endswith(
                    url.split("?")[0]))  # sent back to the page with "your session had expired"
                or (response.status_code == 200 and "Your answers are safe" in page)
            )
            if not refused:
                failures.append(f"{endpoint} {url}: {response.status_code}")
        if before != after:
            failures.append(f"{endpoint} {url}: the database changed")
    assert not failures, "\n".join(failures)


def test_a_post_without_a_token_says_the_session_expired(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/sign-in", data={"email": "a@b.example", "password": "x"},
                           follow_redirects=True)
    assert "Your session had expired, so nothing was saved" in response.get_data(as_text=True)


def test_production_cookies_are_secure_http_only_and_same_site(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    production = importlib.reload(config).Config
    try:
        assert production.SESSION_COOKIE_SECURE is True
        assert production.SESSION_COOKIE_HTTPONLY is True
        assert production.SESSION_COOKIE_SAMESITE == "Lax"
        assert production.REMEMBER_COOKIE_SECURE is True
        assert production.REMEMBER_COOKIE_HTTPONLY is True
        assert production.REMEMBER_COOKIE_SAMESITE == "Lax"
    finally:
        monkeypatch.delenv("SESSION_COOKIE_SECURE")
        importlib.reload(config)
