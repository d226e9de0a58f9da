"""The answer counts kept on submit equal a GROUP BY over the answers, whatever happens."""

import threading
import uuid
from datetime import date, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import Answer, AnswerCount, PriorityCount, Response, School, SurveySchool
from app.operations import run_retention
from app.reports import queries
from app.surveys.counts import rebuild
from app.surveys.services import submit_response
from tests.builders import make_response, make_school, make_survey, make_trust

CONTEXTS = ("year_group", "has_send")

code = st.sampled_from([-1, 1, 2, 3, 4, 5])
parent_answers = st.fixed_dictionaries({}, optional={
    "year_group": st.lists(st.integers(1, 7), min_size=1, max_size=2),
    "has_send": st.sampled_from([[0], [1]]),
    "happy": code.map(lambda c: [c]),
    "safe": code.map(lambda c: [c]),
    "send_support": code.map(lambda c: [c]),
    "recommend": st.sampled_from([[0], [1]]),
    "comments": st.sampled_from(["Lovely school", "More clubs please"]),
})
submissions = st.lists(st.tuples(st.integers(0, 1), parent_answers), max_size=8)


def _world():
    trust = make_trust()
    schools = [make_school(trust, name=f"School {i}", urn=f"10{i:04d}") for i in range(2)]
    db.session.commit()
    return [school.id for school in schools]


def _sorted(frame):
    frame = frame.astype(object).where(frame.notna(), None)
    return sorted(map(tuple, frame.itertuples(index=False, name=None)), key=repr)


def _tables(survey_id):
    """Every count row of a survey, for comparing two ways of making them."""
    return [
        sorted(tuple(row) for row in db.session.execute(
            sa.select(*[c for c in model.__table__.c if c.name != "id"])
            .where(model.survey_id == survey_id)).all())
        for model in (AnswerCount, PriorityCount)
    ]


def assert_counts_match_answers(survey_id):
    ids = [survey_id]
    assert _sorted(queries.answer_counts(ids)) == _sorted(queries.answer_counts_from_answers(ids))
    assert _sorted(queries.priority_respondents(ids)) == \
        _sorted(queries.priority_respondents_from_answers(ids))
    for key in CONTEXTS:
        assert queries.counted_context(ids, key)
        assert _sorted(queries.context_answer_counts(ids, key)) == \
            _sorted(queries.context_answer_counts_from_answers(ids, key))
        assert _sorted(queries.context_priority_respondents(ids, key)) == \
            _sorted(queries.context_priority_respondents_from_answers(ids, key))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(submissions=submissions)
def test_counts_equal_a_group_by_over_answers_after_random_submits(app, submissions):
    with app.app_context():
        # Each example is a new survey in the same database, so examples cannot disturb each other.
        school_ids = db.session.scalars(sa.select(School.id).order_by(School.id)).all() or _world()
        survey = make_survey([db.session.get_one(School, i) for i in school_ids])
        db.session.commit()
        links = {link.school_id: link for link in survey.schools}
        for school, answers in submissions:
            submit_response(links[school_ids[school]], answers, uuid.uuid4().hex, date.today())
        assert_counts_match_answers(survey.id)
        incremental = _tables(survey.id)
        rebuild([survey.id])
        db.session.commit()
        assert _tables(survey.id) == incremental


def _survey():
    school_ids = _world()
    survey = make_survey([db.session.get_one(School, i) for i in school_ids])
    db.session.commit()
    return survey, {link.school_id: link for link in survey.schools}, school_ids


def test_a_repeat_submit_counts_once(app):
    with app.app_context():
        survey, links, school_ids = _survey()
        link = links[school_ids[0]]
        answers = {"year_group": [3], "happy": [5], "safe": [4]}
        first = submit_response(link, answers, "same-key", date.today())
        again = submit_response(link, answers, "same-key", date.today())
        assert first.id == again.id
        counts = queries.answer_counts([survey.id])
        assert counts["n"].tolist() == [1, 1, 1]
        assert queries.priority_respondents([survey.id])["respondents"].sum() == 2
        assert_counts_match_answers(survey.id)


def test_two_submits_at_once_both_count(app):
    with app.app_context():
        survey, links, school_ids = _survey()
        survey_id, link_id = survey.id, links[school_ids[0]].id
    threads, each = 4, 5
    start, errors = threading.Barrier(threads), []

    def respond():
        try:
            with app.app_context():
                link = db.session.get(SurveySchool, link_id)
                start.wait()
                for _ in range(each):
                    # The same answers every time, so every submit upserts the same rows.
                    submit_response(link, {"has_send": [1], "happy": [4]}, uuid.uuid4().hex,
                                    date.today())
                db.session.remove()
        except Exception as error:  # reported below, where pytest sees it
            errors.append(error)

    workers = [threading.Thread(target=respond) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    with app.app_context():
        happy = queries.answer_counts([survey_id]).set_index("question_key")["n"]
        assert happy["happy"] == happy["has_send"] == threads * each
        send = queries.context_answer_counts([survey_id], "has_send")
        assert send.loc[send["question_key"] == "happy", "n"].tolist() == [threads * each]
        assert_counts_match_answers(survey_id)


def test_retention_takes_deleted_responses_out_of_the_counts(app):
    with app.app_context():
        survey, links, school_ids = _survey()
        school = links[school_ids[0]].school
        today = date.today()
        make_response(survey, school, {"happy": 5, "has_send": 1}, today - timedelta(days=4 * 366))
        make_response(survey, school, {"happy": 2, "has_send": 0}, today - timedelta(days=4 * 366))
        make_response(survey, school, {"happy": 4, "has_send": 1}, today)
        db.session.commit()
        run_retention(today)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
        assert queries.answer_counts([survey.id]).set_index("question_key")["n"].to_dict() == \
            {"happy": 1, "has_send": 1}
        assert_counts_match_answers(survey.id)


def test_retention_drops_the_counts_of_a_survey_that_lost_every_response(app):
    with app.app_context():
        old, links, school_ids = _survey()
        school = links[school_ids[0]].school
        today = date.today()
        current = make_survey([school], title="This year's parent survey")
        for answers in ({"happy": 5, "has_send": 1}, {"happy": 2, "year_group": 3}):
            make_response(old, school, answers, today - timedelta(days=4 * 366))
        make_response(current, school, {"happy": 4, "has_send": 0}, today)
        db.session.commit()
        before = _tables(current.id)
        run_retention(today)
        assert _tables(old.id) == [[], []]
        assert _tables(current.id) == before
        assert_counts_match_answers(current.id)


def test_counts_rebuild_command_restores_lost_counts(app, runner):
    with app.app_context():
        survey, links, school_ids = _survey()
        for index in range(3):
            make_response(survey, links[school_ids[index % 2]].school,
                          {"year_group": 2 + index, "happy": 4, "comments": "Thank you"})
        db.session.commit()
        counted = _tables(survey.id)
        db.session.execute(sa.delete(AnswerCount))
        db.session.execute(sa.delete(PriorityCount))
        db.session.commit()
        assert queries.answer_counts([survey.id]).empty
    result = runner.invoke(args=["counts", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt the answer counts" in result.output
    with app.app_context():
        assert _tables(survey.id) == counted
        assert_counts_match_answers(survey.id)


def test_a_breakdown_the_counts_do_not_hold_comes_from_the_answers(app):
    with app.app_context():
        survey, links, school_ids = _survey()
        school = links[school_ids[0]].school
        for happy, safe in [(5, 4), (5, 2), (1, 4)]:
            make_response(survey, school, {"happy": happy, "safe": safe})
        db.session.commit()
        assert not queries.counted_context([survey.id], "happy")
        by_happy = queries.context_answer_counts([survey.id], "happy")
        safe = by_happy[by_happy["question_key"] == "safe"]
        assert sorted(zip(safe["context"], safe["value"], safe["n"])) == \
            [(1, 4, 1), (5, 2, 1), (5, 4, 1)]


def test_text_answers_are_not_counted(app):
    with app.app_context():
        survey, links, school_ids = _survey()
        submit_response(links[school_ids[0]], {"comments": "Great school"}, "k1", date.today())
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 1
        assert queries.answer_counts([survey.id]).empty
        assert queries.priority_respondents([survey.id]).empty
