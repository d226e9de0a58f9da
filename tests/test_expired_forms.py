"""A staff form posted after its page expired (stale CSRF token) comes back with what was typed."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Action, CommentFlag, WordList
from tests.builders import make_response, make_school, make_survey, make_trust, make_user
from tests.conftest import make_app

TYPED = "Written carefully over <ten> minutes"


@pytest.fixture
def world(database_url):
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        trust = make_trust()
        school = make_school(trust, "Alpha Primary")
        survey = make_survey([school])
        response = make_response(survey, school, {"comments": "He hit me"})
        flag = CommentFlag(answer_id=response.answers[0].id, school_id=school.id,
                           survey_id=survey.id, matched=["hit me"], status="open")
        db.session.add(flag)
        make_user("dsl@alpha.example", "dsl", school)
        make_user("admin@trust.example", "trust_admin")
        make_user("head@alpha.example", "head", school)
        db.session.commit()
        ids = {"flag": flag.id, "school": school.id}
    yield app, ids
    with app.app_context():
        db.engine.dispose()


def signed_in(app, email):
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/sign-in", data={"email": email, "password": "correct horse battery",
                                             "csrf_token": token})
    assert response.status_code == 302
    return client


due = date.today() + timedelta(days=30)
CASES = [
    ("dsl@alpha.example", "/safeguarding/{flag}", {"action_taken": TYPED}),
    ("admin@trust.example", "/word-lists/safeguarding", {"words": TYPED}),
    ("head@alpha.example", "/schools/{school}/actions/new",
     {"priority_key": "wellbeing", "you_said": TYPED, "title": "Buddy bench", "owner": "Head",
      "due_on": [str(due.day), str(due.month), str(due.year)], "status": "planned"}),
]


@pytest.mark.parametrize("email, path, form", CASES, ids=["flag", "word list", "action"])
def test_an_expired_page_says_so_and_keeps_what_was_typed(world, email, path, form):
    app, ids = world
    client = signed_in(app, email)
    response = client.post(path.format(**ids), data=form | {"csrf_token": "stale"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This page had expired, so nothing was saved" in html
    assert "Written carefully over &lt;ten&gt; minutes" in html
    with app.app_context():
        assert db.session.scalar(sa.select(CommentFlag.status)) == "open"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WordList)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == 0
