"""Instruments in and out: JSON, and XLSForm-style spreadsheets as KoboToolbox and ODK use them.

Both formats carry every field of an instrument and its questions. Reading a file finds every
problem in it (with the sheet and row, or the JSON path) before anything is stored, and checks
each question with the same rules as the authoring pages (authoring.clean_question).
"""

import io
import json
import re
import warnings
import zipfile
from dataclasses import dataclass

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from app.extensions import db
from app.models import AUDIENCES, QUESTION_TYPES, Instrument, Question
from app.models.audit import record
from app.models.instruments import AGREE5_LABELS, FACES3_LABELS
from app.services import ServiceError, commit
from app.surveys import authoring
from app.surveys.authoring import LANGUAGES, MAX_LONG_TEXT, MAX_TEXT, Problem

FORMAT = "stakeholder-voice-instrument"
FORMAT_VERSION = 1
MAX_FILE = 1024 * 1024
# A spreadsheet is a zip: refuse one that would unpack to far more than a questionnaire needs.
MAX_UNPACKED = 20 * MAX_FILE
MAX_QUESTIONS = 300
MAX_ROWS = 5000
MAX_PROBLEMS = 200
JSON_TYPE = "application/json"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ON_CLASH = ("version", "replace")

# What a file holds: the instrument's own fields, then each question's (every stored column but
# the row ids and the lifecycle ones a new draft sets itself: version, status, published_at).
INSTRUMENT_FIELDS = ("key", "name", *authoring.INSTRUMENT_COPY_FIELDS)
QUESTION_FIELDS = tuple(field for field in authoring.QUESTION_COPY_FIELDS if field != "position")
FLAGS = ("required", "dont_know", "reverse")
LISTS = ("options", "labels")
CODES = ("positive",)

# XLSForm: our question types as select lists; the list name says which of ours it is.
FIXED_LISTS = {"agree5": "agree5", "faces3": "faces3", "yes_no": "yes_no", "scale010": "scale010"}
FIXED_CHOICES = {
    "agree5": [(code, AGREE5_LABELS[code - 1]) for code in (5, 4, 3, 2, 1)],
    "faces3": [(code, FACES3_LABELS[code - 1]) for code in (3, 2, 1)],
    "yes_no": [(1, "Yes"), (0, "No")],
    "scale010": [(code, str(code)) for code in range(11)],
}
# Survey sheet columns: XLSForm's own, then ours (named as the JSON fields are).
SURVEY_COLUMNS = {
    "type": "type", "name": "key", "label": "text", "hint": "hint", "required": "required",
    "relevant": "condition", "section": "section", "priority": "priority_key", "reverse": "reverse",
    "dont_know": "dont_know", "positive": "positive", "read_aloud": "read_aloud", "context": "context",
    "scale": "scale", "previous_text": "previous_text",
}
SETTINGS_COLUMNS = {
    "form_id": "key", "form_title": "name", "audience": "audience", "description": "description",
    "attribution": "attribution", "change_note": "change_note",
}
# Settings that describe a file but are not imported: a new draft gets its own version and status.
SETTINGS_IGNORED = {"version", "status", "default_language", "style", "format"}
# Rows ODK adds to record the device, not to ask anything.
METADATA_TYPES = {"start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber",
                  "username", "email", "audit"}
LANGUAGE_NAMES = {code: re.search(r"\((.*)\)", name).group(1) for code, name in LANGUAGES.items()}
LABEL_COLUMN = re.compile(r"^label::\s*(?:(?P<name>.*?)\s*\((?P<code>[^()]+)\)|(?P<bare>[\w-]+))\s*$", re.I)
SELECT_TYPE = re.compile(r"^select[_ ](one|multiple)\s+(\S+)$")
CONDITION_PART = re.compile(
    r"^\s*(?:selected\(\s*\$\{(?P<q1>[^}]*)\}\s*,\s*'(?P<v1>[^']*)'\s*\)"
    r"|\$\{(?P<q2>[^}]*)\}\s*=\s*(?:'(?P<v2>[^']*)'|(?P<v3>-?\d+)))\s*$"
)
TRUE_WORDS = {"yes", "true", "true()", "1", "y"}
FALSE_WORDS = {"", "no", "false", "false()", "0", "n"}


class ImportProblems(ServiceError):
    """A file that cannot be imported, with every problem found in it."""

    def __init__(self, problems):
        super().__init__(f"The file has {len(problems)} problem{'s' if len(problems) != 1 else ''}.")
        self.problems = problems


@dataclass(frozen=True)
class FileProblem:
    where: str
    message: str

    def __str__(self):
        return f"{self.where}: {self.message}" if self.where else self.message


# Writing --------------------------------------------------------------------------------------

def instrument_to_dict(instrument):
    """Everything about an instrument, as plain JSON-ready data."""
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "version": instrument.version, "status": instrument.status,
        **{field: getattr(instrument, field) for field in INSTRUMENT_FIELDS},
        "questions": [
            {field: getattr(question, field) for field in QUESTION_FIELDS}
            for question in instrument.questions
        ],
    }


def to_json(instrument):
    return json.dumps(instrument_to_dict(instrument), ensure_ascii=False, indent=2).encode("utf-8")


def _list_name(question, named):
    """The choices list a question's answers come from; lists with the same wording are shared."""
    if question.type in ("single", "multiple"):
        return f"options_{question.key}"
    if question.type in ("agree5", "faces3") and question.labels:
        labels = tuple(question.labels)
        return named.setdefault((question.type, labels), f"{question.type}_{question.key}")
    return FIXED_LISTS[question.type]


def _choices_of(question):
    if question.type == "agree5":
        return [(code, label) for code, label in question.choices() if code > 0]
    return question.choices()


def to_xlsform(instrument):
    """An XLSForm workbook: sheets survey, choices and settings, with our columns beside ODK's."""
    languages = list(LANGUAGES)
    survey_header = ["type", "name", "label", *(f"label::{LANGUAGE_NAMES[code]} ({code})" for code in languages),
                     "hint", "required", "relevant", "section", "priority", "reverse", "dont_know",
                     "positive", "read_aloud", "context", "scale", "previous_text"]
    survey, choices, named, written = [survey_header], [["list_name", "name", "label"]], {}, set()
    for question in instrument.questions:
        kind = "text"
        if question.type != "text":
            list_name = _list_name(question, named)
            kind = f"select_{'multiple' if question.type == 'multiple' else 'one'} {list_name}"
            if list_name not in written:
                written.add(list_name)
                choices += [[list_name, str(code), label] for code, label in _choices_of(question)]
        translations = question.translations or {}
        survey.append([
            kind, question.key, question.text, *(translations.get(code) for code in languages),
            question.hint, _yes(question.required), _relevant(question.condition), question.section,
            question.priority_key, _yes(question.reverse), _yes(question.dont_know),
            ", ".join(map(str, question.positive)) if question.positive is not None else None,
            question.read_aloud, question.context, question.scale, question.previous_text,
        ])
    settings = [
        ["form_title", "form_id", "version", "default_language", "audience", "description",
         "attribution", "change_note", "status"],
        [instrument.name, instrument.key, instrument.version, "English (en)", instrument.audience,
         instrument.description, instrument.attribution, instrument.change_note, instrument.status],
    ]
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in (("survey", survey), ("choices", choices), ("settings", settings)):
        _write_sheet(workbook.create_sheet(title), rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_sheet(sheet, rows):
    bold = Font(bold=True)
    for row in rows:
        sheet.append([None if value in (None, "") else value for value in row])
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str):
                # Stored as text, so a spreadsheet never runs "=..." as a formula; characters a
                # spreadsheet cannot hold (never accepted by authoring) are replaced, not a crash.
                cell.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", cell.value)
                cell.data_type = "s"
    for cell in sheet[1]:
        cell.font = bold
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        width = max(len(str(cell.value or "")) for cell in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width, 8) + 2, 60)


def _yes(flag):
    return "yes" if flag else None


def _relevant(condition):
    if not condition:
        return None
    return " or ".join(f"selected(${{{condition['question']}}}, '{value}')" for value in condition["values"])


def export_instrument(user, instrument, file_format):
    """(file name, media type, bytes) of an instrument as JSON or XLSForm; the export is audited."""
    if file_format == "json":
        data, media_type, extension = to_json(instrument), JSON_TYPE, "json"
    else:
        data, media_type, extension = to_xlsform(instrument), XLSX_TYPE, "xlsx"
    record("export_instrument", user=user, instrument_id=instrument.id, instrument_key=instrument.key,
           version=instrument.version, file_format=file_format)
    commit()
    return f"{instrument.key}-v{instrument.version}.{extension}", media_type, data


# Reading: each format becomes one plain draft, then one set of checks ------------------------

@dataclass
class Draft:
    """An instrument as read from a file, with where each part came from."""
    fields: dict
    questions: list  # [(where, {field: value}, locate)]
    locate_field: object  # field name -> where, for instrument-level fields
    problems: list


def read_instrument(data, key=None):
    """A transient, fully checked draft Instrument from a file's bytes; ImportProblems otherwise."""
    if not data:
        raise ImportProblems([FileProblem("", "The file is empty.")])
    if len(data) > MAX_FILE:
        raise ImportProblems([FileProblem("", f"The file is {len(data) / 1024:,.0f} KB: instrument files "
                                               f"must be {MAX_FILE // 1024:,} KB (1 MB) or smaller.")])
    if data[:4] == b"PK\x03\x04":
        draft = _read_xlsform(data)
    elif data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        draft = _read_json(data)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportProblems([FileProblem("", "This is an old Excel file (.xls): save it as an Excel "
                                               "workbook (.xlsx) and upload that.")])
    else:
        raise ImportProblems([FileProblem("", "This is neither an instrument in JSON nor an XLSForm "
                                               "spreadsheet (.xlsx).")])
    if draft.problems and draft.fields is None:
        raise ImportProblems(draft.problems[:MAX_PROBLEMS])
    if key:
        draft.fields["key"] = key
    instrument = _check(draft)
    if draft.problems:
        raise ImportProblems(sorted(draft.problems, key=_order)[:MAX_PROBLEMS])
    return instrument


def _check(draft):
    """Check a draft with authoring's rules; return a transient Instrument (never added to the session)."""
    fields, problems = draft.fields, draft.problems

    def refused(locate, error):
        for problem in error.problems:
            problems.append(FileProblem(locate(problem.field), _explain(problem)))

    try:
        authoring._key_format(fields.get("key"), "Give the instrument a key")
    except Problem as error:
        refused(draft.locate_field, error)
    try:
        authoring._check_details(fields.get("name"), fields.get("audience"),
                                 fields.get("description"), fields.get("attribution"))
    except Problem as error:
        refused(draft.locate_field, error)
    for field in ("change_note",):
        try:
            authoring._optional_text(fields.get(field), field, MAX_LONG_TEXT)
        except Problem as error:
            refused(draft.locate_field, error)
    instrument = Instrument(
        key=fields.get("key"), version=1, status="draft", name=(fields.get("name") or "").strip(),
        audience=fields.get("audience"),
        **{field: authoring._blank_to_none(fields.get(field)) if isinstance(fields.get(field), str) else None
           for field in authoring.INSTRUMENT_COPY_FIELDS if field != "audience"},
    )
    if not draft.questions and not problems:
        problems.append(FileProblem("", "The file has no questions."))
    if len(draft.questions) > MAX_QUESTIONS:
        problems.append(FileProblem("", f"The file has {len(draft.questions)} questions: an instrument may have "
                                        f"{MAX_QUESTIONS} at most."))
        return instrument
    broken = set()
    for position, (where, data, locate) in enumerate(draft.questions, start=1):
        question = Question(position=position)
        try:
            clean = authoring.clean_question(instrument, data, question)
            clean["previous_text"] = authoring._optional_text(data.get("previous_text"), "previous_text", MAX_TEXT)
        except Problem as error:
            if instrument.question(data.get("key")) is None:
                broken.add(data.get("key"))
            target = (data.get("condition") or {}).get("question") if isinstance(data.get("condition"), dict) else None
            # A condition on a question that has problems of its own cannot be checked yet: say so once.
            # The reader has already said what is wrong with some fields.
            reported = data.get("reported", set())
            error.problems = [p for p in error.problems if p.field not in reported and not (
                target in broken and p.field in ("condition_question", "condition_values"))]
            refused(locate, error)
            continue
        for name, value in clean.items():
            setattr(question, name, value)
        instrument.questions.append(question)
    return instrument


def _order(problem):
    """Problems in the order of the file: the whole file, then settings, survey and choices by row."""
    number = re.search(r"row (\d+)|\[(\d+)\]", problem.where)
    sheet = next((index for index, name in enumerate(("settings", "survey", "choices"))
                  if f"‘{name}’" in problem.where), -1)
    return (sheet, int(number.group(1) or number.group(2)) if number else -1)


def _explain(problem):
    message = str(problem)
    if problem.field == "audience":
        message += f" (one of {', '.join(AUDIENCES)})"
    elif problem.field == "type":
        message += f" (one of {', '.join(QUESTION_TYPES)})"
    return message if message.endswith(".") else message + "."


# JSON -----------------------------------------------------------------------------------------

def _unreadable(message, where=""):
    """A file that cannot be read far enough to check anything else."""
    return Draft(None, [], None, [FileProblem(where, message)])


def _read_json(data):
    problems = []
    try:
        payload = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return _unreadable("The file is not UTF-8 text, so it cannot be JSON.")
    except json.JSONDecodeError as error:
        return _unreadable(f"This is not valid JSON ({error.msg}).", f"line {error.lineno}, column {error.colno}")
    except (ValueError, RecursionError):
        return _unreadable("This JSON is nested too deeply or holds numbers too large to read.")
    if not isinstance(payload, dict):
        return _unreadable("The file must hold one JSON object, {…}, describing an instrument.", "$")
    if "sections" in payload and "questions" not in payload:
        payload = _flatten_sections(payload, problems)
    known = {"format", "format_version", "version", "status", "questions", *INSTRUMENT_FIELDS}
    for name in payload:
        if name not in known:
            problems.append(FileProblem(f"$.{_path_name(name)}", "This is not a field of an instrument."))
    if "format" in payload and payload["format"] != FORMAT:
        problems.append(FileProblem(
            "$.format", f"This file is not a Stakeholder Voice instrument (expected ‘{FORMAT}’)."))
    fields = {}
    for name in INSTRUMENT_FIELDS:
        value = payload.get(name)
        if value is not None and not isinstance(value, str):
            problems.append(FileProblem(f"$.{name}", "This must be text."))
            value = None
        fields[name] = value
    raw = payload.get("questions")
    questions = []
    if not isinstance(raw, list):
        problems.append(FileProblem("$.questions", "Give the questions as a list, [ … ]."))
        raw = []
    for index, item in enumerate(raw):
        path = f"$.questions[{index}]"
        if not isinstance(item, dict):
            problems.append(FileProblem(path, "Each question must be an object, { … }."))
            continue
        questions.append((path, _json_question(item, path, problems), _json_locator(path)))
    return Draft(fields, questions, lambda field: f"$.{field}", problems)


def _flatten_sections(payload, problems):
    """The built-in instruments' format (questions inside titled sections) as a flat list."""
    flat = {name: value for name, value in payload.items() if name != "sections"}
    questions = []
    sections = payload["sections"] if isinstance(payload["sections"], list) else []
    for index, section in enumerate(sections):
        if not isinstance(section, dict) or not isinstance(section.get("questions"), list):
            problems.append(FileProblem(f"$.sections[{index}]", "Each section needs a list of questions."))
            continue
        for item in section["questions"]:
            if isinstance(item, dict):
                item = dict(item)
                item.setdefault("section", section.get("title"))
                if "priority" in item:
                    item["priority_key"] = item.pop("priority")
            questions.append(item)
    flat["questions"] = questions
    return flat


def _path_name(name):
    return name if isinstance(name, str) and re.fullmatch(r"\w+", name) else json.dumps(name, ensure_ascii=False)[:60]


def _json_locator(path):
    def locate(field):
        if field is None:
            return path
        if field.startswith("condition"):
            return f"{path}.condition"
        if field.startswith("text_"):
            return f"{path}.translations.{field[5:]}"
        return f"{path}.{field}"
    return locate


def _json_question(item, path, problems):
    """A question's fields, type-checked; values of the wrong JSON type are reported and dropped."""
    data = {}
    for name, value in item.items():
        where = f"{path}.{_path_name(name)}"
        if name not in QUESTION_FIELDS:
            problems.append(FileProblem(where, "This is not a field of a question."))
        elif value is None:
            data[name] = None
        elif name in FLAGS:
            if isinstance(value, bool):
                data[name] = value
            else:
                problems.append(FileProblem(where, "This must be true or false."))
        elif name in LISTS:
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                data[name] = value
            else:
                problems.append(FileProblem(where, "This must be a list of texts."))
        elif name in CODES:
            if _is_codes(value):
                data[name] = value
            else:
                problems.append(FileProblem(where, "This must be a list of whole-number answer codes."))
        elif name == "condition":
            if (isinstance(value, dict) and set(value) == {"question", "values"}
                    and isinstance(value["question"], str) and _is_codes(value["values"])):
                data[name] = value
            else:
                problems.append(FileProblem(where, 'Write a condition as {"question": "key", "values": [codes]}.'))
        elif name == "translations":
            if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
                data[name] = value
            else:
                problems.append(FileProblem(where, 'Write translations as {"cy": "text", …}.'))
        elif isinstance(value, str):
            data[name] = value
        else:
            problems.append(FileProblem(where, "This must be text."))
    return data


def _is_codes(value):
    return isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)


# XLSForm --------------------------------------------------------------------------------------

def _read_xlsform(data):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return _unreadable("This spreadsheet is damaged or is not an Excel workbook (.xlsx).")
    if unpacked > MAX_UNPACKED:
        return _unreadable("This spreadsheet unpacks to far more than an instrument needs; it cannot be read.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about features we do not read
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
            try:
                formulas = []
                sheets = {name.strip().lower(): _sheet_rows(book[name], formulas) for name in book.sheetnames}
            finally:
                book.close()
    except Exception:  # noqa: BLE001 - a hostile file can break the reader in many ways; none may be a 500
        return _unreadable("This spreadsheet is damaged or is not an Excel workbook (.xlsx).")
    problems = formulas
    for name in ("survey", "choices", "settings"):
        if name not in sheets:
            problems.append(FileProblem(f"Sheet ‘{name}’", "The spreadsheet has no sheet with this name."))
    if "survey" not in sheets or "settings" not in sheets:
        return Draft(None, [], None, problems)
    for name, rows in sheets.items():
        if rows is None:
            problems.append(FileProblem(f"Sheet ‘{name}’", f"This sheet has more than {MAX_ROWS:,} rows."))
    if any(rows is None for rows in sheets.values()):
        return Draft(None, [], None, problems)
    fields = _read_settings(sheets["settings"], problems)
    lists = _read_choices(sheets.get("choices") or [], problems)
    questions = _read_survey(sheets["survey"], lists, problems)
    return Draft(fields, questions, _settings_locator, problems)


def _sheet_rows(sheet, formulas):
    """[(row number, [cell values])] without empty rows; None when there are too many rows.

    Formula cells are listed in formulas: their text is not what the author meant to import.
    """
    rows = []
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        if number > MAX_ROWS + 1:
            return None
        values = [cell.value for cell in cells]
        for cell in cells:
            if cell.data_type == "f":
                formulas.append(FileProblem(f"Sheet ‘{sheet.title}’, cell {cell.coordinate}",
                                            "This cell holds a formula: type its value instead."))
        if any(value not in (None, "") for value in values):
            rows.append((number, values))
    return rows


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _header(sheet_name, rows, problems):
    """{column name: index} from the first row; duplicate names are problems."""
    if not rows:
        problems.append(FileProblem(f"Sheet ‘{sheet_name}’",
                                    "This sheet is empty: its first row names the columns."))
        return {}, []
    number, values = rows[0]
    header = {}
    for index, value in enumerate(values):
        name = _cell_text(value).strip()
        if not name:
            continue
        if name.lower() in header:
            problems.append(FileProblem(f"Sheet ‘{sheet_name}’, row {number}",
                                        f"The column ‘{name}’ appears twice."))
        header[name.lower()] = (index, name)
    return header, rows[1:]


def _value(values, header, column):
    index = header.get(column, (None,))[0]
    return _cell_text(values[index]) if index is not None and index < len(values) else ""


def _settings_locator(field):
    column = {value: key for key, value in SETTINGS_COLUMNS.items()}.get(field, field)
    return f"Sheet ‘settings’, row 2, column ‘{column}’"


def _read_settings(rows, problems):
    header, body = _header("settings", rows, problems)
    for column in ("form_id", "form_title", "audience"):
        if header and column not in header:
            problems.append(FileProblem("Sheet ‘settings’", f"There is no ‘{column}’ column."))
    for column, (_, name) in header.items():
        if column not in SETTINGS_COLUMNS and column not in SETTINGS_IGNORED:
            problems.append(FileProblem(f"Sheet ‘settings’, column ‘{name}’",
                                        "This is not a setting we read: remove it."))
    values = body[0][1] if body else []
    if len(body) > 1:
        problems.append(FileProblem(f"Sheet ‘settings’, row {body[1][0]}", "Settings take one row (row 2) only."))
    fields = {}
    for column, field in SETTINGS_COLUMNS.items():
        text = _value(values, header, column)
        fields[field] = text.strip() if field in ("key", "audience") else (text or None)
    return fields


def _read_choices(rows, problems):
    """{list name: [(row, name, label)]}."""
    if not rows:
        return {}
    header, body = _header("choices", rows, problems)
    for column in ("list_name", "name", "label"):
        if column not in header:
            problems.append(FileProblem("Sheet ‘choices’", f"There is no ‘{column}’ column."))
    for column, (_, name) in header.items():
        if column not in ("list_name", "name", "label") and not column.startswith(("$", "_")) and any(
                _value(values, header, column) for _, values in body):
            problems.append(FileProblem(f"Sheet ‘choices’, column ‘{name}’",
                                        "This column is not one we read (answers are kept in one "
                                        "language): remove it."))
    lists = {}
    for number, values in body:
        list_name = _value(values, header, "list_name").strip()
        name = _value(values, header, "name").strip()
        label = _value(values, header, "label")
        where = f"Sheet ‘choices’, row {number}"
        if not list_name or not name:
            problems.append(FileProblem(where, "Each answer needs a list_name and a name."))
            continue
        if any(existing == name for _, existing, _ in lists.get(list_name, [])):
            problems.append(FileProblem(where, f"The name ‘{name}’ is used twice in list ‘{list_name}’."))
            continue
        lists.setdefault(list_name, []).append((number, name, label))
    return lists


def _survey_locator(number, columns):
    def locate(field):
        where = f"Sheet ‘survey’, row {number}"
        if field and field.startswith("text_") and field[5:] in LANGUAGES:
            return f"{where}, column ‘{columns.get('label::' + field[5:], field)}’"
        column = {"condition_question": "relevant", "condition_values": "relevant", "options": "type",
                  "labels": "type", "translations": "label::…"}.get(field) or next(
            (column for column, name in SURVEY_COLUMNS.items() if name == field), None)
        return f"{where}, column ‘{column}’" if column else where
    return locate


def _read_survey(rows, lists, problems):
    header, body = _header("survey", rows, problems)
    if not header:
        return []
    languages, label_columns = {}, {}
    for column, (_, name) in list(header.items()):
        match = LABEL_COLUMN.match(column)
        if match:
            code = (match.group("code") or match.group("bare")).strip().lower()
            if code in ("en", "english", "default"):
                header.setdefault("label", header[column])
            elif code in LANGUAGES:
                languages[code] = column
                label_columns["label::" + code] = name
            else:
                problems.append(FileProblem(
                    f"Sheet ‘survey’, column ‘{name}’",
                    "We keep translations in " + ", ".join(f"{LANGUAGES[c]} ({c})" for c in LANGUAGES) + " only."))
        elif column not in SURVEY_COLUMNS and not column.startswith(("$", "_")) and any(
                _value(values, header, column) for _, values in body):
            problems.append(FileProblem(f"Sheet ‘survey’, column ‘{name}’",
                                        "This is not a column we read: remove it."))
    for column in ("type", "name", "label"):
        if column not in header:
            problems.append(FileProblem("Sheet ‘survey’", f"There is no ‘{column}’ column."))
    questions, section, codes_by_key = [], None, {}
    for number, values in body:
        where = f"Sheet ‘survey’, row {number}"
        kind = " ".join(_value(values, header, "type").split())
        label = _value(values, header, "label")
        if kind.replace(" ", "_") == "begin_group":
            if section is not None:
                problems.append(FileProblem(
                    where, "Groups inside groups are not supported: end the group above first."))
            section = label.strip() or None
            continue
        if kind.replace(" ", "_") == "end_group":
            section = None
            continue
        if kind in METADATA_TYPES:
            continue
        data = {"type": None}
        match = SELECT_TYPE.match(kind)
        if kind == "text":
            data["type"] = "text"
        elif match:
            data.update(_select_type(match.group(1), match.group(2), lists, where, problems))
        elif kind:
            problems.append(FileProblem(f"{where}, column ‘type’",
                                        f"‘{kind[:40]}’ is not a type we can ask: use select_one, "
                                        "select_multiple or text."))
            data["reported"] = {"type"}
        else:
            problems.append(FileProblem(f"{where}, column ‘type’", "Give the type of the question."))
        names = data.pop("names", None)
        data["key"] = _value(values, header, "name").strip()
        data["text"] = label
        if names is not None and data["key"]:
            codes_by_key[data["key"]] = names
        data["section"] = _value(values, header, "section") or section
        for column, field in SURVEY_COLUMNS.items():
            if field in ("type", "key", "text", "section", "condition"):
                continue
            text = _value(values, header, column)
            if field in FLAGS:
                word = text.strip().lower()
                if word not in TRUE_WORDS | FALSE_WORDS:
                    problems.append(FileProblem(f"{where}, column ‘{column}’",
                                                "Write yes, or leave it empty for no."))
                data[field] = word in TRUE_WORDS
            elif field in CODES:
                data[field] = _codes(text, f"{where}, column ‘{column}’", problems)
            else:
                data[field] = text.strip() if field in ("priority_key", "context", "scale") else text
        data["translations"] = {code: _value(values, header, column) for code, column in languages.items()} or None
        data["condition"] = _condition(_value(values, header, "relevant"), codes_by_key,
                                       f"{where}, column ‘relevant’", problems)
        if data["type"] is None:
            data.pop("type")
        questions.append((where, data, _survey_locator(number, label_columns)))
    return questions


def _select_type(how, list_name, lists, where, problems):
    """Our type, options or labels, and {choice name: code} for a select_one/select_multiple list."""
    base = list_name.split("_")[0] if how == "one" else None
    fixed = list_name if list_name in FIXED_LISTS else base if base in ("agree5", "faces3") else None
    choices = lists.get(list_name)
    if fixed is not None:
        names = {str(code): code for code, _ in FIXED_CHOICES[fixed]}
        result = {"type": fixed, "names": names}
        if fixed in ("agree5", "faces3"):
            result["labels"] = None
            if choices is None and list_name != fixed:
                problems.append(_no_list(where, list_name))
            elif choices is not None:
                by_name = {name: label for _, name, label in choices}
                if set(by_name) != set(names):
                    problems.append(FileProblem(
                        f"Sheet ‘choices’, list ‘{list_name}’",
                        f"This list needs the names {', '.join(sorted(names, key=int))}, one each."))
                else:
                    result["labels"] = [by_name[str(code)] for code in range(1, len(names) + 1)]
        return result
    if choices is None:
        problems.append(_no_list(where, list_name))
        return {"type": "single" if how == "one" else "multiple", "options": [], "names": {}, "reported": {"options"}}
    return {"type": "single" if how == "one" else "multiple",
            "options": [label for _, _, label in choices],
            "names": {name: code for code, (_, name, _) in enumerate(choices, start=1)}}


def _no_list(where, list_name):
    return FileProblem(f"{where}, column ‘type’", f"There is no list ‘{list_name}’ in sheet ‘choices’.")


def _codes(text, where, problems):
    parts = [part for part in re.split(r"[,;\s]+", text.strip()) if part]
    if not parts:
        return None
    try:
        return [int(part) for part in parts]
    except ValueError:
        problems.append(FileProblem(
            where, "Write answer codes as whole numbers separated by commas, for example 4, 5."))
        return None


def _condition(text, codes_by_key, where, problems):
    """{"question", "values"} from an XLSForm relevant expression such as selected(${q}, '1')."""
    if not text.strip():
        return None
    keys, values = set(), []
    for part in re.split(r"\s+or\s+", text.strip()):
        match = CONDITION_PART.match(part)
        if not match:
            problems.append(FileProblem(where, "Write a condition as selected(${question}, 'code'), joined by "
                                               "‘or’ for more than one answer."))
            return None
        key = (match.group("q1") or match.group("q2") or "").strip()
        value = next(v for v in (match.group("v1"), match.group("v2"), match.group("v3")) if v is not None)
        keys.add(key)
        names = codes_by_key.get(key, {})
        if value in names:
            values.append(names[value])
        else:
            try:
                values.append(int(value))
            except ValueError:
                values.append(value)  # authoring's check names the codes this question has
    if len(keys) != 1:
        problems.append(FileProblem(where, "A question can depend on the answer to one earlier question only."))
        return None
    return {"question": keys.pop(), "values": values}


# Storing ---------------------------------------------------------------------------------------

def import_instrument(user, filename, data, on_clash="version", key=None):
    """Store the instrument in a file as a draft; a clashing key makes a new draft version.

    on_clash "version": the next version of the instrument with that key (refused if one is already
    a draft); "replace": the draft of that key is replaced (or a new version made if there is none).
    Published and retired versions are never changed. Raises ImportProblems listing every problem.
    """
    if on_clash not in ON_CLASH:
        raise ImportProblems([FileProblem("", "Choose what to do if the key is already in use.")])
    if key:
        try:
            key = authoring._key_format(key, "Enter a key")
        except Problem as error:
            raise ImportProblems([FileProblem("Key", _explain(error))]) from None
    try:
        instrument = read_instrument(data, key=key)
    except ImportProblems as error:
        record("import_instrument_refused", user=user, problems=len(error.problems),
               filename=(filename or "")[:200])
        commit()
        raise
    versions = authoring.versions_of(instrument)
    draft = next((version for version in versions if version.status == "draft"), None)
    replaced = False
    if draft is not None and on_clash == "replace":
        _replace(draft, instrument)
        instrument, replaced = draft, True
    elif draft is not None:
        raise ImportProblems([FileProblem("", (
            f"Version {draft.version} of ‘{instrument.key}’ is already a draft. Choose to replace that draft, "
            "or import under a different key."))])
    else:
        stored = Instrument(key=instrument.key, name=instrument.name, status="draft",
                            version=versions[0].version + 1 if versions else 1)
        _replace(stored, instrument)
        db.session.add(stored)
        instrument = stored
    record("import_instrument", user=user, instrument_key=instrument.key, version=instrument.version,
           questions=len(instrument.questions), replaced_draft=replaced, filename=(filename or "")[:200])
    commit("Someone else has just changed this instrument: please import again.")
    return instrument, replaced


def _replace(target, source):
    """Give target every field and question of source (a transient instrument)."""
    target.name = source.name
    for field in authoring.INSTRUMENT_COPY_FIELDS:
        setattr(target, field, getattr(source, field))
    if target.questions:
        target.questions.clear()
        db.session.flush()  # the old rows go before new ones reuse their keys
    for question in source.questions:
        target.questions.append(Question(**{field: getattr(question, field)
                                            for field in authoring.QUESTION_COPY_FIELDS}))

