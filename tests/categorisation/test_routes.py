"""The categorisation pages over HTTP: who sees what, deciding, importing, reviews."""

import io

import sqlalchemy as sa

from app.extensions import db
from app.models import Decision, Review, SchoolMeasure


def test_the_cio_sees_every_school_in_the_grid_with_category_words(client, auth, trust_setup):
    auth.sign_in("cio@example.org")
    page = client.get("/categorisation/").get_data(as_text=True)
    assert "Oak Primary School" in page and "Elm Primary School" in page
    assert "Repair" in page and "Insufficient evidence" in page


def test_a_head_sees_only_their_own_school_read_only(client, auth, trust_setup):
    auth.sign_in("head@oak.example.org")
    response = client.get("/categorisation/")
    assert response.status_code == 302 and response.location.endswith(f"/schools/{trust_setup['oak_id']}")
    page = client.get(f"/categorisation/schools/{trust_setup['oak_id']}").get_data(as_text=True)
    assert "Behaviour and attendance" in page and "n = 12" in page and "Decide" not in page
    assert client.get(f"/categorisation/schools/{trust_setup['elm_id']}").status_code == 404
    assert client.get(f"/categorisation/schools/{trust_setup['oak_id']}/decide/overall").status_code == 404
    response = client.post(f"/categorisation/schools/{trust_setup['oak_id']}/decide/overall",
                           data={"category": "sustain", "rationale": "We are great"})
    assert response.status_code == 404
    for path in ("/categorisation/data", "/categorisation/rules", "/categorisation/reviews"):
        assert client.get(path).status_code == 404


def test_a_governor_reads_the_evidence_withheld_for_their_small_school(client, auth, trust_setup):
    auth.sign_in("governor@elm.example.org")
    page = client.get(f"/categorisation/schools/{trust_setup['elm_id']}").get_data(as_text=True)
    assert "Too few responses to show" in page and "Insufficient evidence" in page


def test_the_cio_overrides_with_a_rationale_and_a_missing_one_keeps_the_choice(app, client, auth, trust_setup):
    auth.sign_in("cio@example.org")
    url = f"/categorisation/schools/{trust_setup['oak_id']}/decide/behaviour_attendance"
    response = client.post(url, data={"category": "sustain", "rationale": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Write why you are choosing" in page
    assert 'value="sustain" checked' in page
    response = client.post(url, data={"category": "sustain", "rationale": "<script>alert(1)</script> New plan"})
    assert response.status_code == 302
    page = client.get(f"/categorisation/schools/{trust_setup['oak_id']}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; New plan" in page and "overriding the suggestion" in page
    with app.app_context():
        decision = db.session.scalar(sa.select(Decision))
        assert (decision.category, decision.suggested) == ("sustain", "repair")


def test_an_import_with_bad_rows_lists_them_and_saves_nothing(app, client, auth, trust_setup):
    auth.sign_in("cio@example.org")
    data = ("urn,measure,value,as_of,source\n100001,attendance_pct,95,2025-01-01,DfE\n"
            "123,attendance_pct,95,2025-01-01,DfE\n100002,attendance_pct,lots,2025-01-01,DfE\n")
    response = client.post("/categorisation/data/import", data={"file": (io.BytesIO(data.encode()), "data.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was imported: 2 row(s) need fixing." in page
    assert "<td class=\"govuk-table__cell\">3</td>" in page and "“lots” is not a number" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SchoolMeasure.id))) == 0


def test_one_value_is_added_by_the_form_and_a_duplicate_is_refused(app, client, auth, trust_setup):
    auth.sign_in("cio@example.org")
    form = {"school_id": str(trust_setup["oak_id"]), "measure": "phonics_pass_pct", "value": "82",
            "as_of": "2025-06-30", "source": "Phonics screening check"}
    assert client.post("/categorisation/data", data=form).status_code == 302
    page = client.post("/categorisation/data", data=form).get_data(as_text=True)
    assert "already has a year 1 phonics check passed value dated 30 June 2025" in page
    assert 'value="Phonics screening check"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SchoolMeasure.id))) == 1


def test_reviews_are_taken_shown_and_compared(app, client, auth, trust_setup):
    auth.sign_in("cio@example.org")
    assert client.post("/categorisation/reviews", data={"name": ""}).status_code == 400
    first = client.post("/categorisation/reviews", data={"name": "Autumn 2026"})
    client.post(f"/categorisation/schools/{trust_setup['oak_id']}/decide/overall",
                data={"category": "sustain", "rationale": "Strong on every measure we hold."})
    second = client.post("/categorisation/reviews", data={"name": "Spring 2027"})
    first_id, second_id = (int(r.location.rsplit("/", 1)[1]) for r in (first, second))
    assert "Spring 2027" in client.get(f"/categorisation/reviews/{second_id}").get_data(as_text=True)
    page = client.get(f"/categorisation/reviews/compare?first={first_id}&second={second_id}").get_data(as_text=True)
    assert "Moved up" in page
    assert client.get(f"/categorisation/reviews/compare?first={first_id}&second=999").status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 2


def test_rules_are_edited_as_a_new_version_and_bad_thresholds_keep_the_form(client, auth, trust_setup):
    auth.sign_in("cio@example.org")
    form = {"rule-0-area": "behaviour_attendance", "rule-0-indicator": "question:parent:safe",
            "rule-0-direction": "higher", "rule-0-stabilise": "80", "rule-0-repair": "70", "rule-0-improve": "90"}
    response = client.post("/categorisation/rules", data=form)
    assert response.status_code == 400 and "Thresholds must rise" in response.get_data(as_text=True)
    response = client.post("/categorisation/rules", data=dict(form, **{"rule-0-stabilise": "60"}))
    assert response.status_code == 302
    assert "Version 2" in client.get("/categorisation/rules").get_data(as_text=True)


def test_areas_can_be_renamed_and_added(client, auth, trust_setup):
    auth.sign_in("admin@example.org")
    assert client.post("/categorisation/areas", data={"name": "Early years"}).status_code == 302
    assert client.post("/categorisation/areas", data={"name": "Early years"}).status_code == 400
    page = client.get("/categorisation/").get_data(as_text=True)
    assert "Early years" in page
