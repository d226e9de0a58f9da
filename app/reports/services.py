"""Results for the pages: SQL counts in, app.analysis in the middle, rows for templates out.

Every number leaves this module already suppressed: a school's result is protected against the
trust total beside it, and a subgroup's against its school total (complementary suppression).
"""

import math

import pandas as pd
import sqlalchemy as sa
from flask import current_app

from app.analysis import benchmarks, charts, trends
from app.analysis.indicators import priority_indicators, question_indicators, scale_table
from app.analysis.suppression import add_totals, suppress_complementary
from app.extensions import db
from app.models import Instrument, Priority, School, Survey, SurveySchool
from app.models.instruments import AGREE5_LABELS
from app.reports import queries

CACHE_SIZE = 64
TRUST = "All"  # the trust total row's school_id, as app.analysis.suppression expects
#: Context questions whose answers can split results, with the codes worth showing as groups.
GAP_CONTEXTS = {"send": "SEND", "year_group": "Year group", "role_group": "Role group"}
HSE_DOMAINS = {
    "hse.demands": "Demands", "hse.control": "Control", "hse.manager_support": "Manager support",
    "hse.peer_support": "Peer support", "hse.relationships": "Relationships", "hse.role": "Role",
    "hse.change": "Change",
}


def priorities(trust_id):
    return db.session.scalars(
        sa.select(Priority).where(Priority.trust_id == trust_id).order_by(Priority.position)
    ).all()


def surveys_of_schools(school_ids):
    """Surveys that include any of these schools, newest first."""
    return db.session.scalars(
        sa.select(Survey).join(SurveySchool).where(SurveySchool.school_id.in_(school_ids))
        .distinct().order_by(Survey.closes_on.desc(), Survey.id.desc())
    ).all()


def term_label(day):
    """'Autumn 2025' style label: surveys run once a term."""
    term = "Autumn" if day.month >= 9 else "Spring" if day.month <= 3 else "Summer"
    return f"{term} {day.year}"


# --- tables (every school of a survey plus the trust total, suppressed together) -------------

def priority_table(surveys):
    """Per survey x school (and the trust total, school_id "All") x priority, suppressed.

    The pattern is worked out over the whole trust, so the same result is hidden on every page
    whoever looks at it, and no school can be recovered as "trust minus the other schools".
    """
    parts = [_priority_table(survey) for survey in surveys]
    parts = [part for part in parts if not part.empty]
    if not parts:
        return pd.DataFrame(columns=["survey_id", "school_id", "priority", "n", "percent_positive",
                                     "ci_low", "ci_high", "suppressed"])
    return pd.concat(parts, ignore_index=True)


def _priority_table(survey):
    return _cached("priority_table", survey, _compute_priority_table, survey)


def _cached(name, survey, compute, *args):
    """A result cached per app while the survey's answers and the threshold stay the same.

    Every page works the whole survey out (the suppression pattern depends on all schools), and
    one page asks for several surveys, so without this a head's page repeats the same sums.
    Callers must not change what they get back.
    """
    answers = queries.answer_total(survey.id)  # from the counts: cheap at any size
    key = (name, survey.id, _threshold(survey), *[getattr(a, "id", a) for a in args[1:]], answers)
    cache = current_app.extensions.setdefault("sv_results_cache", {})
    if key not in cache:
        if len(cache) >= CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = compute(*args)
    return cache[key]


def _compute_priority_table(survey):
    counts = queries.answer_counts([survey.id])
    if counts.empty:
        return pd.DataFrame()
    questions = queries.questions_frame(survey.instrument)
    respondents = queries.priority_respondents([survey.id])
    schools = _priority_rows(counts, questions, respondents, ["survey_id", "school_id"])
    trust = _priority_rows(counts, questions, respondents, ["survey_id"])
    trust["school_id"] = TRUST
    table = pd.concat([schools.astype({"school_id": object}), trust], ignore_index=True)
    return suppress_complementary(
        table, dims=["school_id"], within=["survey_id", "priority"], n_col="n",
        min_group_size=_threshold(survey),
    )


def _priority_rows(counts, questions, respondents, by):
    """priority_indicators with respondents summed to ``by`` and zero where nobody gave a view."""
    respondents = respondents.groupby(by + ["priority"], dropna=False)["respondents"].sum()
    scored = counts.merge(questions[["question_key", "priority"]], on="question_key")
    keys = scored.loc[scored["priority"].notna(), by + ["priority"]].drop_duplicates()
    respondents = keys.merge(respondents.reset_index(), on=by + ["priority"], how="left")
    respondents["respondents"] = respondents["respondents"].fillna(0).astype("int64")
    return priority_indicators(counts, questions, respondents, by=by)


def question_table(survey):
    """Per school (and the trust total) x question of one survey, suppressed together."""
    return _cached("question_table", survey, _compute_question_table, survey)


def _compute_question_table(survey):
    counts = queries.answer_counts([survey.id])
    questions = queries.questions_frame(survey.instrument)
    if counts.empty:
        return pd.DataFrame(columns=["survey_id", "school_id", "question_key", "n",
                                     "percent_positive", "ci_low", "ci_high", "suppressed"])
    counts = counts[counts["question_key"].isin(questions["question_key"])]
    # The trust total as extra count rows, so every school and the trust take one pass.
    counts = add_totals(counts, ["school_id"], margins_name=TRUST)
    table = question_indicators(counts, questions, by=["survey_id", "school_id"])
    return suppress_complementary(
        table, dims=["school_id"], within=["survey_id", "question_key"], n_col="n",
        min_group_size=_threshold(survey),
    )


# --- the headteacher's dashboard ----------------------------------------------------------

def school_dashboard(survey, school):
    """Everything the head's page shows for one survey at one school, suppressed."""
    table = priority_table([survey])
    mine = table[table["school_id"] == school.id]
    results = {row["priority"]: _clean(row) for row in mine.to_dict("records")}
    marks = benchmarks.benchmark(table, by=("survey_id", "priority"))
    for row in marks[marks["school_id"] == school.id].to_dict("records"):
        if row["priority"] in results:
            results[row["priority"]]["benchmark"] = _clean(row)
    for row in school_trend(survey, school):
        if row["priority"] in results:
            results[row["priority"]]["trend"] = row
    return {
        "results": results,
        "rate": response_rate(survey, school),
        "questions": school_questions(survey, school),
        "gaps": school_gaps(survey, school),
        "threshold": _threshold(survey),
    }


def response_rate(survey, school):
    """(responses, eligible, percent or None) for one school in one survey."""
    totals = queries.response_totals([survey.id], [school.id])
    responses = int(totals["responses"].sum()) if not totals.empty else 0
    eligible = school.eligible(survey.instrument.audience)
    percent = round(100 * responses / eligible) if eligible else None
    return responses, eligible, percent


def earlier_surveys(survey, school, today=None):
    """Surveys of the same instrument (any version) at this school up to this one, oldest first."""
    query = (
        sa.select(Survey).join(SurveySchool).join(Instrument, Instrument.id == Survey.instrument_id)
        .where(SurveySchool.school_id == school.id, Instrument.key == survey.instrument.key,
               Survey.opens_on <= survey.opens_on)
        .order_by(Survey.opens_on, Survey.id)
    )
    return db.session.scalars(query).all()


def school_trend(survey, school):
    """Per priority: this survey's result against the previous shown one.

    "up" or "down" only where the two 95% intervals do not overlap, else "no clear change".
    """
    surveys = earlier_surveys(survey, school)
    series = trend_series(surveys, school.id)
    if series.empty:
        return []
    compared = trends.trend(series, by=("priority",), date_col="date")
    latest = compared[compared["survey_id"] == survey.id]
    rows = []
    for row in latest.to_dict("records"):
        previous = row["compared_with"]
        rows.append({
            "priority": row["priority"], "direction": row["direction"],
            "change": None if _missing(row["change"]) else row["change"],
            "compared_with": None if _missing(previous) else term_label(previous),
        })
    return rows


def trend_series(surveys, school_id):
    """Priority results of one school (or TRUST) over surveys: for trends and trend charts."""
    table = priority_table(surveys)
    rows = table[table["school_id"] == school_id].copy()
    dates = {survey.id: survey.opens_on for survey in surveys}
    rows["date"] = rows["survey_id"].map(dates)
    rows["label"] = rows["date"].map(term_label)
    return rows.sort_values(["priority", "date"]).reset_index(drop=True)


def school_questions(survey, school):
    """Per question: % positive with interval and n, and the answer mix for the Likert chart."""
    table = question_table(survey)
    mine = {row["question_key"]: _clean(row)
            for row in table[table["school_id"] == school.id].to_dict("records")}
    counts = queries.answer_counts([survey.id], [school.id])
    rows = []
    for question in survey.instrument.questions:
        if question.key not in mine or question.context or question.type == "text":
            continue
        row = mine[question.key]
        row.update(key=question.key, text=question.text, type=question.type, mix=None)
        if question.type == "agree5" and not row["suppressed"]:
            answered = counts[(counts["question_key"] == question.key) & (counts["value"] > 0)]
            total = answered["n"].sum()
            by_code = answered.set_index("value")["n"]
            row["mix"] = [100 * by_code.get(code, 0) / total for code in range(1, 6)] \
                if total else None
        rows.append(row)
    return rows


def likert_frame(questions):
    """The agree5 questions as plot_likert wants them: percentages per answer, suppressed flag."""
    rows = [q for q in questions if q["type"] == "agree5"]
    frame = pd.DataFrame(
        [q["mix"] if q["mix"] else [math.nan] * 5 for q in rows],
        index=[_short(q["text"]) for q in rows], columns=AGREE5_LABELS,
    )
    frame["suppressed"] = [bool(q["suppressed"]) or not q["mix"] for q in rows]
    return frame


def school_gaps(survey, school):
    """Per context (SEND, year group, role group) x group x priority: group against the rest.

    Subgroups are suppressed beside their school total (and the total keeps the trust-wide
    pattern), then each shown group is compared with everyone else at the school.
    """
    return _cached("school_gaps", survey, _compute_school_gaps, survey, school)


def _compute_school_gaps(survey, school):
    questions = survey.instrument.questions
    context_questions = [q for q in questions if q.context in GAP_CONTEXTS]
    if not context_questions:
        return []
    question_frame = queries.questions_frame(survey.instrument)
    table = priority_table([survey])
    totals = table[table["school_id"] == school.id]
    if totals.empty:
        return []
    threshold = _threshold(survey)
    counts = queries.answer_counts([survey.id], [school.id])
    respondents = queries.priority_respondents([survey.id], [school.id])
    total_rows = _priority_rows(counts, question_frame, respondents, ["survey_id", "school_id"])
    total_rows = total_rows.merge(totals[["priority", "suppressed"]], on="priority")
    total_rows["context"] = TRUST
    results = []
    for question in context_questions:
        sub_counts = queries.context_answer_counts([survey.id], question.key, [school.id])
        sub_respondents = queries.context_priority_respondents([survey.id], question.key,
                                                               [school.id])
        # Codes as numbers everywhere (a column of only "not answered" comes back as None).
        sub_counts["context"] = sub_counts["context"].astype("float64")
        sub_respondents["context"] = sub_respondents["context"].astype("float64")
        subgroups = _priority_rows(sub_counts, question_frame, sub_respondents,
                                   ["survey_id", "school_id", "context"])
        subgroups["suppressed"] = False
        subgroups["context"] = subgroups["context"].astype(object)
        both = pd.concat([subgroups, total_rows[subgroups.columns]], ignore_index=True)
        both = suppress_complementary(both, dims=["context"],
                                      within=["survey_id", "school_id", "priority"],
                                      n_col="n", min_group_size=threshold)
        labels = _context_labels(question)
        for code, label in labels.items():
            gap = benchmarks.gaps(both, "context", code, by=("survey_id", "school_id", "priority"),
                                  min_group_size=threshold, n_col="answers",
                                  positive_col="positive")
            people = _people(both, code)
            for row in gap.to_dict("records"):
                row = _clean(row)
                if not row["suppressed"]:
                    # Percentages pool answers; n says how many people, as everywhere else.
                    row["group_n"], row["versus_n"] = people[row["priority"]]
                results.append({**row, "context": GAP_CONTEXTS[question.context], "label": label})
    return results


def _people(table, code):
    """{priority: (people in the group, people in the rest)} from shown respondent counts."""
    result = {}
    for priority, rows in table.groupby("priority"):
        total = rows.loc[rows["context"].isin([TRUST]), "n"]
        group = rows.loc[rows["context"].isin([code]), "n"]
        if len(total) and len(group) and pd.notna(total.iloc[0]) and pd.notna(group.iloc[0]):
            result[priority] = (int(group.iloc[0]), int(total.iloc[0]) - int(group.iloc[0]))
        else:
            result[priority] = (None, None)
    return result


def _context_labels(question):
    if question.type == "yes_no":
        return {1: "Yes"}  # "SEND: yes" against everyone else
    return {code: label for code, label in question.choices()}


# --- the trust (CIO) dashboard ------------------------------------------------------------

def trust_dashboard(survey, schools):
    """Schools x priorities for one survey, the trust total and benchmarks; suppressed."""
    table = priority_table([survey])
    results = {school.id: {} for school in schools}
    trust_row = {}
    for row in table.to_dict("records"):
        if row["school_id"] == TRUST:
            trust_row[row["priority"]] = _clean(row)
        elif row["school_id"] in results:
            results[row["school_id"]][row["priority"]] = _clean(row)
    return {"results": results, "trust": trust_row, "threshold": _threshold(survey)}


def heatmap_frames(results, schools, priority_list):
    """(percent matrix, suppressed matrix) of schools x priorities for plot_heatmap."""
    index = [school.name for school in schools]
    columns = [priority.name for priority in priority_list]
    values = pd.DataFrame(math.nan, index=index, columns=columns)
    hidden = pd.DataFrame(True, index=index, columns=columns)
    for school in schools:
        for priority in priority_list:
            row = results.get(school.id, {}).get(priority.key)
            if row and not row["suppressed"]:
                values.loc[school.name, priority.name] = row["percent_positive"]
                hidden.loc[school.name, priority.name] = False
    return values, hidden


# --- the wellbeing committee -------------------------------------------------------------

def instrument_keys(school_ids):
    """Instrument keys with surveys at these schools, e.g. ["parent", "staff"]."""
    return db.session.scalars(
        sa.select(Instrument.key).join(Survey, Survey.instrument_id == Instrument.id)
        .join(SurveySchool).where(SurveySchool.school_id.in_(school_ids))
        .distinct().order_by(Instrument.key)
    ).all()


def surveys_of_instrument(key, school_ids, today):
    return db.session.scalars(
        sa.select(Survey).join(SurveySchool).join(Instrument, Instrument.id == Survey.instrument_id)
        .where(Instrument.key == key, SurveySchool.school_id.in_(school_ids),
               Survey.opens_on <= today)
        .distinct().order_by(Survey.opens_on, Survey.id)
    ).all()


def wellbeing_trends(surveys, school_id, priority_list):
    """{priority key: [points oldest first]} for one school or the trust (TRUST); suppressed."""
    series = trend_series(surveys, school_id)
    if series.empty:
        return {}, series
    compared = trends.trend(series, by=("priority",), date_col="date")
    result = {}
    for priority in priority_list:
        points = compared[compared["priority"] == priority.key]
        if not points.empty:
            result[priority.key] = [_clean(row) for row in points.to_dict("records")]
    return result, series


def hse_scores(surveys, school):
    """HSE Management Standards domain scores (1 worst to 5 best) per staff survey, suppressed.

    ``school`` None gives the trust as a whole.  ``n`` is the fewest answers to any item of the
    domain, so a score shows only when every item had enough staff answering.  Every school's
    scores and the trust's are suppressed together, so a withheld school cannot be worked out
    from the trust's score and the other schools'.
    """
    rows = []
    for survey in surveys:
        questions = queries.questions_frame(survey.instrument)
        if questions["scale"].notna().sum() == 0:
            continue
        counts = queries.answer_counts([survey.id])
        if counts.empty:
            continue
        table = scale_table(counts, questions, dims=["school_id"], by=["survey_id"],
                            min_group_size=_threshold(survey), margins_name=TRUST)
        scores = table[table["school_id"].isin([TRUST if school is None else school.id])]
        for row in scores.to_dict("records"):
            rows.append({**_clean(row), "domain": HSE_DOMAINS.get(row["scale"], row["scale"]),
                         "label": term_label(survey.opens_on)})
    return rows


def _threshold(survey):
    trust = db.session.scalar(
        sa.select(School).join(SurveySchool).where(SurveySchool.survey_id == survey.id).limit(1)
    ).trust
    return trust.threshold(survey.instrument.audience)


def _short(text, limit=48):
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT \
        or (not isinstance(value, (str, list, dict)) and pd.isna(value))


def _clean(row):
    """NaN/NA become None so templates can test for a missing number."""
    return {key: (None if not isinstance(value, (list, dict)) and _missing(value) else value)
            for key, value in row.items()}


# --- charts (PNG bytes; built from the same suppressed rows as the pages) ----------------

def likert_png(questions):
    frame = likert_frame(questions)
    figure = charts.new_figure(width=8, height=max(2.5, 0.45 * len(frame) + 1.4))
    if frame.empty:
        figure.text(0.5, 0.5, "No agreement questions", ha="center")
    else:
        charts.plot_likert(frame, figure.add_subplot())
    return charts.figure_to_png(figure)


def trend_png(trend_rows, priority_list):
    """One small panel per priority, % positive over surveys with the 95% interval band."""
    shown = [p for p in priority_list if p.key in trend_rows]
    columns = 2 if len(shown) > 1 else 1
    rows = max(1, math.ceil(len(shown) / columns))
    figure = charts.new_figure(width=8, height=2.6 * rows)
    for position, priority in enumerate(shown, start=1):
        ax = figure.add_subplot(rows, columns, position)
        frame = trend_frame(trend_rows[priority.key])
        frame["label"] = frame["label"].str.replace(" ", "\n")  # "Autumn\n2025" fits a panel
        charts.plot_trend(frame, ax, label_col="label")
        ax.set_title(priority.name, fontsize=10)
    if not shown:
        figure.text(0.5, 0.5, "No results yet", ha="center")
    return charts.figure_to_png(figure)


def trend_frame(points):
    frame = pd.DataFrame(points)
    columns = ["percent_positive", "ci_low", "ci_high"]
    frame[columns] = frame[columns].astype("float64")
    return frame


def heatmap_png(values, hidden):
    figure = charts.new_figure(width=8, height=max(3, 0.4 * len(values) + 2))
    if values.empty:
        figure.text(0.5, 0.5, "No schools", ha="center")
    else:
        charts.plot_heatmap(values, figure.add_subplot(), hidden)
    return charts.figure_to_png(figure)
