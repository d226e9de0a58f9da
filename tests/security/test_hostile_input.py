"""Random and hostile values posted to every form in the URL map: no 500s, a clear message,
nothing stored for another school, no answer outside its question's codes. Hostile query strings
on every page: no 500s."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import sqlalchemy as sa
from flask import url_for
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import Answer, Instrument, Question, Response, Survey, SurveySchool
from tests.security.access import (
    URL_MAP_APP, access_for, build_world, poster_for, rules, sign_in_as, url_sets,
)

HOSTILE = [
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "' OR 1=1 --", "=HYPERLINK(\"x\")",
    "\x00", "../../etc/passwd", "-1", "0", "99999999999999999999", "1e308", "NaN", "", " ",
    "\u202e\u0645\u0631\u062d\u0628\u0627", "🍰" * 40, "31 2 2027", "0 0 0", "1 1 -5",
]
SCRIPT = "<script>alert(1)</script>"
# Routes that end the session the test runs in; sign-out is covered by the access matrix.
SKIP = {"auth.sign_out"}
POSTS = [pytest.param(endpoint, id=rule.rule) for endpoint, method, rule in rules(URL_MAP_APP)
         if method == "POST" and endpoint not in SKIP]
GETS = [pytest.param(endpoint, id=rule.rule) for endpoint, method, rule in rules(URL_MAP_APP)
        if method == "GET" and endpoint not in SKIP | {"static"}]
# Every query argument the app reads, from its source, so a new one is fuzzed without listing it.
ROOT = Path(__file__).resolve().parents[2]
ARGS_READ = {  # module -> the query arguments it reads
    ".".join(path.relative_to(ROOT).with_suffix("").parts):
        set(re.findall(r'request\.args\.get\(\s*"(\w+)"', path.read_text()))
    for path in (ROOT / "app").rglob("*.py")
}
QUERY_ARGS = sorted(set().union(*ARGS_READ.values()))
# The query arguments each page's module reads, so every pairing is tried on purpose.
def args_read_by(endpoint):
    return sorted(ARGS_READ.get(URL_MAP_APP.view_functions[endpoint].__module__, ()))


class FormFields(HTMLParser):
    """Names and offered values of the fields of a page's forms."""

    def __init__(self):
        super().__init__()
        self.fields, self.values, self._select = set(), set(), None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select", "textarea") and attrs.get("name"):
            self.fields.add(attrs["name"])
            if attrs.get("value") and attrs.get("type") in ("radio", "checkbox"):
                self.values.add(attrs["value"])
        if tag == "option" and attrs.get("value"):
            self.values.add(attrs["value"])


def form_fields(client, url):
    parser = FormFields()
    parser.feed(client.get(url).get_data(as_text=True))
    parser.fields.discard("csrf_token")
    return sorted(parser.fields), sorted(parser.values)


def stored_problems(their_school_id, before):
    """What is in the database that should not be, after hostile posts made at our school."""
    problems = []
    theirs = {
        "their survey links": db.session.scalar(sa.select(sa.func.count()).select_from(
            SurveySchool).where(SurveySchool.school_id == their_school_id)),
        "their responses": db.session.scalar(sa.select(sa.func.count()).select_from(
            Response).where(Response.school_id == their_school_id)),
    }
    problems += [f"{name} changed" for name in theirs if theirs[name] != before.get(name, theirs[name])]
    answers = db.session.execute(
        sa.select(Answer, Response).join(Response, Answer.response_id == Response.id)).all()
    for answer, response in answers:
        if (answer.school_id, answer.survey_id) != (response.school_id, response.survey_id):
            problems.append(f"answer {answer.id} filed under another school or survey")
        question = db.session.scalar(
            sa.select(Question).join(Instrument).where(
                Question.key == answer.question_key,
                Instrument.id == db.session.get(Survey, response.survey_id).instrument_id))
        if question is None:
            problems.append(f"answer to unknown question {answer.question_key!r}")
        elif answer.value is not None and answer.value not in {c for c, _ in question.choices()}:
            problems.append(f"answer {answer.value} is not a code of {question.key}")
    return problems, theirs


# How a page says a form was refused: the GOV.UK error summary, an inline error, or the title.
REFUSAL_MARKS = ("govuk-error-summary", "There is a problem", "govuk-error-message", "<title>Error:")
# Posts whose normal answer is a page, not a redirect: what they show is not a refusal.
ANSWERED_WITH_A_PAGE = {
    "surveys.preview_instrument",  # a preview checks the answers and says nothing was saved
    "invitations.opt_out",  # the opt-out confirmation page
    "schedule.subscribe",  # the new calendar address, shown once on the page and never stored
}


def hostile(examples):
    """Hypothesis settings for one app (and its world) shared by every example of a test."""
    return settings(max_examples=examples, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
                    phases=[Phase.explicit, Phase.reuse, Phase.generate])


def world_and_url(app, endpoint, method):
    """The test world (built once per app) and the route's URL at our school."""
    with app.app_context():
        if not hasattr(app, "_hostile_world"):
            app._hostile_world = build_world()
        world = app._hostile_world
    rule = next(r for e, m, r in rules(app) if e == endpoint and m == method)
    _, ours = next(url_sets(rule, world))
    with app.test_request_context():
        return world, url_for(endpoint, **ours)


@pytest.mark.parametrize("endpoint", POSTS)
@hostile(20)
@given(data=st.data())
def test_hostile_form_posts_get_a_clear_answer_and_store_nothing_wrong(app, endpoint, data):
    world, url = world_and_url(app, endpoint, "POST")
    client = sign_in_as(app, world, poster_for(access_for(app, endpoint)))
    # Read the form once: hypothesis needs the same strategy every example, while the posts
    # themselves may change the page (new areas, contacts...).
    cache = app.__dict__.setdefault("_hostile_fields", {})
    if url not in cache:
        cache[url] = form_fields(client, url)
    fields, offered = cache[url]
    their_ids = [str(value) for value in world.theirs.values()]
    value = st.one_of(
        st.sampled_from(HOSTILE), st.text(max_size=40), st.integers().map(str),
        st.sampled_from(their_ids), st.sampled_from(offered or ["1"]), st.just("A" * 20_000),
    )
    form = data.draw(st.dictionaries(
        st.sampled_from(fields + ["unexpected_field"]), st.lists(value, min_size=1, max_size=3),
        max_size=len(fields) + 1,
    ), label="form")
    with app.app_context():
        _, before = stored_problems(world.theirs["school_id"], {})
    response = client.post(url, data=form)
    body = response.get_data(as_text=True)
    assert response.status_code < 500, body[:2000]
    assert SCRIPT not in body, "hostile markup came back unescaped"
    if response.status_code == 200 and endpoint not in ANSWERED_WITH_A_PAGE:
        assert any(mark in body for mark in REFUSAL_MARKS), "a refused form must say what was wrong"
    as_json = client.post(url, json=data.draw(st.one_of(
        st.dictionaries(st.sampled_from(fields or ["x"]), value), st.lists(value), value,
    ), label="json"))
    assert as_json.status_code < 500
    with app.app_context():
        problems, _ = stored_problems(world.theirs["school_id"], before)
    assert not problems, problems


@pytest.mark.parametrize("body", [[1, 2], "text", {"q_happy": {"nested": 1}}, 7])
def test_json_a_form_cannot_read_gets_a_plain_400(app, client, body):
    with app.app_context():
        world = build_world()
    response = client.post(f"/s/{world.ours['link_code']}", json=body)
    assert response.status_code == 400
    assert "JSON object of names and values" in response.get_json()["error"]


def test_the_query_arguments_are_found_in_the_source():
    assert {"survey_id", "school_id", "year", "lang"} <= set(QUERY_ARGS)
    assert "year" in args_read_by("schedule.list_events")


def _reader_of(app, world, endpoint):
    """A client signed in as someone the page lets in, kept for the app's examples."""
    who = poster_for(access_for(app, endpoint))
    clients = app.__dict__.setdefault("_hostile_clients", {})
    if who not in clients:
        clients[who] = sign_in_as(app, world, who)
    return clients[who]


def _get_with_query(client, url, query):
    path, _, needed = url.partition("?")
    response = client.get(path, query_string={**dict(parse_qsl(needed)), **query})
    body = response.get_data()  # pages, and charts, PDFs and spreadsheets
    assert response.status_code < 500, body[:2000].decode(errors="replace")
    assert SCRIPT.encode() not in body, "hostile markup came back unescaped"


@pytest.mark.parametrize("endpoint", GETS)
@hostile(4)
@given(data=st.data())
def test_hostile_query_strings_on_every_page_get_a_plain_answer(app, endpoint, data):
    """Ids of no row or of another school, years out of range, markup: never a 500.

    Once per page, each argument its module reads alone: an id or year no row can have
    (PostgreSQL refuses it in a query), below zero, and markup. Then random mixes."""
    world, url = world_and_url(app, endpoint, "GET")
    client = _reader_of(app, world, endpoint)
    if not app.__dict__.get("_each_argument_tried"):
        for name in args_read_by(endpoint):
            for value in ("99999999999", "-1", SCRIPT):
                _get_with_query(client, url, {name: value})
        app._each_argument_tried = True
    value = st.one_of(
        st.sampled_from(HOSTILE), st.integers().map(str), st.text(max_size=20),
        st.sampled_from([str(v) for v in world.theirs.values()]),
    )
    query = data.draw(st.dictionaries(st.sampled_from(QUERY_ARGS + ["unexpected"]), value,
                                      min_size=1, max_size=4), label="query")
    _get_with_query(client, url, query)
