"""Demo SMART targets: real baselines from earlier surveys, so progress shows every status."""

from datetime import date, timedelta

from app.categorisation.evidence import gather
from app.extensions import db
from app.models import SmartTarget
from app.targets.services import choices, priority_of

# (indicator, points to add to the baseline, owner); a question indicator is picked at run time.
PLANS = [
    ("priority:parent:behaviour_safety", 8, "Deputy head (behaviour)"),
    ("priority:staff:wellbeing", 10, "Headteacher"),
    ("question:parent", 6, "Family liaison officer"),
]


def build_demo_targets(trust, today):
    """Targets at three schools and the smallest (whose results are too few to show), baselined
    on the data of seven months ago."""
    question = next((key for key, _ in choices(trust.id) if key.startswith("question:parent:")), None)
    then = today - timedelta(days=210)
    plans = [(question if plan == "question:parent" else plan, rise, owner) for plan, rise, owner in PLANS]
    plans = [plan for plan in plans if plan[0]]
    smallest = min(trust.schools, key=lambda school: school.families_count)
    schools = [s for s in trust.schools if s is not smallest][:3] + [smallest]
    earlier = gather(trust, schools, [indicator for indicator, _, _ in plans], then)
    for school in schools:
        for indicator, rise, owner in plans:
            item = earlier[school.id].get(indicator)
            shown = item is not None and not item["withheld"] and item["value"] is not None
            baseline = round(item["value"], 1) if shown else 60.0
            db.session.add(SmartTarget(
                school_id=school.id, indicator=indicator, priority_key=priority_of(indicator),
                baseline=baseline, baseline_as_of=date.fromisoformat(item["as_of"]) if shown else then,
                baseline_source=item["source"] if shown else "Entered by hand",
                target_value=min(baseline + rise, 100.0), target_on=today + timedelta(days=150),
                owner=owner))
    db.session.commit()
