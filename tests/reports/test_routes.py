"""A head's results for their school: % positive per priority with n, small groups withheld."""

import pytest

from app.extensions import db
from app.models.instruments import DONT_KNOW
from tests.builders import make_response, make_school, make_survey, make_trust, make_user


@pytest.fixture
def results(app):
    """School A: 12 parents (9 happy, 3 not; safe: 8 agree, 2 disagree, 2 don't know).
    School B: 9 parents, under the parent threshold of 10.
    School C: 11 parents, all strongly agreeing (2 don't know on "safe", so 9 gave a view):
    on wellbeing C is the smallest school beside B, so it is withheld too (otherwise
    B = trust total - A - C); on behaviour and safety B and C are both small."""
    with app.app_context():
        trust = make_trust()
        a, b = make_school(trust, "Alpha Primary"), make_school(trust, "Beta Primary")
        c = make_school(trust, "Gamma Primary")
        survey = make_survey([a, b, c])
        safe = [5] * 8 + [2] * 2 + [DONT_KNOW] * 2
        for index in range(12):
            make_response(survey, a, {"happy": 5 if index < 9 else 2, "safe": safe[index]})
        for _ in range(9):
            make_response(survey, b, {"happy": 5, "safe": 5})
        for index in range(11):
            make_response(survey, c, {"happy": 5, "safe": DONT_KNOW if index < 2 else 5})
        make_user("head@alpha.example", "head", a)
        make_user("head@beta.example", "head", b)
        make_user("cio@trust.example", "cio")
        db.session.commit()
        return {"a": a.id, "b": b.id, "c": c.id, "survey": survey.id}


def cell(html, priority):
    start = html.index(f'data-priority="{priority}"')
    return html[start:html.index("</td>", start)]


def test_the_head_sees_percent_positive_per_priority_with_n(client, auth, results):
    auth.sign_in("head@alpha.example")
    html = client.get(f"/schools/{results['a']}").data.decode()
    assert "75% positive" in cell(html, "wellbeing") and "n = 12" in cell(html, "wellbeing")
    # Don't know is left out: 8 of the 10 who gave a view.
    assert "80% positive" in cell(html, "behaviour_safety")
    assert "n = 10" in cell(html, "behaviour_safety")
    assert "12 responses from 200 families (6% response rate)" in html


def test_under_the_threshold_a_result_is_withheld(client, auth, results):
    auth.sign_in("head@beta.example")
    html = client.get(f"/schools/{results['b']}").data.decode()
    assert "Too few responses to show" in cell(html, "wellbeing")
    assert "100%" not in html and "n = 9" not in html


def test_the_head_cannot_pick_another_schools_survey_results(client, auth, results):
    auth.sign_in("head@beta.example")
    assert client.get(f"/schools/{results['a']}?survey_id={results['survey']}").status_code == 404
    assert client.get(f"/schools/{results['b']}?survey_id=99999").status_code == 404


def test_the_cio_sees_every_school_with_small_ones_withheld(client, auth, results):
    auth.sign_in("cio@trust.example")
    html = client.get("/results").data.decode()
    assert "Alpha Primary" in html and "Beta Primary" in html
    assert "75%" in html and "Too few to show" in html


def test_a_response_sent_through_the_link_appears_in_the_heads_view(app, client, auth, results):
    from tests.builders import link_of
    from app.models import Survey

    with app.app_context():
        survey = db.session.get(Survey, results["survey"])
        link = link_of(survey, survey.schools[1].school)
        data = {f"q_{q.key}": "4" for q in survey.instrument.questions
                if q.type == "agree5" and not q.condition}
    data.update({"q_recommend": "1", "submission_key": "z" * 32})
    assert client.post(f"/s/{link}", data=data).status_code == 302
    auth.sign_in("head@beta.example")
    html = client.get(f"/schools/{results['b']}").data.decode()
    # The tenth parent lifts Beta over the threshold: 9 strongly agree + 1 agree on "happy".
    assert "100% positive" in cell(html, "wellbeing") and "n = 10" in cell(html, "wellbeing")
