"""Exports for analysts: indicators and anonymised responses as CSV or XLSX, safe to open in Excel.

Every table passes through app.analysis.suppression before it is written, and every text cell
is neutralised so a spreadsheet never runs it as a formula.
"""

import csv
import io
import math
import secrets

import pandas as pd
import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from app.analysis.indicators import question_indicators
from app.analysis.suppression import add_totals, suppress_complementary
from app.comments import screen
from app.comments.services import names_for
from app.extensions import db
from app.models import Answer, CommentFlag, Question, Response, School, Survey, SurveySchool
from app.models.instruments import DONT_KNOW
from app.reports import queries

# Leading characters a spreadsheet may treat as the start of a formula (and their full-width forms).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
ALL_SCHOOLS = "All"
WITHHELD = "[withheld: safeguarding]"


def neutralise(value):
    """A value safe in a spreadsheet: text that could start a formula gets a leading apostrophe."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()  # numpy scalar -> Python number
    return value


def write_csv(frame):
    """UTF-8 CSV (with a byte-order mark so Excel reads accents), every field quoted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([neutralise(str(column)) for column in frame.columns])
    for row in frame.itertuples(index=False):
        writer.writerow(["" if (v := neutralise(value)) is None else v for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(sheets):
    """An XLSX workbook of {sheet name: DataFrame}; text is always stored as text, never a formula."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, frame in sheets.items():
        sheet = workbook.create_sheet(title=name[:31])
        sheet.append([_cell(sheet, str(column), font=bold) for column in frame.columns])
        for row in frame.itertuples(index=False):
            sheet.append([_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(sheet, value, font=None):
    cell = WriteOnlyCell(sheet, value=neutralise(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


# Indicators ---------------------------------------------------------------------------------

INDICATOR_COLUMNS = ["survey", "school", "urn", "question_key", "question", "priority", "n",
                     "percent_positive", "ci_low", "ci_high", "mean", "dont_know", "suppressed"]


def indicator_table(survey, schools):
    """Per question, each of ``schools`` and the trust total, with complementary suppression.

    Suppression is worked out over every school in the survey (so the trust total minus the
    schools shown cannot reveal a hidden one), then narrowed to ``schools``.
    """
    all_ids = [link.school_id for link in survey.schools]
    counts = queries.answer_counts([survey.id], all_ids)
    if counts.empty:
        return pd.DataFrame(columns=INDICATOR_COLUMNS)
    counts = add_totals(counts, ["school_id"], sum_cols=["n"], margins_name=ALL_SCHOOLS)
    questions = queries.questions_frame(survey.instrument)
    table = question_indicators(counts, questions, by=("survey_id", "school_id"))
    threshold = schools[0].trust.threshold(survey.instrument.audience)
    table = suppress_complementary(table, dims=["school_id"], within=["survey_id", "question_key"],
                                   min_group_size=threshold, margins_name=ALL_SCHOOLS)
    wanted = {school.id for school in schools} | {ALL_SCHOOLS}
    table = table[table["school_id"].isin(wanted)].copy()
    by_id = {school.id: school for school in db.session.scalars(
        sa.select(School).where(School.id.in_(all_ids)))}
    text = dict(zip(questions["question_key"], questions["text"]))
    priority = dict(zip(questions["question_key"], questions["priority"]))
    table["survey"] = survey.title
    table["school"] = [by_id[s].name if s in by_id else "All schools in the trust"
                       for s in table["school_id"]]
    table["urn"] = [by_id[s].urn if s in by_id else "" for s in table["school_id"]]
    table["question"] = table["question_key"].map(text)
    table["priority"] = table["question_key"].map(priority)
    for column in ("percent_positive", "ci_low", "ci_high", "mean"):
        table[column] = table[column].astype("float64").round(1)
    order = {key: position for position, key in enumerate(questions["question_key"])}
    table["_is_total"] = table["school_id"] == ALL_SCHOOLS
    table["_question_order"] = table["question_key"].map(order)
    table = table.sort_values(["_is_total", "school", "_question_order"], kind="stable")
    return table[INDICATOR_COLUMNS].reset_index(drop=True)


# Responses ----------------------------------------------------------------------------------

def codebook(instrument):
    """One row per question: key, wording, type, priority and what each code means."""
    rows = []
    for question in instrument.questions:
        codes = "; ".join(f"{code} = {label}" for code, label in question.choices())
        rows.append({
            "column": question.key, "question": question.text, "type": question.type,
            "priority": question.priority_key or "", "codes": codes,
            "positive_codes": ", ".join(str(c) for c in question.positive_codes()),
            "notes": _codebook_note(question),
        })
    rows.append({"column": "school", "question": "School", "type": "text", "priority": "",
                 "codes": "", "positive_codes": "",
                 "notes": "Schools with fewer responses than the threshold are left out."})
    rows.append({"column": "response", "question": "Response number in this file", "type": "text",
                 "priority": "", "codes": "", "positive_codes": "",
                 "notes": "Numbered for this file only; not the stored id."})
    return pd.DataFrame(rows, columns=["column", "question", "type", "priority", "codes",
                                       "positive_codes", "notes"])


def _codebook_note(question):
    if question.type == "text":
        return "Free text is not exported: it may identify people."
    notes = []
    if question.dont_know:
        notes.append(f"{DONT_KNOW} = Don't know")
    if question.type == "multiple":
        notes.append("Several codes separated by ';'")
    if question.context:
        notes.append("Values held by fewer people than the threshold at a school are left blank")
    if question.reverse:
        notes.append("Reverse scored")
    return ". ".join(notes)


def response_table(survey, schools):
    """Anonymised answers, one row per response, with small schools and small subgroups removed.

    No free text, no dates, no stored ids. A school with fewer responses than the audience's
    threshold is left out, and a context answer (year group, SEND) given by fewer than the
    threshold at a school is blanked, so no row can be picked out by its subgroup.
    """
    threshold = schools[0].trust.threshold(survey.instrument.audience)
    questions = [q for q in survey.instrument.questions if q.type != "text"]
    keys = [q.key for q in questions]
    names = {school.id: school.name for school in schools}
    rows = db.session.execute(
        sa.select(Answer.response_id, Answer.school_id, Answer.question_key, Answer.value)
        .join(Response, Response.id == Answer.response_id)
        .where(Answer.survey_id == survey.id, Answer.school_id.in_(list(names)),
               Answer.value.is_not(None), Response.status == "complete")
        .order_by(Answer.response_id)
    ).all()
    columns = ["response", "school"] + keys
    if not rows:
        return pd.DataFrame(columns=columns)
    long = pd.DataFrame(rows, columns=["response_id", "school_id", "question_key", "value"])
    wide = (long.groupby(["response_id", "school_id", "question_key"])["value"]
            .agg(lambda values: ";".join(str(v) for v in sorted(values)) if len(values) > 1
                 else int(values.iloc[0]))
            .unstack("question_key").reset_index())
    sizes = wide.groupby("school_id")["response_id"].transform("size")
    wide = wide[sizes >= threshold].copy()
    for question in questions:
        if question.context and question.key in wide:
            group = wide.groupby(["school_id", question.key], dropna=True)["response_id"] \
                .transform("size")
            wide[question.key] = wide[question.key].where(group >= threshold)
    # Random order, numbered afresh: nothing links a row back to a stored response.
    wide = wide.sample(frac=1, random_state=secrets.randbits(32)).reset_index(drop=True)
    wide["response"] = [f"R{index:05d}" for index in range(1, len(wide) + 1)]
    wide["school"] = wide["school_id"].map(names)
    for key in keys:
        if key not in wide:
            wide[key] = None
    wide = wide.sort_values(["school", "response"], kind="stable")
    return wide[columns].astype(object).where(wide[columns].notna(), None).reset_index(drop=True)


# The trust's backup -------------------------------------------------------------------------

def backup_sheets(trust):
    """Every survey, school, question, response and answer of the trust, for safe keeping.

    Not suppressed (a backup must be complete) and only for trust admins; free text has
    names removed, and comments the DSL has not released are withheld.
    """
    schools = {school.id: school for school in trust.schools}
    surveys = db.session.scalars(
        sa.select(Survey).join(SurveySchool).where(SurveySchool.school_id.in_(list(schools)))
        .distinct().order_by(Survey.opens_on, Survey.id)).all()
    survey_ids = [survey.id for survey in surveys]
    school_rows = pd.DataFrame([{
        "school_id": s.id, "urn": s.urn, "name": s.name, "hub": s.hub.name if s.hub else "",
        "staff": s.staff_count, "families": s.families_count, "roll": s.roll,
    } for s in schools.values()])
    survey_rows = pd.DataFrame([{
        "survey_id": s.id, "title": s.title, "instrument": s.instrument.key,
        "instrument_version": s.instrument.version, "audience": s.instrument.audience,
        "opens_on": s.opens_on.isoformat(), "closes_on": s.closes_on.isoformat(),
    } for s in surveys], columns=["survey_id", "title", "instrument", "instrument_version",
                                  "audience", "opens_on", "closes_on"])
    instrument_ids = {s.instrument_id for s in surveys}
    question_rows = pd.DataFrame([{
        "instrument": q.instrument.key, "instrument_version": q.instrument.version, "key": q.key,
        "text": q.text, "type": q.type, "priority": q.priority_key,
    } for q in db.session.scalars(sa.select(Question).where(
        Question.instrument_id.in_(instrument_ids)).order_by(Question.instrument_id, Question.position))],
        columns=["instrument", "instrument_version", "key", "text", "type", "priority"])
    responses = pd.DataFrame(db.session.execute(
        sa.select(Response.id, Response.survey_id, Response.school_id, Response.submitted_on,
                  Response.status)
        .where(Response.survey_id.in_(survey_ids), Response.school_id.in_(list(schools)))
        .order_by(Response.survey_id, Response.school_id, Response.id)).all(),
        columns=["response_id", "survey_id", "school_id", "submitted_on", "status"])
    responses["submitted_on"] = responses["submitted_on"].map(
        lambda day: day.isoformat() if day else None)
    withheld = sa.select(CommentFlag.answer_id).where(
        sa.or_(CommentFlag.status != "handled", CommentFlag.release.is_(False)))
    answers = pd.DataFrame(db.session.execute(
        sa.select(Answer.response_id, Answer.school_id, Answer.question_key, Answer.value,
                  Answer.text, Answer.id.in_(withheld))
        .where(Answer.survey_id.in_(survey_ids), Answer.school_id.in_(list(schools)))
        .order_by(Answer.response_id, Answer.question_key, Answer.value)).all(),
        columns=["response_id", "school_id", "question_key", "value", "text", "withheld"])
    names = {school_id: names_for(school) for school_id, school in schools.items()}
    answers["text"] = [
        None if not isinstance(text, str) else WITHHELD if hidden else screen.redact_names(text, names[school_id])
        for text, hidden, school_id in zip(answers["text"], answers["withheld"], answers["school_id"])
    ]
    answers = answers.drop(columns="withheld")
    return {"Schools": school_rows, "Surveys": survey_rows, "Questions": question_rows,
            "Responses": responses, "Answers": answers}
