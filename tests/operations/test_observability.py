"""Health check, JSON logs with a request id, and error pages people can quote a reference from."""

import json
import socket

import pytest
import sqlalchemy as sa

from app.auth.scope import public
from app.extensions import db
from app.models import Response
from app.surveys import collection
from tests.builders import builtin_instrument, link_of, make_school, make_survey, make_trust, make_user
from tests.conftest import make_app
from tests.surveys.test_routes import full_answers

SECRET_TEXT = "Mrs Example shouts at my daughter in class 4B"


def log_lines(capsys):
    """Every line on stderr is one JSON object; returns them parsed."""
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    return [json.loads(line) for line in lines], err


@pytest.fixture
def world(app):
    with app.app_context():
        school = make_school(make_trust())
        make_user("head@ours.example", "head", school)
        parents = make_survey([school])
        staff = make_survey([school], title="Staff survey", instrument=builtin_instrument("staff"))
        staff.access_mode = "tokens"
        db.session.commit()
        [token] = collection.generate_tokens(staff.schools[0], 1)
        return {"link": link_of(parents, school), "token": token, "staff": staff.id}


# Health check

def test_the_health_check_says_ok_when_the_database_answers_and_nothing_else(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("url", [
    "sqlite:////nonexistent-dir/for/sure/voice.db",
    f"postgresql://voice:hunter2-secret@127.0.0.1:{closed_port()}/voice",
], ids=["sqlite", "postgresql"])
def test_the_health_check_is_503_when_the_database_is_down_and_gives_away_no_details(url, capsys):
    app = make_app(url)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}
    body = response.get_data(as_text=True)
    assert "hunter2" not in body and "nonexistent" not in body and "127.0.0.1" not in body
    lines, err = log_lines(capsys)
    assert "hunter2" not in err  # the log names the failure, never the password
    assert any(line["message"].startswith("health check") and line["request_id"] for line in lines)


# Request ids and logs

def test_each_request_gets_an_id_echoed_in_the_header_and_logged(client, capsys):
    response = client.get("/sign-in")
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    lines, _ = log_lines(capsys)
    [line] = [line for line in lines if line.get("request_id") == request_id]
    assert line["message"] == "request" and line["route"] == "/sign-in"
    assert line["status"] == 200 and line["method"] == "GET" and line["ms"] >= 0
    assert client.get("/sign-in").headers["X-Request-ID"] != request_id


def test_a_proxys_request_id_is_kept_and_a_hostile_one_replaced(client, capsys):
    given = "lb-2026-abcdef12"
    assert client.get("/sign-in", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given
    for hostile in ['x", "level": "critical', "a" * 500, "<script>alert(1)</script>", "short"]:
        echoed = client.get("/sign-in", headers={"X-Request-ID": hostile}).headers["X-Request-ID"]
        assert echoed != hostile and len(echoed) == 32
    lines, err = log_lines(capsys)
    assert "critical" not in err and "<script>" not in err
    assert all(line["level"] == "info" for line in lines)


def test_logs_of_respondents_hold_no_answer_text_key_token_or_address(app, client, world, capsys):
    key = "f" * 20 + "0123456789ab"
    open_link = client.post(f"/s/{world['link']}", data=full_answers(
        app, q_comments=SECRET_TEXT, submission_key=key))
    assert open_link.status_code == 302
    page = client.get(f"/i/{world['token']}", environ_base={"REMOTE_ADDR": "203.0.113.77"})
    assert page.status_code == 200
    invited = client.post(f"/i/{world['token']}", data={
        "q_role_group": "1", "q_demands_1": "3", "q_comments": SECRET_TEXT,
        "submission_key": "e" * 32}, environ_base={"REMOTE_ADDR": "203.0.113.77"})
    assert invited.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 2
    lines, err = log_lines(capsys)
    routes = {line.get("route") for line in lines}
    assert "/s/<link_code>" in routes and "/i/<token>" in routes  # the rule, not the path
    for secret in (SECRET_TEXT, "Mrs Example", key, "e" * 32, world["token"], world["link"],
                   "203.0.113.77", "127.0.0.1", "Mozilla", "werkzeug/"):
        assert secret not in err


# Error pages

def add_failing_route(app):
    @public
    def fail():
        raise RuntimeError("the database ate the answers")

    app.add_url_rule("/test-failure", "test_failure", fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 page, not a raise


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_a_500_is_a_friendly_page_with_a_reference_and_the_traceback_is_logged_with_it(
        app, client, auth, world, capsys, signed_in):
    add_failing_route(app)
    if signed_in:
        auth.sign_in("head@ours.example")
    response = client.get("/test-failure")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    reference = response.headers["X-Request-ID"]
    assert "Sorry, there is a problem with the service" in page
    assert f"quote this reference: <code class=\"sv-reference\">{reference}</code>" in page
    assert "the database ate the answers" not in page and "Traceback" not in page
    assert ("Sign out" in page) == signed_in
    lines, _ = log_lines(capsys)
    [error] = [line for line in lines if line["level"] == "error"]
    assert error["request_id"] == reference and error["route"] == "/test-failure"
    assert "RuntimeError: the database ate the answers" in error["traceback"]
    assert "fail()" in error["traceback"] or "in fail" in error["traceback"]


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_a_404_is_a_friendly_page_with_a_reference(client, auth, world, signed_in):
    if signed_in:
        auth.sign_in("head@ours.example")
    response = client.get("/no-such-page/at-all")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page and response.headers["X-Request-ID"] in page
    assert ("Sign out" in page) == signed_in


def test_a_500_while_the_page_cannot_be_drawn_still_gives_a_plain_page_with_the_reference(
        app, client, monkeypatch):
    add_failing_route(app)
    import app.errors as errors

    def broken(*args, **kwargs):
        raise RuntimeError("templates unavailable")

    monkeypatch.setattr(errors, "render_template", broken)
    response = client.get("/test-failure")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in page
    assert response.headers["X-Request-ID"] in page


def test_a_database_error_is_logged_without_the_values_it_was_writing(app, client, capsys):
    @public
    def fail():
        db.session.execute(sa.text("INSERT INTO no_such_table (text) VALUES (:text)"),
                           {"text": SECRET_TEXT})

    app.add_url_rule("/test-failure", "test_failure", fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get("/test-failure").status_code == 500
    lines, err = log_lines(capsys)
    [error] = [line for line in lines if line["level"] == "error"]
    assert "no_such_table" in error["traceback"]
    assert SECRET_TEXT not in err
