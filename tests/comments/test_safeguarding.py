"""Free text: a safeguarding comment goes to the school's DSL only; others see redacted comments."""

import pytest
import sqlalchemy as sa

from app.comments.screen import redact_names, safeguarding_matches, topics
from app.extensions import db
from app.models import AuditEvent, CommentFlag, Response, WordList
from app.models.comments import DEFAULT_SAFEGUARDING_WORDS
from tests.builders import link_of, make_response, make_school, make_survey, make_trust, make_user
from tests.surveys.test_routes import full_answers

DISCLOSURE = "My dad hit me and I am scared to go home <script>alert(1)</script>"
PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)> Mrs Khan is lovely'


@pytest.mark.parametrize("text, words", [
    ("He hit me at break", ["hit me"]),
    ("I feel UNSAFE   AT HOME", ["unsafe at home"]),
    ("thoughts of self harm", ["self-harm"]),
    ("Talked about suicide.", ["suicide"]),
    ("The harmony group and the hitman film", []),
    ("", []),
])
def test_the_safeguarding_list_matches_whole_words_and_phrases(text, words):
    assert safeguarding_matches(text, DEFAULT_SAFEGUARDING_WORDS) == words


def test_names_and_titled_names_are_redacted():
    text = "Mrs O'Neil and Mr Smith helped, and aisha was kind; Mr. Lee too"
    assert redact_names(text, ["Aisha"]) == (
        "[name removed] and [name removed] helped, and [name removed] was kind; [name removed] too")


def test_comments_are_tagged_by_keyword_stems():
    rules = {"behaviour_safety": ["bully"], "curriculum": ["homework"]}
    assert topics("Bullying at lunch", rules) == ["behaviour_safety"]
    assert topics("Too much homework; bullying", rules) == ["behaviour_safety", "curriculum"]


@pytest.fixture
def school(app):
    """A school with its DSL, head and governor; another school with its own DSL; an open survey."""
    with app.app_context():
        trust = make_trust()
        first, other = make_school(trust, "First Primary"), make_school(trust, "Other Primary")
        make_user("dsl@first.example", "dsl", first, name="Dee Dsl")
        make_user("dsl@other.example", "dsl", other)
        make_user("head@first.example", "head", first)
        make_user("governor@first.example", "governor", first)
        make_user("cio@trust.example", "cio")
        survey = make_survey([first, other])
        db.session.commit()
        return {"first": first.id, "other": other.id, "survey": survey.id,
                "link": link_of(survey, first)}


def submit(app, client, school, text, key="k" * 32):
    return client.post(f"/s/{school['link']}", data=full_answers(app, q_comments=text,
                                                                   submission_key=key))


def test_a_disclosure_is_flagged_at_once_for_the_school_dsl_only(app, client, auth, school):
    assert submit(app, client, school, DISCLOSURE).status_code in (200, 302)
    with app.app_context():
        flag = db.session.scalars(sa.select(CommentFlag)).one()
        assert flag.school_id == school["first"] and flag.is_open
        assert flag.matched == ["hit me", "scared to go home"]
        assert db.session.scalar(sa.select(AuditEvent).filter_by(action="safeguarding_flag"))
    auth.sign_in("dsl@first.example")
    queue = client.get("/safeguarding").data.decode()
    assert "First Primary" in queue and "hit me" in queue
    page = client.get(f"/safeguarding/{flag.id}").data.decode()
    assert "scared to go home &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    auth.sign_out()
    for email in ("dsl@other.example", "head@first.example", "cio@trust.example"):
        auth.sign_in(email)
        assert client.get(f"/safeguarding/{flag.id}").status_code == 404
        assert DISCLOSURE.encode() not in client.get("/safeguarding").data
        auth.sign_out()


def test_the_dsl_records_what_they_did_and_when(app, client, auth, school):
    submit(app, client, school, DISCLOSURE)
    with app.app_context():
        flag_id = db.session.scalar(sa.select(CommentFlag.id))
    auth.sign_in("dsl@first.example")
    empty = client.post(f"/safeguarding/{flag_id}", data={"action_taken": "  "})
    assert empty.status_code == 400 and b"Enter what you did" in empty.data
    done = client.post(f"/safeguarding/{flag_id}",
                       data={"action_taken": "Logged on CPOMS; spoke to the class teacher."})
    assert done.status_code == 302
    again = client.post(f"/safeguarding/{flag_id}", data={"action_taken": "Twice"})
    assert again.status_code == 409 and b"This comment was already handled" in again.data
    with app.app_context():
        flag = db.session.get(CommentFlag, flag_id)
        assert flag.status == "handled" and flag.handled_by.email == "dsl@first.example"
        assert flag.handled_at is not None and flag.action_taken.startswith("Logged on CPOMS")
        assert not flag.release
        audit = db.session.scalar(sa.select(AuditEvent).filter_by(action="safeguarding_handled"))
        assert audit.detail["flag_id"] == flag_id
    assert b"Logged on CPOMS" in client.get("/safeguarding").data


def test_a_flag_keeps_the_response_anonymous(app, client, school):
    submit(app, client, school, DISCLOSURE)
    with app.app_context():
        columns = set(CommentFlag.__table__.columns.keys()) | set(Response.__table__.columns.keys())
        assert not columns & {"user_id", "ip", "ip_address", "user_agent", "email"}


def comments_page(client, school):
    return client.get(f"/schools/{school['first']}/comments?survey_id={school['survey']}")


def test_comments_are_withheld_below_the_threshold_and_flagged_ones_never_shown(
        app, client, auth, school):
    with app.app_context():
        survey = db.session.get(make_survey.__globals__["Survey"], school["survey"])
        first = survey.schools[0].school
        for index in range(9):
            make_response(survey, first, {"comments": f"Comment number {index} about homework"})
        db.session.commit()
    submit(app, client, school, DISCLOSURE)
    auth.sign_in("head@first.example")
    page = comments_page(client, school).data.decode()
    assert 'data-testid="too-few"' in page and "Comment number" not in page
    with app.app_context():
        make_response(db.session.get(make_survey.__globals__["Survey"], school["survey"]),
                      db.session.get(make_school.__globals__["School"], school["first"]),
                      {"comments": PAYLOAD})
        db.session.commit()
    page = comments_page(client, school).data.decode()
    assert "10 comments" in page and "Comment number 3 about homework" in page
    assert "scared to go home" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page and "Mrs Khan" not in page and "[name removed] is lovely" in page
    assert "Curriculum: 9 comments" in page


def test_a_released_comment_joins_the_others_with_names_removed(app, client, auth, school):
    submit(app, client, school, "Someone hit me, Mr Jones knows")
    with app.app_context():
        survey = db.session.get(make_survey.__globals__["Survey"], school["survey"])
        for index in range(10):
            make_response(survey, survey.schools[0].school, {"comments": f"Fine {index}"})
        flag_id = db.session.scalar(sa.select(CommentFlag.id))
        db.session.commit()
    auth.sign_in("dsl@first.example")
    client.post(f"/safeguarding/{flag_id}", data={"action_taken": "Spoke to pupil", "release": "y"})
    auth.sign_out()
    auth.sign_in("governor@first.example")
    page = comments_page(client, school).data.decode()
    assert "Someone hit me, [name removed] knows" in page


def test_people_outside_the_school_cannot_read_its_comments(client, auth, school):
    auth.sign_in("dsl@other.example")
    assert comments_page(client, school).status_code == 404


def test_a_trust_admin_edits_the_safeguarding_list_and_it_applies_to_new_answers(
        app, client, auth, school):
    with app.app_context():
        make_user("admin@trust.example", "trust_admin")
        db.session.commit()
    auth.sign_in("admin@trust.example")
    assert client.post("/word-lists/safeguarding", data={"words": ""}).status_code == 400
    assert client.post("/word-lists/safeguarding", data={"words": "x" * 61}).status_code == 400
    response = client.post("/word-lists/safeguarding", data={"words": "pineapple\nhit me\nhit me"})
    assert response.status_code == 302
    client.post(f"/word-lists/names?school_id={school['first']}", data={"words": "Aisha, Ben"})
    with app.app_context():
        lists = {w.kind: w.words for w in db.session.scalars(sa.select(WordList))}
        assert lists == {"safeguarding": ["pineapple", "hit me"], "names": ["Aisha", "Ben"]}
    auth.sign_out()
    submit(app, client, school, "I am scared to go home and I like pineapple")
    with app.app_context():
        assert db.session.scalars(sa.select(CommentFlag)).one().matched == ["pineapple"]


def test_only_a_trust_admin_can_edit_the_word_lists(client, auth, school):
    auth.sign_in("head@first.example")
    assert client.get("/word-lists").status_code == 404
    assert client.post("/word-lists/safeguarding", data={"words": "x"}).status_code == 404
