"""Two copies of one submission racing: the loser returns the stored response, never a 500."""

import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import Response, SurveySchool
from app.surveys import services
from tests.builders import make_school, make_survey, make_trust


def test_a_copy_that_loses_the_race_to_store_returns_the_winner(app, monkeypatch):
    with app.app_context():
        school = make_school(make_trust())
        survey = make_survey([school])
        db.session.commit()
        link = db.session.scalar(sa.select(SurveySchool))
        winner = services.submit_response(link, {"comments": "Thank you"}, "r" * 32, clock.today())
        winner_id = winner.id
        # The loser checked for the key before the winner committed: it sees nothing stored.
        real = services.find_response
        calls = []

        def not_yet_stored(key):
            calls.append(key)
            return None if len(calls) == 1 else real(key)

        monkeypatch.setattr(services, "find_response", not_yet_stored)
        loser = services.submit_response(link, {"comments": "Also thank you"}, "r" * 32, clock.today())
        assert loser.id == winner_id
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
        assert survey.id == loser.survey_id
