"""SMART targets: baselines from the latest data, progress honest about suppression, who may edit."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, SmartTarget
from app.targets import services
from tests.categorisation.conftest import trust_setup  # noqa: F401  (the fixture)

SAFE = "question:parent:safe"
BEHAVIOUR = "priority:parent:behaviour_safety"
LATER = (date.today() + timedelta(days=200)).isoformat()


def _post(client, school_id, **fields):
    form = {"indicator": SAFE, "baseline": "", "target_value": "85", "target_on": LATER,
            "owner": "Deputy head (pastoral)"} | fields
    return client.post(f"/schools/{school_id}/targets/new", data=form)


def test_a_blank_baseline_is_taken_from_the_latest_shown_result(app, client, auth, trust_setup):
    auth.sign_in("head@oak.example.org")
    response = _post(client, trust_setup["oak_id"])
    assert response.status_code == 302
    with app.app_context():
        target = db.session.scalar(sa.select(SmartTarget))
        assert (target.baseline, target.baseline_source, target.priority_key) == (
            75.0, "Parent survey, autumn", "behaviour_safety")  # 9 of 12 parents feel safe
        assert target.baseline_as_of == date.today() - timedelta(days=10)
        assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "target_saved"))
    page = client.get(f"/schools/{trust_setup['oak_id']}/targets").get_data(as_text=True)
    assert "Parents: “" in page and "75%" in page and "85% by" in page and "On track" in page


def test_a_withheld_result_cannot_be_a_baseline_and_shows_as_insufficient_evidence(
        app, client, auth, trust_setup):
    auth.sign_in("cio@example.org")
    refused = _post(client, trust_setup["elm_id"])  # Elm: 4 parents, under the threshold of 10
    assert refused.status_code == 400 and "enter the baseline yourself" in refused.get_data(as_text=True)
    assert _post(client, trust_setup["elm_id"], baseline="50", target_value="60").status_code == 302
    page = client.get(f"/schools/{trust_setup['elm_id']}/targets").get_data(as_text=True)
    assert "Insufficient evidence" in page and "Too few answers to show" in page
    assert "25%" not in page and "1 to " not in page  # Elm's real (withheld) result never leaks


@pytest.mark.parametrize("fields, field, message", [
    ({"indicator": "measure:attendance_pct"}, "indicator", "Choose an indicator from the list."),
    ({"indicator": "question:parent:nonsense"}, "indicator", "Choose an indicator from the list."),
    ({"target_value": "abc"}, "target_value", "from 0 to 100"),
    ({"target_value": "150"}, "target_value", "from 0 to 100"),
    ({"target_value": "nan"}, "target_value", "from 0 to 100"),
    ({"target_value": ""}, "target_value", "Enter the target as a percentage."),
    ({"target_value": "75"}, "target_value", "The target must differ from the baseline."),
    ({"baseline": "-3"}, "baseline", "from 0 to 100"),
    ({"target_on": "2026-02-30"}, "target_on", "real date"),
    ({"target_on": date.today().isoformat()}, "target_on", "in the future"),
    ({"target_on": "2099-01-01"}, "target_on", "within 5 years"),
    ({"owner": "   "}, "owner", "Enter who owns the target"),
    ({"owner": "x" * 201}, "owner", "Enter who owns the target"),
])
def test_bad_target_input_is_refused_with_a_message_and_keeps_what_was_typed(
        app, client, auth, trust_setup, fields, field, message):
    auth.sign_in("head@oak.example.org")
    response = _post(client, trust_setup["oak_id"], **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page and f'href="#{field}"' in page
    assert 'value="Deputy head (pastoral)"' in page or field == "owner"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SmartTarget)) == 0


def test_heads_edit_their_own_school_only_and_governors_only_read(app, client, auth, trust_setup):
    auth.sign_in("cio@example.org")
    assert _post(client, trust_setup["elm_id"], baseline="50", target_value="60").status_code == 302
    with app.app_context():
        elm_target = db.session.scalar(sa.select(SmartTarget.id))
    auth.sign_out()
    auth.sign_in("head@oak.example.org")
    assert _post(client, trust_setup["elm_id"], baseline="50").status_code == 404
    assert client.get(f"/schools/{trust_setup['elm_id']}/targets/{elm_target}/edit").status_code == 404
    assert client.get(f"/schools/{trust_setup['oak_id']}/targets/{elm_target}/edit").status_code == 404
    auth.sign_out()
    auth.sign_in("governor@elm.example.org")
    page = client.get(f"/schools/{trust_setup['elm_id']}/targets")
    assert page.status_code == 200 and "Add a target" not in page.get_data(as_text=True)
    assert "Change" not in page.get_data(as_text=True)
    assert _post(client, trust_setup["elm_id"], baseline="50").status_code == 404
    assert client.post(f"/schools/{trust_setup['elm_id']}/targets/{elm_target}/delete").status_code == 404


def test_editing_keeps_the_data_baseline_unless_it_is_changed_and_delete_removes(
        app, client, auth, trust_setup):
    auth.sign_in("head@oak.example.org")
    _post(client, trust_setup["oak_id"])
    with app.app_context():
        target_id = db.session.scalar(sa.select(SmartTarget.id))
    url = f"/schools/{trust_setup['oak_id']}/targets/{target_id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert 'value="75.0"' in form and "Parent survey, autumn" in form
    client.post(url, data={"indicator": SAFE, "baseline": "75.0", "target_value": "90", "target_on": LATER,
                           "owner": "Head"})
    with app.app_context():
        target = db.session.get(SmartTarget, target_id)
        assert (target.target_value, target.owner, target.baseline_source) == (90, "Head", "Parent survey, autumn")
    client.post(url, data={"indicator": SAFE, "baseline": "70", "target_value": "90", "target_on": LATER,
                           "owner": "Head"})
    with app.app_context():
        target = db.session.get(SmartTarget, target_id)
        assert (target.baseline, target.baseline_source, target.baseline_as_of) == (70, "Entered by hand", None)
    assert client.post(f"/schools/{trust_setup['oak_id']}/targets/{target_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(SmartTarget, target_id) is None


def _target(baseline, value, start, end):
    return SmartTarget(baseline=baseline, target_value=value, baseline_as_of=start, target_on=end)


def _item(value, as_of, withheld=False):
    return {"value": None if withheld else value, "withheld": withheld, "as_of": as_of.isoformat(),
            "n": 20, "ci_low": None, "ci_high": None, "source": "Survey"}


START, END = date(2026, 1, 1), date(2027, 1, 1)
HALF = date(2026, 7, 2)  # half way from START to END


@pytest.mark.parametrize("target, item, today, status", [
    (_target(60, 80, START, END), _item(80, HALF), HALF, "met"),
    (_target(60, 80, START, END), _item(71, HALF), HALF, "on_track"),  # at least the 70 a line gives
    (_target(60, 80, START, END), _item(69, HALF), HALF, "behind"),
    (_target(60, 80, START, END), _item(79, END), date(2027, 2, 1), "behind"),  # date passed, not met
    (_target(60, 80, START, END), _item(60, START), START, "on_track"),  # the baseline survey itself
    (_target(60, 80, START, END), None, HALF, "insufficient"),
    (_target(60, 80, START, END), _item(99, HALF, withheld=True), HALF, "insufficient"),
    (_target(30, 20, START, END), _item(24, HALF), HALF, "on_track"),  # a target to bring it down
    (_target(30, 20, START, END), _item(27, HALF), HALF, "behind"),
    (_target(30, 20, START, END), _item(19, HALF), HALF, "met"),
])
def test_progress_is_met_on_track_behind_or_insufficient(target, item, today, status):
    assert services.progress(target, item, today)["status"] == status


def test_the_school_page_and_the_sgc_overview_show_target_progress(app, client, auth, trust_setup):
    auth.sign_in("cio@example.org")
    _post(client, trust_setup["oak_id"])
    _post(client, trust_setup["elm_id"], indicator=BEHAVIOUR, baseline="50", target_value="60")
    school = client.get(f"/schools/{trust_setup['oak_id']}").get_data(as_text=True)
    assert "SMART targets" in school and "On track" in school
    overview = client.get(f"/schools/{trust_setup['elm_id']}/sgc-overview").get_data(as_text=True)
    assert "Progress on SMART targets" in overview and "Insufficient evidence" in overview
    assert "1 targets: 0 met, 0 on track, 0 behind, 1 without enough evidence." in overview
    pdf = client.get(f"/schools/{trust_setup['oak_id']}/sgc-overview.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
