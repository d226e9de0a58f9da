"""The CIO evidence pack leads with the school's category: decisions with rationale, else suggestions."""

import re
from datetime import datetime, timezone

import sqlalchemy as sa

from app.categorisation.services import install_defaults
from app.extensions import db
from app.models import School, User
from app.models.categorisation import Area, Decision
from tests.reports.test_packs import packs, pdf_text  # noqa: F401  (fixture)

RATIONALE = 'New head from January; <script>alert("x")</script> audit due'


def decide(app, school_id, area_key, category, rationale="", suggested=None):
    with app.app_context():
        school = db.session.get(School, school_id)
        install_defaults(school.trust)
        area = db.session.scalar(sa.select(Area).filter_by(trust_id=school.trust_id, key=area_key)) \
            if area_key else None
        cio = db.session.scalar(sa.select(User).filter_by(email="cio@trust.example"))
        db.session.add(Decision(school_id=school_id, area_id=area.id if area else None,
                                category=category, suggested=suggested, rationale=rationale,
                                decided_by_id=cio.id,
                                decided_at=datetime(2026, 3, 4, 9, tzinfo=timezone.utc)))
        db.session.commit()


def test_the_pack_shows_the_decided_category_rationale_and_date_and_each_area(app, client, auth, packs):
    decide(app, packs["a"], None, "improve", "Settled now", suggested="improve")
    decide(app, packs["a"], None, "repair", RATIONALE, suggested="improve")  # the latest counts
    decide(app, packs["a"], "behaviour_attendance", "sustain", suggested="sustain")
    auth.sign_in("cio@trust.example")
    html = client.get(f"/schools/{packs['a']}/evidence-pack").get_data(as_text=True)
    category = html[html.index('id="category-heading"'):html.index("Evidence by area")]
    assert re.search(r"Overall:\s*<strong[^>]*sv-category--repair[^>]*>Repair</strong>", category)
    assert "Decided 4 March 2026 by Test User, overriding the suggestion (Improve)" in category
    assert "New head from January; &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; audit due" in category
    assert "Settled now" not in category
    for name in ("Outcomes", "Behaviour and attendance", "Stakeholder voice", "Sustainability"):
        assert f">{name}</th>" in category
    behaviour = category[category.index(">Behaviour and attendance</th>"):][:600]
    assert "Sustain" in behaviour and "Decided 4 March 2026" in behaviour
    # An area with no decision says where its category comes from.
    assert "the CIO has not decided yet" in category or "Not enough evidence yet" in category
    # Survey evidence mapped from priorities to areas, with the result from the latest closed survey.
    evidence = html[html.index("Evidence by area"):]
    assert "Parents: Wellbeing (% positive)" in evidence and "n = 14" in evidence
    assert "Counts towards the categorisation area" in html and "Personal development and wellbeing" in html
    text = pdf_text(client.get(f"/schools/{packs['a']}/evidence-pack.pdf").data)
    assert "Category by area" in text and "Repair" in text and "Why:" in text
    assert 'alert("x")' in text and "4 March 2026" in text


def pack_with_default_rules(app, client, auth, school_id, email):
    """The evidence pack's HTML once the trust has the default areas and rules, as ``email``."""
    with app.app_context():
        install_defaults(db.session.get(School, school_id).trust)
        db.session.commit()
    auth.sign_in(email)
    return client.get(f"/schools/{school_id}/evidence-pack").get_data(as_text=True)


def test_without_decisions_the_pack_shows_the_suggestion_and_its_evidence(app, client, auth, packs):
    html = pack_with_default_rules(app, client, auth, packs["a"], "cio@trust.example")
    category = html[html.index('id="category-heading"'):html.index("Evidence by area")]
    assert "Decided" not in category
    assert "Suggested by the evidence rules; the CIO has not decided yet." in category
    assert "sv-category--suggested" in category
    assert "No data yet" in html  # school data such as attendance was never entered


def test_a_small_school_s_category_evidence_is_withheld(app, client, auth, packs):
    html = pack_with_default_rules(app, client, auth, packs["b"], "head@beta.example")
    evidence = html[html.index("Evidence by area"):html.index("Action plan")]
    assert "Too few responses to show" in evidence
    assert not re.search(r"\d+%</strong>", evidence) and "n = 9" not in evidence
    text = pdf_text(client.get(f"/schools/{packs['b']}/evidence-pack.pdf").data)
    assert "Too few responses to show" in text and "n = 9" not in text
