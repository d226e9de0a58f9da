"""Head, trust and wellbeing dashboards and their charts, checked against hand-worked numbers."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Instrument
from app.surveys.library import install_builtin_instruments
from tests.builders import make_response, make_school, make_survey, make_trust, make_user

TODAY = date.today()


@pytest.fixture
def trust(app):
    """Alpha (the head's school), Beta, Gamma and Delta in one hub; Echo alone in another.

    Earlier parent survey (Alpha only): 20 parents, "happy" 4 of 20 positive (20%, 8-42%),
    "safe" 10 of 20. Current survey, Alpha: 20 parents, "happy" 18 of 20 (90%, 70-97%):
    10 with SEND (8 positive) and 10 without (10 positive); "safe" 10 of 20; year group
    Reception for 12 and Year 1 for 8. Beta 6 of 11, Gamma 9 of 12, Delta 12 of 12 happy;
    Echo 4 parents, under the threshold of 10, so Beta (the smallest beside it) is withheld
    too. Trust total now: 45 of 59 happy (76%).
    Staff survey at Alpha: 6 staff answer "I have unachievable deadlines" with Seldom (2, a
    reverse-scored item: score 4); only 4 answer "I am clear what is expected of me".
    """
    with app.app_context():
        trust = make_trust()
        alpha = make_school(trust, "Alpha Primary")
        hub = alpha.hub
        beta, gamma, delta = (make_school(trust, name, hub=hub)
                              for name in ("Beta Primary", "Gamma Primary", "Delta Primary"))
        echo = make_school(trust, "Echo Primary")
        earlier = make_survey([alpha], title="Parent survey, earlier",
                              opens_on=TODAY - timedelta(days=200),
                              closes_on=TODAY - timedelta(days=180))
        for index in range(20):
            make_response(earlier, alpha, {"happy": 5 if index < 4 else 2,
                                           "safe": 4 if index < 10 else 2})
        current = make_survey([alpha, beta, gamma, delta, echo], title="Parent survey, now")
        for index in range(20):
            send = index < 10
            happy = 5 if (index >= 10 or index < 8) else 2
            make_response(current, alpha, {
                "happy": happy, "safe": 4 if index % 2 else 2,
                "has_send": 1 if send else 0, "year_group": 1 if index < 12 else 2,
            })
        for school, size, positive in ((beta, 11, 6), (gamma, 12, 9), (delta, 12, 12)):
            for index in range(size):
                make_response(current, school, {"happy": 4 if index < positive else 1, "safe": 4})
        for _ in range(4):
            make_response(current, echo, {"happy": 1, "safe": 1})
        install_builtin_instruments()
        staff = db.session.scalar(sa.select(Instrument).where(Instrument.key == "staff"))
        staff_survey = make_survey([alpha], instrument=staff, title="Staff survey",
                                   opens_on=TODAY - timedelta(days=30),
                                   closes_on=TODAY - timedelta(days=16))
        for index in range(6):
            answers = {"hse_06_unachievable_deadlines": 2, "role_group": 1}
            if index < 4:
                answers["hse_01_clear_expectations"] = 3
            make_response(staff_survey, alpha, answers)
        make_user("head@alpha.example", "head", alpha)
        make_user("head@echo.example", "head", echo)
        make_user("cio@trust.example", "cio")
        make_user("wellbeing@trust.example", "wellbeing")
        make_user("wellbeing@alpha.example", "wellbeing", alpha)
        db.session.commit()
        return {"alpha": alpha.id, "beta": beta.id, "echo": echo.id, "hub": hub.id,
                "other_hub": echo.hub_id, "earlier": earlier.id, "current": current.id,
                "staff": staff_survey.id}


def cell(html, attribute, value):
    start = html.index(f'{attribute}="{value}"')
    return " ".join(html[start:html.index("</td>", start)].split())


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.data.decode()


def test_the_head_sees_percent_interval_n_and_response_rate(client, auth, trust):
    auth.sign_in("head@alpha.example")
    html = page(client, f"/schools/{trust['alpha']}?survey_id={trust['current']}")
    wellbeing = cell(html, "data-priority", "wellbeing")
    assert "90% positive" in wellbeing and "n = 20" in wellbeing
    assert "95% interval 70–97%" in wellbeing
    assert "20 responses from 200 families (10% response rate)" in html
    happy = cell(html, "data-question", "happy")
    assert "90% positive" in happy and "n = 20" in happy


def test_a_change_is_called_only_where_the_intervals_do_not_overlap(client, auth, trust):
    auth.sign_in("head@alpha.example")
    html = page(client, f"/schools/{trust['alpha']}?survey_id={trust['current']}")
    # Wellbeing 20% (8-42%) to 90% (70-97%): up 70 points. Safety 50% both times.
    assert "Up" in cell(html, "data-trend", "wellbeing")
    assert "+70 points" in cell(html, "data-trend", "wellbeing")
    assert "No clear change" in cell(html, "data-trend", "behaviour_safety")
    first = page(client, f"/schools/{trust['alpha']}?survey_id={trust['earlier']}")
    assert "No earlier result" in cell(first, "data-trend", "wellbeing")


def test_the_benchmark_uses_the_shown_schools_median_and_quartiles(client, auth, trust):
    auth.sign_in("head@alpha.example")
    html = page(client, f"/schools/{trust['alpha']}?survey_id={trust['current']}")
    # Shown schools 90, 75, 100 (Echo and its complement Beta withheld): median 90, Q3 95.
    mark = cell(html, "data-benchmark", "wellbeing")
    assert "In the middle half" in mark
    assert "Trust median 90%" in mark and "–95%" in mark and "(3 schools)" in mark


def test_the_send_gap_is_shown_and_small_year_groups_are_withheld_with_their_complement(
        client, auth, trust):
    auth.sign_in("head@alpha.example")
    html = page(client, f"/schools/{trust['alpha']}?survey_id={trust['current']}")
    gap = cell(html, "data-gap", "SEND|Yes|wellbeing")
    assert "-20 points" in gap and "80% (n 10) against 100% (n 10)" in gap  # n = people
    # Year 1 has 8 parents, so Reception (12) goes too: otherwise Year 1 = school - Reception.
    assert 'data-gap="Year group|' not in html


def test_a_head_cannot_see_or_draw_another_schools_results(client, auth, trust):
    auth.sign_in("head@echo.example")
    for url in (f"/schools/{trust['alpha']}", f"/schools/{trust['alpha']}/likert.png",
                f"/schools/{trust['alpha']}/trend.png",
                f"/results/heatmap.png?hub_id={trust['hub']}", "/wellbeing",
                "/wellbeing/trend.png?instrument=parent"):
        assert client.get(url).status_code == 404, url


def test_every_chart_route_returns_a_png_for_someone_allowed(client, auth, trust):
    auth.sign_in("cio@trust.example")
    for url in (f"/schools/{trust['alpha']}/likert.png?survey_id={trust['current']}",
                f"/schools/{trust['alpha']}/trend.png?survey_id={trust['current']}",
                f"/results/heatmap.png?survey_id={trust['current']}",
                f"/results/heatmap.png?survey_id={trust['current']}&hub_id={trust['hub']}",
                "/wellbeing/trend.png?instrument=parent",
                f"/wellbeing/trend.png?instrument=staff&school_id={trust['alpha']}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "image/png" and response.data.startswith(b"\x89PNG"), url
        assert "no-store" in response.headers["Cache-Control"]


def test_withheld_results_never_reach_the_page_or_the_chart(app, client, auth, trust):
    from app.models import School, Survey

    auth.sign_in("head@echo.example")
    html = page(client, f"/schools/{trust['echo']}")
    assert "Too few responses to show" in cell(html, "data-priority", "wellbeing")
    assert "0% positive" not in html and "n = 4" not in html
    before = client.get(f"/schools/{trust['echo']}/likert.png").data
    # Different withheld answers draw exactly the same picture: nothing of them is in it.
    with app.app_context():
        survey = db.session.get(Survey, trust["current"])
        make_response(survey, db.session.get(School, trust["echo"]), {"happy": 5, "safe": 5})
        db.session.commit()
    after = client.get(f"/schools/{trust['echo']}/likert.png").data
    assert after == before


def test_the_trust_page_shows_the_heatmap_text_and_withholds_the_complement(client, auth, trust):
    auth.sign_in("cio@trust.example")
    html = page(client, f"/results?survey_id={trust['current']}")
    # Echo (4) is small; Beta, the smallest school beside it, goes too (Echo = trust - others).
    assert "Alpha Primary: Wellbeing 90%" in html and "Gamma Primary: Wellbeing 75%" in html
    assert "Echo Primary: Wellbeing too few responses" in html
    assert "Beta Primary: Wellbeing too few responses" in html
    beta = html[html.index(f'data-school="{trust["beta"]}"'):]
    assert "55%" not in beta[:beta.index("</tr>")] and "n 11" not in html
    trust_row = html[html.index('data-school="trust"'):]
    assert "76%" in trust_row[:trust_row.index("</tr>")] and "n 59" in trust_row


def test_the_hub_filter_narrows_the_trust_page(client, auth, trust):
    auth.sign_in("cio@trust.example")
    html = page(client, f"/results?survey_id={trust['current']}&hub_id={trust['hub']}")
    assert f'data-school="{trust["alpha"]}"' in html
    assert f'data-school="{trust["echo"]}"' not in html and 'data-school="trust"' not in html
    assert client.get("/results?hub_id=99999").status_code == 404
    assert client.get("/results?hub_id=abc").status_code == 404


def test_the_wellbeing_committee_sees_trust_trends_and_hse_scores(client, auth, trust):
    auth.sign_in("wellbeing@trust.example")
    html = page(client, "/wellbeing?instrument=parent")
    assert "whole trust" in html
    rows = html.split('data-point="wellbeing|')
    # Earlier: Alpha alone, 4 of 20 (20%, 8-42%); now 45 of 59 (76%, 64-86%).
    assert "20% (n 20" in rows[1] and "76% (n 59" in rows[2] and "Up" in rows[2]
    staff = page(client, f"/wellbeing?instrument=staff&school_id={trust['alpha']}")
    demands = staff[staff.index('data-hse="hse.demands'):]
    assert "4.00 (n 6)" in demands[:demands.index("</tr>")]
    role = staff[staff.index('data-hse="hse.role'):]
    assert "Too few to show" in role[:role.index("</tr>")] and "(n 4)" not in staff


def test_a_school_wellbeing_member_sees_only_their_school(client, auth, trust):
    auth.sign_in("wellbeing@alpha.example")
    html = page(client, "/wellbeing?instrument=parent")
    assert "Wellbeing over time: Alpha Primary" in html
    assert client.get(f"/wellbeing?school_id={trust['echo']}").status_code == 404
    assert client.get(f"/wellbeing/trend.png?instrument=parent&school_id={trust['echo']}"
                      ).status_code == 404
    assert client.get("/wellbeing?instrument=nonsense").status_code == 404


def test_a_bad_survey_choice_is_a_not_found_not_an_error(client, auth, trust):
    auth.sign_in("head@alpha.example")
    for url in (f"/schools/{trust['alpha']}?survey_id=abc",
                f"/schools/{trust['alpha']}/likert.png?survey_id=99999"):
        assert client.get(url).status_code == 404, url
