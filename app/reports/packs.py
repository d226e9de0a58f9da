"""The printed reports: CIO evidence pack, termly SGC overview, wellbeing pack, parents' summary.

Each builder returns plain dicts and lists for one template that serves both the screen and
the PDF. Every number comes through app.analysis.suppression first.
"""

import base64
import functools
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa

from app.analysis.benchmarks import benchmark, gaps
from app.analysis.charts import describe_trend, figure_to_png, new_figure, plot_trend
from app.analysis.indicators import priority_indicators, question_indicators, scale_scores, scale_table
from app.analysis.suppression import add_totals, suppress_small_cells
from app.analysis.trends import NO_CLEAR_CHANGE, compare_intervals
from app.categorisation import services as categorisation
from app.comments.services import comment_themes, comments_for
from app.extensions import db
from app.models import Action, Answer, Response, Survey, SurveySchool
from app.models.categorisation import MEASURES
from app.models.instruments import AUDIENCES
from app.reports import queries
from app.reports.services import priorities as trust_priorities
from app.reports.services import response_rate
from app.targets import services as targets  # a module import: targets -> evidence -> reports cycle

HSE_DOMAINS = {
    "hse.demands": "Demands", "hse.control": "Control", "hse.manager_support": "Manager support",
    "hse.peer_support": "Peer support", "hse.relationships": "Relationships", "hse.role": "Role",
    "hse.change": "Change",
}
AUDIENCE_PEOPLE = {"parent": "parents", "staff": "staff", "pupil_ks1": "pupils",
                   "pupil_ks2": "pupils"}


# Shared pieces ------------------------------------------------------------------------------

def started_surveys(school, today, audience=None):
    """Surveys of this school that have opened, oldest first (optionally for one audience)."""
    surveys = db.session.scalars(
        sa.select(Survey).join(SurveySchool).where(SurveySchool.school_id == school.id,
                                                   Survey.opens_on <= today)
        .order_by(Survey.opens_on, Survey.id)).all()
    if audience:
        surveys = [s for s in surveys if s.instrument.audience == audience]
    return surveys


def by_audience(surveys, today):
    """[(audience, surveys)]: the closed surveys of each audience, or the open one if none has closed.

    An open survey's results are provisional (and its response rate still climbing), so a
    report leads with the last closed survey whenever there is one.
    """
    grouped = {}
    for survey in surveys:
        grouped.setdefault(survey.instrument.audience, []).append(survey)
    result = []
    for audience in AUDIENCES:
        if audience in grouped:
            closed = [s for s in grouped[audience] if s.closes_on < today]
            result.append((audience, closed or grouped[audience]))
    return result


def _has_priority(question):
    return isinstance(question.get("priority"), str) and bool(question["priority"])


def priority_table(surveys, school_ids, threshold):
    """Suppressed priority indicators for these surveys and schools, one row per survey x school x priority."""
    survey_ids = [s.id for s in surveys]
    counts = queries.answer_counts(survey_ids, school_ids)
    if counts.empty:
        return pd.DataFrame(columns=["survey_id", "school_id", "priority", "n", "percent_positive",
                                     "ci_low", "ci_high", "suppressed"])
    questions = _questions(surveys)
    table = priority_indicators(counts, questions,
                                queries.priority_respondents(survey_ids, school_ids),
                                by=("survey_id", "school_id"))
    return suppress_small_cells(table, n_col="n", min_group_size=threshold)


def _questions(surveys):
    """Scored questions across the surveys' instruments; keys are stable across versions."""
    frames = [queries.questions_frame(s.instrument) for s in {s.instrument_id: s for s in surveys}.values()]
    return pd.concat(frames, ignore_index=True).drop_duplicates("question_key", keep="last")


def _number(value):
    return None if value is None or pd.isna(value) else float(value)


def _result(row):
    """A template-ready result: percent, interval and n, or nothing at all when suppressed."""
    if row is None or bool(row.get("suppressed")) or pd.isna(row.get("percent_positive")):
        return None
    return {"percent": round(float(row["percent_positive"])), "low": round(float(row["ci_low"])),
            "high": round(float(row["ci_high"])), "n": int(row["n"])}


def survey_label(survey):
    return survey.closes_on.strftime("%b %Y")


TREND_FIELDS = ("date", "label", "percent_positive", "ci_low", "ci_high", "suppressed")


def trend_chart(points, dpi=110):
    """(data URI of a PNG, sentences describing it) for one trend; points need date/label.

    Drawing a chart is most of the cost of a pack, and the screen page, its PDF and other
    schools' packs ask for the same pictures again, so each is drawn once per process.
    """
    key = tuple(tuple(_plain(point.get(field)) for field in TREND_FIELDS) for point in points)
    return _cached_trend_chart(key, dpi)


def _plain(value):
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


@functools.lru_cache(maxsize=512)
def _cached_trend_chart(key, dpi):
    frame = pd.DataFrame([dict(zip(TREND_FIELDS, point)) for point in key])
    figure = new_figure(width=6.5, height=2.3)
    ax = figure.add_subplot()
    plot_trend(frame, ax, date_col="date", label_col="label")
    png = figure_to_png(figure, dpi=dpi)
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return uri, tuple(describe_trend(frame, date_col="date", label_col="label"))


def _series(table, surveys, school_id, key, key_col="priority"):
    rows = table[(table["school_id"] == school_id) & (table[key_col] == key)]
    by_survey = {int(r["survey_id"]): r for r in rows.to_dict("records")}
    points = []
    for survey in surveys:
        row = by_survey.get(survey.id, {})
        shown = _result(row) is not None
        points.append({
            "date": survey.closes_on, "label": survey_label(survey),
            "percent_positive": row.get("percent_positive") if shown else None,
            "ci_low": row.get("ci_low") if shown else None,
            "ci_high": row.get("ci_high") if shown else None,
            "suppressed": not shown, "survey_id": survey.id,
        })
    return points


def _direction(points):
    """How the latest shown result compares with the shown one before it (intervals decide)."""
    shown = [p for p in points if not p["suppressed"]]
    if len(shown) < 2:
        return None
    before, latest = shown[-2], shown[-1]
    direction = compare_intervals(before["ci_low"], before["ci_high"], latest["ci_low"],
                                  latest["ci_high"])
    return {"direction": direction,
            "change": round(float(latest["percent_positive"]) - float(before["percent_positive"])),
            "since": survey_label_from_date(before["date"])}


def survey_label_from_date(day):
    return day.strftime("%b %Y") if day is not None and not pd.isna(day) else ""


def actions_of(school, priority_key=None):
    query = sa.select(Action).where(Action.school_id == school.id)
    if priority_key:
        query = query.where(Action.priority_key == priority_key)
    return db.session.scalars(query.order_by(Action.status == "done", Action.due_on)).all()


# CIO evidence pack --------------------------------------------------------------------------

def evidence_pack(school, today, charts=True, dpi=110):
    """Per audience: response rate, per priority the result, trust benchmark, trend and questions."""
    priorities = trust_priorities(school.trust_id)
    sections = []
    for audience, surveys in by_audience(started_surveys(school, today), today):
        latest = surveys[-1]
        threshold = school.trust.threshold(audience)
        all_ids = [link.school_id for link in latest.schools]
        latest_table = priority_table([latest], all_ids, threshold)
        bench = benchmark(latest_table, by=("survey_id", "priority"), min_schools=3) \
            if not latest_table.empty else pd.DataFrame(columns=["school_id", "priority"])
        bench = {r["priority"]: r for r in bench[bench["school_id"] == school.id].to_dict("records")}
        history = priority_table(surveys, [school.id], threshold)
        questions = _question_evidence(latest, school, all_ids, threshold)
        rows = []
        for priority in priorities:
            points = _series(history, surveys, school.id, priority.key)
            current = _result(points[-1] | {"n": _n(history, latest.id, school.id, priority.key)}) \
                if points else None
            if current is None and not any(not p["suppressed"] for p in points) \
                    and not questions.get(priority.key):
                continue
            mark = bench.get(priority.key, {})
            chart, description = (None, [])
            if charts and len(surveys) > 1:
                chart, description = trend_chart(points, dpi=dpi)
            rows.append({
                "priority": priority, "result": current,
                "trust_median": _round(mark.get("trust_median")),
                "trust_q1": _round(mark.get("trust_q1")), "trust_q3": _round(mark.get("trust_q3")),
                "position": mark.get("position") if isinstance(mark.get("position"), str) else None,
                "trend": _direction(points), "chart": chart, "chart_text": description,
                "questions": questions.get(priority.key, []),
            })
        responses, eligible, percent = response_rate(latest, school)
        sections.append({
            "audience": audience, "audience_name": AUDIENCES[audience],
            "people": AUDIENCE_PEOPLE[audience], "survey": latest, "surveys": surveys,
            "threshold": threshold, "responses": responses, "eligible": eligible,
            "rate": percent, "rates": [(s, *response_rate(s, school)) for s in surveys],
            "priorities": rows, "gaps": subgroup_gaps(latest, school, threshold),
        })
    return {"school": school, "today": today, "sections": sections,
            "actions": actions_of(school), "priority_names": {p.key: p.name for p in priorities},
            "categories": current_categories(school, today)}


def current_categories(school, today):
    """The school's category overall and per categorisation area, with where it comes from.

    Each part is the CIO's latest decision (category, rationale, date, who) or, where there is
    none, the suggestion the evidence rules make. Every area lists its evidence: survey results
    per priority (withheld below the threshold, as in app.categorisation.evidence) and school
    data, each with the category it points to. ``feeds`` maps each priority to the areas its
    survey results count towards, so the priority sections can say so.
    """
    assessed = categorisation.assess(school.trust, [school], today)[school.id]
    areas, feeds = [], {}
    for area in categorisation.areas(school.trust_id):
        part = assessed["areas"][area.key]
        for item in part["evidence"]:
            kind, _, rest = item["indicator"].partition(":")
            if kind == "priority":
                names = feeds.setdefault(rest.partition(":")[2], [])
                if area.name not in names:
                    names.append(area.name)
        areas.append({"name": area.name, "key": area.key, "suggested": part["suggested"],
                      "decision": part["decision"],
                      "evidence": [_evidence_item(item) for item in part["evidence"]]})
    overall = assessed["overall"]
    return {"overall": {"name": "Overall", "suggested": overall["suggested"],
                        "decision": overall["decision"]},
            "areas": areas, "feeds": feeds}


def _evidence_item(item):
    """One rule's evidence, rounded like the rest of the pack, with its unit and a real date."""
    kind, _, measure = item["indicator"].partition(":")
    unit = MEASURES[measure][1] if kind == "measure" and measure in MEASURES else "%"
    whole = kind != "measure"
    return item | {
        "unit": "%" if unit == "%" else "",
        "value": None if item["value"] is None else (round(item["value"]) if whole else item["value"]),
        "ci_low": None if item["ci_low"] is None else round(item["ci_low"]),
        "ci_high": None if item["ci_high"] is None else round(item["ci_high"]),
        "as_of": date.fromisoformat(item["as_of"]) if item["as_of"] else None,
    }


def _n(table, survey_id, school_id, key):
    rows = table[(table["survey_id"] == survey_id) & (table["school_id"] == school_id)
                 & (table["priority"] == key)]
    return rows["n"].iloc[0] if len(rows) else None


def _round(value):
    return None if value is None or pd.isna(value) else round(float(value))


def _question_evidence(survey, school, all_ids, threshold):
    """{priority: [question rows]} for one school, each with the trust median of shown schools."""
    counts = queries.answer_counts([survey.id], all_ids)
    if counts.empty:
        return {}
    questions = queries.questions_frame(survey.instrument)
    table = suppress_small_cells(question_indicators(counts, questions), min_group_size=threshold)
    marks = benchmark(table, by=("survey_id", "question_key"), min_schools=3)
    marks = marks[marks["school_id"] == school.id].set_index("question_key")
    mine = table[table["school_id"] == school.id].set_index("question_key")
    evidence = {}
    for question in questions.to_dict("records"):
        if not _has_priority(question) or question["question_key"] not in mine.index:
            continue
        row = mine.loc[question["question_key"]].to_dict()
        mark = marks.loc[question["question_key"]].to_dict() \
            if question["question_key"] in marks.index else {}
        evidence.setdefault(question["priority"], []).append({
            "text": question["text"], "result": _result(row),
            "trust_median": _round(mark.get("trust_median")),
        })
    return evidence


def subgroup_gaps(survey, school, threshold):
    """SEND against everyone else, per question, when the survey asked; suppressed both sides."""
    send = next((q for q in survey.instrument.questions if q.context == "send"), None)
    if send is None:
        return None
    context = sa.orm.aliased(Answer)
    rows = db.session.execute(
        sa.select(Answer.survey_id, Answer.school_id, context.value.label("send"),
                  Answer.question_key, Answer.value, sa.func.count().label("n"))
        .join(context, sa.and_(context.response_id == Answer.response_id,
                               context.question_key == send.key))
        .join(Response, Response.id == Answer.response_id)
        .where(Answer.survey_id == survey.id, Answer.school_id == school.id,
               Answer.value.is_not(None), Answer.question_key != send.key,
               Response.status == "complete")
        .group_by(Answer.survey_id, Answer.school_id, context.value, Answer.question_key,
                  Answer.value)).all()
    if not rows:
        return []
    counts = pd.DataFrame(rows, columns=["survey_id", "school_id", "send", "question_key",
                                         "value", "n"])
    counts = add_totals(counts, ["send"], sum_cols=["n"])
    questions = queries.questions_frame(survey.instrument)
    table = question_indicators(counts, questions, by=("survey_id", "school_id", "send"))
    result = gaps(table, "send", 1, by=("survey_id", "school_id", "question_key"),
                  min_group_size=threshold)
    text = dict(zip(questions["question_key"], questions["text"]))
    order = {key: index for index, key in enumerate(questions["question_key"])}
    out = []
    for row in sorted(result.to_dict("records"), key=lambda r: order.get(r["question_key"], 0)):
        if row["question_key"] not in text or not questions.loc[
                questions["question_key"] == row["question_key"], "priority"].notna().any():
            continue
        out.append({"text": text[row["question_key"]], "suppressed": bool(row["suppressed"]),
                    "group": _round(row["group_percent"]), "rest": _round(row["versus_percent"]),
                    "difference": _round(row["difference"])})
    return out


# Termly SGC overview ------------------------------------------------------------------------

def sgc_overview(school, today):
    """What changed since last term per priority (latest two surveys of each audience), and actions."""
    priorities = trust_priorities(school.trust_id)
    changes = []
    for audience, surveys in by_audience(started_surveys(school, today), today):
        threshold = school.trust.threshold(audience)
        table = priority_table(surveys, [school.id], threshold)
        rows = []
        for priority in priorities:
            points = _series(table, surveys, school.id, priority.key)
            latest = _result(points[-1] | {"n": _n(table, surveys[-1].id, school.id, priority.key)})
            previous = None
            if len(points) > 1:
                previous = _result(points[-2] | {"n": _n(table, surveys[-2].id, school.id, priority.key)})
            if latest is None and previous is None:
                continue
            rows.append({"priority": priority, "latest": latest, "previous": previous,
                         "trend": _direction(points[-2:]) if len(points) > 1 else None})
        responses, eligible, percent = response_rate(surveys[-1], school)
        changes.append({"audience_name": AUDIENCES[audience], "survey": surveys[-1],
                        "previous": surveys[-2] if len(surveys) > 1 else None, "rows": rows,
                        "responses": responses, "eligible": eligible, "rate": percent,
                        "threshold": threshold})
    actions = actions_of(school)
    return {"school": school, "today": today, "changes": changes, "actions": actions,
            "overdue": [a for a in actions if a.is_overdue(today)],
            "done_this_term": [a for a in actions if a.status == "done"
                               and a.updated_at.date() >= today - timedelta(days=120)],
            "priority_names": {p.key: p.name for p in priorities},
            "targets": targets.progress_for(school, today)}


# Wellbeing committee pack -------------------------------------------------------------------

def wellbeing_pack(school, today, charts=True, dpi=110):
    """Staff wellbeing domains (HSE) over time with intervals, comment themes and wellbeing actions."""
    started = started_surveys(school, today, audience="staff")
    # Like the other reports, lead with closed surveys: an open one's results are provisional.
    surveys = [s for s in started if s.closes_on < today] or started
    still_open = next((s for s in started if s.closes_on >= today and s not in surveys), None)
    priorities = trust_priorities(school.trust_id)
    threshold = school.trust.threshold("staff")
    domains, comments, themes, themes_withheld = [], None, [], 0
    if surveys:
        counts = queries.answer_counts([s.id for s in surveys], [school.id])
        questions = _questions(surveys)
        if not counts.empty and questions["scale"].notna().any():
            scores = scale_scores(counts, questions)
            # Pool each domain like a priority; n = fewest answers to any of its questions,
            # a cautious stand-in for respondents that widens the interval.
            by_scale = questions.assign(priority=questions["scale"])
            respondents = scores.rename(columns={"scale": "priority", "n": "respondents"})
            pooled = priority_indicators(counts, by_scale, respondents[
                ["survey_id", "school_id", "priority", "respondents"]])
            # Scores are suppressed with every school's and the trust's, so the pattern is the
            # one the trust's pages use and no school's domain is "trust minus the rest".
            everyone = scale_table(queries.answer_counts([s.id for s in surveys]), questions,
                                   dims=["school_id"], by=["survey_id"], min_group_size=threshold)
            scores = everyone[everyone["school_id"].isin([school.id])]
            hidden = scores[["survey_id", "scale", "suppressed"]].rename(columns={"scale": "priority"})
            pooled = pooled.merge(hidden, on=["survey_id", "priority"], how="left")
            pooled = suppress_small_cells(pooled, min_group_size=threshold)
            for key, name in HSE_DOMAINS.items():
                points = _series(pooled, surveys, school.id, key)
                score_rows = scores[(scores["scale"] == key)]
                latest_score = score_rows[score_rows["survey_id"] == surveys[-1].id]["score"]
                chart, description = (None, [])
                if charts and len(surveys) > 1:
                    chart, description = trend_chart(points, dpi=dpi)
                domains.append({
                    "name": name, "points": [p | {"result": _result(
                        p | {"n": _n(pooled, p["survey_id"], school.id, key)})} for p in points],
                    "score": None if latest_score.empty or pd.isna(latest_score.iloc[0])
                    else round(float(latest_score.iloc[0]), 1),
                    "trend": _direction(points), "chart": chart, "chart_text": description,
                })
        comments = comments_for(school, surveys[-1])
        # A theme's count is itself a small group: below the threshold it is not given.
        every_theme = comment_themes(comments, priorities)
        themes = [(priority, count) for priority, count in every_theme if count >= threshold]
        themes_withheld = len(every_theme) - len(themes)
    return {"school": school, "today": today, "surveys": surveys, "domains": domains,
            "threshold": threshold, "comments": comments, "themes": themes,
            "themes_withheld": themes_withheld, "still_open": still_open,
            "actions": actions_of(school, "wellbeing"),
            "rate": response_rate(surveys[-1], school) if surveys else None}


# Parents' summary ---------------------------------------------------------------------------

def parents_summary(school, today):
    """Headline parent results in plain words, and what the school is doing about them."""
    priorities = trust_priorities(school.trust_id)
    surveys = started_surveys(school, today, audience="parent")
    headlines, survey, rate = [], None, None
    if surveys:
        survey = surveys[-1]
        # A survey still open has provisional results: lead with the last closed one.
        closed = [s for s in surveys if s.closes_on < today]
        survey = closed[-1] if closed else survey
        threshold = school.trust.threshold("parent")
        counts = queries.answer_counts([survey.id], [school.id])
        if not counts.empty:
            questions = queries.questions_frame(survey.instrument)
            table = suppress_small_cells(question_indicators(counts, questions),
                                         min_group_size=threshold)
            for question in questions.to_dict("records"):
                rows = table[table["question_key"] == question["question_key"]]
                result = _result(rows.iloc[0].to_dict()) if len(rows) else None
                if result and _has_priority(question):
                    headlines.append({"text": question["text"], "percent": result["percent"],
                                      "in_ten": round(result["percent"] / 10),
                                      "verb": "said yes" if question["type"] == "yes_no" else "agreed"})
        rate = response_rate(survey, school)
    actions = [a for a in actions_of(school)]
    names = {p.key: p.name for p in priorities}
    return {"school": school, "today": today, "survey": survey, "headlines": headlines,
            "rate": rate, "actions": actions, "priority_names": names,
            "no_clear_change": NO_CLEAR_CHANGE}
