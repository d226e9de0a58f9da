"""Evidence for categorisation: the latest school data and survey indicators, suppression kept."""

import math

import sqlalchemy as sa

from app.analysis.indicators import priority_indicators, question_indicators
from app.analysis.suppression import suppress_small_cells
from app.extensions import db
from app.models import Instrument, Priority, Question, Survey
from app.models.categorisation import MEASURES, SchoolMeasure
from app.models.instruments import AUDIENCES
from app.reports import queries

AUDIENCE_WORDS = {"parent": "Parents", "staff": "Staff", "pupil_ks1": "KS1 pupils", "pupil_ks2": "KS2 pupils"}


def indicator_label(indicator, trust_id):
    """Plain words for an indicator key such as "priority:parent:behaviour_safety"."""
    kind, _, rest = indicator.partition(":")
    if kind == "measure":
        return MEASURES[rest][0] if rest in MEASURES else rest
    audience, _, key = rest.partition(":")
    who = AUDIENCE_WORDS.get(audience, audience)
    if kind == "priority":
        name = db.session.scalar(
            sa.select(Priority.name).where(Priority.trust_id == trust_id, Priority.key == key))
        return f"{who}: {name or key} (% positive)"
    text = db.session.scalar(
        sa.select(Question.text).join(Instrument)
        .where(Instrument.key == audience, Question.key == key).order_by(Instrument.version.desc())
        .limit(1))
    return f"{who}: “{text or key}” (% positive)"


def indicator_choices(trust_id):
    """Every indicator a rule may use, as (key, label) pairs."""
    choices = [(f"measure:{key}", label) for key, (label, *_) in MEASURES.items()]
    priorities = db.session.scalars(
        sa.select(Priority).where(Priority.trust_id == trust_id).order_by(Priority.position)).all()
    for audience in AUDIENCES:
        choices += [(f"priority:{audience}:{p.key}", f"{AUDIENCE_WORDS[audience]}: {p.name} (% positive)")
                    for p in priorities]
    questions = db.session.execute(
        sa.select(Instrument.key, Question.key, Question.text).join(Instrument)
        .where(Instrument.status == "published", Question.type != "text",
               Question.priority_key.is_not(None))
        .order_by(Instrument.key, Question.position)).all()
    seen = set()
    for audience, key, text in questions:
        if (audience, key) not in seen:
            seen.add((audience, key))
            choices.append((f"question:{audience}:{key}", f"{AUDIENCE_WORDS.get(audience, audience)}: “{text}”"))
    return choices


def gather(trust, schools, indicators, today):
    """{school_id: {indicator: item}} for the indicators the rules use.

    An item has value, n, ci_low, ci_high, withheld (too few answers to show), as_of and source.
    An indicator with no data for a school has no item; one withheld for a small group has
    ``withheld`` True and no numbers, so it can only ever count as insufficient evidence.
    """
    result = {school.id: {} for school in schools}
    measures = {i.split(":", 1)[1] for i in indicators if i.startswith("measure:")}
    if measures:
        for row in latest_measures([s.id for s in schools], measures, today):
            result[row.school_id][f"measure:{row.measure}"] = {
                "value": row.value, "n": None, "ci_low": None, "ci_high": None, "withheld": False,
                "as_of": row.as_of.isoformat(), "source": row.source,
            }
    wanted = {}
    for indicator in indicators:
        kind, _, rest = indicator.partition(":")
        if kind in ("priority", "question"):
            audience, _, key = rest.partition(":")
            wanted.setdefault(audience, set()).add((kind, key))
    for audience, keys in wanted.items():
        for survey, school_ids in latest_surveys(audience, [s.id for s in schools], today):
            _survey_evidence(trust, survey, school_ids, audience, keys, result)
    return result


def latest_measures(school_ids, measures, today):
    """The newest value (not dated in the future) of each measure for each school."""
    newest = (
        sa.select(SchoolMeasure.school_id, SchoolMeasure.measure,
                  sa.func.max(SchoolMeasure.as_of).label("as_of"))
        .where(SchoolMeasure.school_id.in_(school_ids), SchoolMeasure.measure.in_(measures),
               SchoolMeasure.as_of <= today)
        .group_by(SchoolMeasure.school_id, SchoolMeasure.measure).subquery()
    )
    return db.session.scalars(
        sa.select(SchoolMeasure).join(newest, sa.and_(
            SchoolMeasure.school_id == newest.c.school_id,
            SchoolMeasure.measure == newest.c.measure, SchoolMeasure.as_of == newest.c.as_of))
    ).all()


def latest_surveys(audience, school_ids, today):
    """[(survey, [school ids])]: for each school the newest closed survey of this audience.

    An open survey is left out: its answers are still coming in, so its results may still move.
    """
    surveys = db.session.scalars(
        sa.select(Survey).join(Instrument).where(Instrument.audience == audience, Survey.closes_on < today)
        .order_by(Survey.closes_on.desc(), Survey.id.desc())
    ).all()
    left, pairs = set(school_ids), []
    for survey in surveys:
        mine = sorted({link.school_id for link in survey.schools} & left)
        if mine:
            pairs.append((survey, mine))
            left -= set(mine)
        if not left:
            break
    return pairs


def _survey_evidence(trust, survey, school_ids, audience, keys, result):
    counts = queries.answer_counts([survey.id], school_ids)
    if counts.empty:
        return
    questions = queries.questions_frame(survey.instrument)
    threshold = trust.threshold(audience)
    tables = []
    priority_keys = {key for kind, key in keys if kind == "priority"}
    question_keys = {key for kind, key in keys if kind == "question"}
    if priority_keys:
        table = priority_indicators(counts, questions, queries.priority_respondents([survey.id], school_ids))
        table = table[table["priority"].isin(priority_keys)]
        tables.append(("priority", "priority", table))
    if question_keys:
        table = question_indicators(counts[counts["question_key"].isin(question_keys)], questions)
        tables.append(("question", "question_key", table))
    for kind, column, table in tables:
        table = suppress_small_cells(table, n_col="n", min_group_size=threshold)
        for row in table.to_dict("records"):
            withheld = bool(row["suppressed"])
            result[int(row["school_id"])][f"{kind}:{audience}:{row[column]}"] = {
                "value": None if withheld else _number(row["percent_positive"]),
                "n": None if withheld else int(row["n"]),
                "ci_low": None if withheld else _number(row["ci_low"]),
                "ci_high": None if withheld else _number(row["ci_high"]),
                "withheld": withheld, "as_of": survey.closes_on.isoformat(), "source": survey.title,
            }


def _number(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 1)
