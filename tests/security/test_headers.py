"""Security headers on every page, cookies that scripts and other sites cannot use, idle sign-out."""

import re
import time

import pytest

from app.extensions import db
from tests.builders import make_school, make_trust, make_user
from tests.conftest import make_app


@pytest.fixture
def head(app):
    with app.app_context():
        school = make_school(make_trust())
        make_user("head@ours.example", "head", school)
        db.session.commit()
        return school.id


def test_pages_forbid_framing_sniffing_and_scripts_without_the_nonce(client):
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain http on a laptop


def test_every_inline_script_carries_this_requests_nonce(client):
    first, second = client.get("/sign-in"), client.get("/sign-in")
    nonce = re.search(r"'nonce-([^']+)'", first.headers["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script([^>]*)>", first.get_data(as_text=True))
    inline = [attrs for attrs in scripts if "src=" not in attrs]
    assert inline, "the GOV.UK template's js-enabled script should be on the page"
    assert all(f'nonce="{nonce}"' in attrs for attrs in inline)
    assert nonce not in second.headers["Content-Security-Policy"]


def test_https_requests_get_strict_transport_security(client):
    response = client.get("/sign-in", base_url="https://voice.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_session_cookie_is_http_only_same_site_and_secure_when_configured(database_url, head):
    app = make_app(database_url, SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    response = client.post("/sign-in", data={"email": "head@ours.example",
                                             "password": "correct horse battery"},
                           base_url="https://voice.example")
    cookie = response.headers["Set-Cookie"]
    with app.app_context():
        db.engine.dispose()  # this second app has its own pool
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_signed_in_pages_are_not_cached(client, auth, head):
    auth.sign_in("head@ours.example")
    assert client.get(f"/schools/{head}").headers["Cache-Control"] == "no-store"


def test_an_idle_session_is_signed_out_with_a_message_and_returns_to_the_page(client, auth, head):
    auth.sign_in("head@ours.example")
    assert client.get(f"/schools/{head}").status_code == 200
    with client.session_transaction() as saved:
        saved["seen"] = time.time() - 31 * 60
    response = client.get(f"/schools/{head}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sign-in?next=/schools/{head}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out because you had not used Stakeholder Voice for 30" in page
    assert client.get(f"/schools/{head}").status_code == 302


def test_a_session_in_use_stays_signed_in(client, auth, head):
    auth.sign_in("head@ours.example")
    with client.session_transaction() as saved:
        saved["seen"] = time.time() - 29 * 60
    assert client.get(f"/schools/{head}").status_code == 200
