"""Instrument library and authoring: drafts, questions, publishing, new versions, clones and priorities."""

import copy
import re

import sqlalchemy as sa

from app.clock import utcnow
from app.extensions import db
from app.models import AUDIENCES, QUESTION_TYPES, Instrument, Priority, Question, Trust
from app.models.audit import record
from app.models.instruments import AGREE5_LABELS, DONT_KNOW, FACES3_LABELS
from app.services import Conflict, NotFound, ServiceError, commit
from app.surveys.library import builtin_keys

# Languages a question's text may be translated into: the trust's largest home languages.
LANGUAGES = {"cy": "Welsh (Cymraeg)", "pl": "Polish (Polski)", "ur": "Urdu (اردو)"}
RIGHT_TO_LEFT = {"ur"}

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
SCALE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
MAX_KEY = 60
# Invisible control characters (tabs and new lines are fine): spreadsheets refuse them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_MESSAGE = "Remove the invisible control characters from this text"
MAX_CONTEXT = 20
MAX_SCALE = 40
MAX_NAME = 200
MAX_TEXT = 1000
MAX_LONG_TEXT = 4000
MAX_OPTION = 200
MAX_OPTIONS = 30
CHOICE_TYPES = ("agree5", "faces3", "yes_no", "single", "multiple", "scale010")
REVERSIBLE_TYPES = ("agree5", "faces3", "scale010")
# Every column a copy carries over: new columns are copied without anyone remembering to.
INSTRUMENT_COPY_FIELDS = tuple(
    attr.key for attr in sa.inspect(Instrument).column_attrs
    if attr.key not in ("id", "key", "version", "status", "published_at", "name")
)
QUESTION_COPY_FIELDS = tuple(
    attr.key for attr in sa.inspect(Question).column_attrs if attr.key not in ("id", "instrument_id")
)


class Problem(ServiceError):
    """A refused change, naming the form field it is about (None: the whole form)."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field
        self.problems = [self]  # every problem found, when a check finds more than one


# Reading the library

def library():
    """Every instrument version, newest first within each instrument, grouped by audience."""
    instruments = db.session.scalars(
        sa.select(Instrument).order_by(Instrument.name, Instrument.key, Instrument.version.desc())
    ).all()
    counts = dict(db.session.execute(
        sa.select(Question.instrument_id, sa.func.count()).group_by(Question.instrument_id)
    ).all())
    builtin = set(builtin_keys())
    groups = {audience: [] for audience in AUDIENCES}
    for instrument in instruments:
        groups.setdefault(instrument.audience, []).append({
            "instrument": instrument, "questions": counts.get(instrument.id, 0),
            "builtin": instrument.key in builtin,
        })
    return groups


def get_instrument(instrument_id):
    instrument = db.session.get(Instrument, instrument_id)
    if instrument is None:
        raise NotFound("There is no such instrument.")
    return instrument


def is_builtin(instrument):
    return instrument.key in builtin_keys()


def versions_of(instrument):
    return db.session.scalars(
        sa.select(Instrument).where(Instrument.key == instrument.key).order_by(Instrument.version.desc())
    ).all()


def previous_published(instrument):
    """The latest published (or retired) version before this one, or None."""
    return db.session.scalar(
        sa.select(Instrument)
        .where(Instrument.key == instrument.key, Instrument.version < instrument.version,
               Instrument.status != "draft")
        .order_by(Instrument.version.desc()).limit(1)
    )


def changed_wordings(instrument):
    """[(question, previous text)] for questions whose wording differs from the previous version."""
    if instrument.status == "draft":
        previous = previous_published(instrument)
        if previous is None:
            return []
        return [
            (q, previous.question(q.key).text) for q in instrument.questions
            if previous.question(q.key) is not None and previous.question(q.key).text != q.text
        ]
    return [(q, q.previous_text) for q in instrument.questions if q.previous_text is not None]


# Instrument details

def _check_details(name, audience, description, attribution):
    """The instrument's name, checked with its other details; a Problem carries every problem found."""
    problems = []
    name = (name or "").strip()
    if not name:
        problems.append(Problem("Enter a name for the instrument", "name"))
    elif len(name) > MAX_NAME:
        problems.append(Problem(f"The name must be {MAX_NAME} characters or fewer", "name"))
    if audience not in AUDIENCES:
        problems.append(Problem("Choose who answers the instrument", "audience"))
    for field, value in (("name", name), ("description", description), ("attribution", attribution)):
        if value and field != "name" and len(value) > MAX_LONG_TEXT:
            problems.append(Problem(f"The {field} must be {MAX_LONG_TEXT} characters or fewer", field))
        elif value and CONTROL_CHARACTERS.search(value):
            problems.append(Problem(CONTROL_MESSAGE, field))
    if problems:
        problems[0].problems = problems
        raise problems[0]
    return name


def _key_format(key, missing):
    key = (key or "").strip()
    if not key:
        raise Problem(missing, "key")
    if len(key) > MAX_KEY or not KEY_PATTERN.match(key):
        raise Problem(
            f"The key must start with a lower-case letter and use only a-z, 0-9 and _ "
            f"({MAX_KEY} characters at most)", "key",
        )
    return key


def _check_new_key(key):
    key = _key_format(key, "Enter a key")
    if db.session.scalar(sa.select(Instrument.id).where(Instrument.key == key).limit(1)):
        raise Problem(f"An instrument with the key ‘{key}’ already exists: choose another key", "key")
    return key


def create_instrument(user, key, name, audience, description=None, attribution=None):
    """A new, empty draft instrument (version 1)."""
    name = _check_details(name, audience, description, attribution)
    key = _check_new_key(key)
    instrument = Instrument(
        key=key, version=1, name=name, audience=audience, status="draft",
        description=_blank_to_none(description), attribution=_blank_to_none(attribution),
    )
    db.session.add(instrument)
    record("create_instrument", user=user, instrument_key=key, version=1)
    commit(f"An instrument with the key ‘{key}’ already exists.")
    return instrument


def update_details(user, instrument, name, audience, description=None, attribution=None, change_note=None):
    _editable(instrument)
    name = _check_details(name, audience, description, attribution)
    if change_note and len(change_note) > MAX_LONG_TEXT:
        raise Problem(f"The change note must be {MAX_LONG_TEXT} characters or fewer", "change_note")
    instrument.name = name
    instrument.audience = audience
    instrument.description = _blank_to_none(description)
    instrument.attribution = _blank_to_none(attribution)
    instrument.change_note = _blank_to_none(change_note)
    commit()
    return instrument


def _editable(instrument):
    """Published and retired versions are immutable: results already collected rest on them."""
    if instrument.status != "draft":
        raise Conflict(
            f"{instrument.label} is {instrument.status} and cannot be changed. "
            "Make a new version to change it."
        )


def _blank_to_none(value):
    value = (value or "").strip()
    return value or None


# Questions

def question_codes(question):
    """The answer codes a question can take, without don't know."""
    return [code for code, _ in question.choices() if code != DONT_KNOW]


def add_question(user, instrument, data):
    """Append a question to a draft; data holds Question fields (see clean_question)."""
    _editable(instrument)
    question = Question(position=len(instrument.questions) + 1)
    clean = clean_question(instrument, data, question)
    for name, value in clean.items():
        setattr(question, name, value)
    instrument.questions.append(question)
    commit(f"A question with the key ‘{question.key}’ is already in this instrument.")
    return question


def get_question(instrument, question_key):
    question = instrument.question(question_key)
    if question is None:
        raise NotFound("There is no such question in this instrument.")
    return question


def update_question(user, instrument, question_key, data):
    _editable(instrument)
    question = get_question(instrument, question_key)
    clean = clean_question(instrument, data, question)
    old = {name: getattr(question, name) for name in clean}
    for name, value in clean.items():
        setattr(question, name, value)
    try:
        _check_dependants(instrument, question, old_key=old["key"])
    except Problem:
        for name, value in old.items():
            setattr(question, name, value)
        raise
    # Questions that hang on this one follow a change of its key.
    for other in instrument.questions:
        if other.condition and other.condition["question"] == old["key"] and old["key"] != question.key:
            other.condition = {**other.condition, "question": question.key}
    commit(f"A question with the key ‘{question.key}’ is already in this instrument.")
    return question


def _check_dependants(instrument, question, old_key):
    for other in instrument.questions:
        if other is question or not other.condition or other.condition["question"] != old_key:
            continue
        if question.type not in CHOICE_TYPES or not set(other.condition["values"]) <= set(question_codes(question)):
            raise Problem(
                f"Question ‘{other.key}’ is shown only for some answers to this question; "
                "change or remove its condition first", "type",
            )


def move_question(user, instrument, question_key, direction):
    """Swap a question with its neighbour above ("up") or below ("down")."""
    _editable(instrument)
    question = get_question(instrument, question_key)
    questions = list(instrument.questions)
    index = questions.index(question)
    other_index = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other_index < len(questions):
        return question  # already first or last: nothing to do, nothing lost
    other = questions[other_index]
    first, second = (other, question) if direction == "up" else (question, other)
    # After the swap `first` comes after `second`: refuse if one hangs on the other.
    if second.condition and second.condition["question"] == first.key:
        raise Problem(
            f"‘{second.key}’ is shown depending on the answer to ‘{first.key}’, "
            "so it must stay after it"
        )
    first.position, second.position = second.position, first.position
    commit()
    db.session.refresh(instrument)
    return question


def delete_question(user, instrument, question_key):
    _editable(instrument)
    question = get_question(instrument, question_key)
    dependants = [q.key for q in instrument.questions if q.condition and q.condition["question"] == question.key]
    if dependants:
        raise Problem(
            f"Questions {', '.join(dependants)} are shown depending on this one: "
            "change their conditions before deleting it"
        )
    instrument.questions.remove(question)
    for position, remaining in enumerate(instrument.questions, start=1):
        remaining.position = position
    commit()


def clean_question(instrument, data, question):
    """Check a question's fields against its instrument; return the values to store.

    data: key, text, type, section, priority_key, required, dont_know, reverse, positive (list of
    codes or None for the usual ones), options (list), hint, read_aloud, condition ({"question",
    "values"} or None), translations ({language: text}); and, when given (imports), labels,
    context and scale. Every problem is found, not just the first: the Problem raised carries
    them all in .problems.
    """
    clean, problems = {}, []

    def check(name, function, *args):
        try:
            clean[name] = function(*args)
        except Problem as problem:
            problems.append(problem)

    check("key", _clean_key, instrument, data.get("key"), question)
    check("text", _required_text, data.get("text"), "text", "Enter the question")
    check("section", _optional_text, data.get("section"), "section", MAX_NAME)
    check("hint", _optional_text, data.get("hint"), "hint", MAX_TEXT)
    check("read_aloud", _optional_text, data.get("read_aloud"), "read_aloud", MAX_TEXT)
    check("priority_key", _clean_priority, data.get("priority_key"))
    clean["required"] = bool(data.get("required"))
    check("condition", _clean_condition, instrument, data.get("condition"), question)
    check("translations", _clean_translations, data.get("translations"))
    for name, pattern, limit in (("context", KEY_PATTERN, MAX_CONTEXT), ("scale", SCALE_PATTERN, MAX_SCALE)):
        if name in data:
            check(name, _clean_tag, data[name], name, pattern, limit)
    kind = data.get("type")
    if kind not in QUESTION_TYPES:
        problems.append(Problem("Choose a type of question", "type"))
    else:
        # The rest depends on the type, so is only checked once the type is known.
        clean["type"] = kind
        clean["dont_know"] = kind == "agree5" and bool(data.get("dont_know"))
        clean["reverse"] = kind in REVERSIBLE_TYPES and bool(data.get("reverse"))
        check("options", _clean_options, kind, data.get("options"))
        if "labels" in data:
            check("labels", _clean_labels, kind, data["labels"])
        else:
            # A changed type makes stored labels meaningless; keep them only while the type stands.
            clean["labels"] = question.labels if question.type == kind else None
        if "options" in clean and "labels" in clean:
            probe = Question(type=kind, options=clean["options"], labels=clean["labels"],
                             dont_know=clean["dont_know"])
            check("positive", _clean_positive, kind, data.get("positive"), question_codes(probe))
    if problems:
        first = problems[0]
        first.problems = problems
        raise first
    return clean


def _clean_labels(kind, labels):
    """Own wording for the points of an agree or faces scale (None: the usual wording)."""
    if not labels:
        return None
    size = {"agree5": 5, "faces3": 3}.get(kind)
    if size is None:
        raise Problem("Only agree or disagree and faces questions have their own answer wording", "labels")
    if len(labels) != size or not all(isinstance(label, str) and label.strip() for label in labels):
        raise Problem(f"Give the wording of all {size} answers, from the lowest to the highest", "labels")
    if any(len(label) > MAX_OPTION for label in labels):
        raise Problem(f"Each answer must be {MAX_OPTION} characters or fewer", "labels")
    if any(CONTROL_CHARACTERS.search(label) for label in labels):
        raise Problem(CONTROL_MESSAGE, "labels")
    labels = [label.strip() for label in labels]
    return None if labels == {"agree5": AGREE5_LABELS, "faces3": FACES3_LABELS}[kind] else labels


def _clean_tag(value, field, pattern, limit):
    """A context (what a background question tells, e.g. year_group) or a scale name (hse.demands)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit or not pattern.match(value):
        raise Problem(
            f"The {field} must start with a lower-case letter and use only a-z, 0-9, _"
            f"{' and .' if field == 'scale' else ''} ({limit} characters at most)", field,
        )
    return value


def _clean_key(instrument, key, question):
    key = _key_format(key, "Enter a key for the question")
    if any(q.key == key and q is not question for q in instrument.questions):
        raise Problem(f"A question with the key ‘{key}’ is already in this instrument", "key")
    if question.key and key != question.key:
        previous = previous_published(instrument)
        if previous is not None and previous.question(question.key) is not None:
            raise Problem(
                f"‘{question.key}’ was in version {previous.version}: keys stay the same "
                "so results join across versions", "key",
            )
    return key


def _required_text(value, field, message, limit=MAX_TEXT):
    value = (value or "").strip()
    if not value:
        raise Problem(message, field)
    return _optional_text(value, field, limit)


def _optional_text(value, field, limit):
    value = (value or "").strip()
    if len(value) > limit:
        raise Problem(f"This must be {limit} characters or fewer (it has {len(value)})", field)
    if CONTROL_CHARACTERS.search(value):
        raise Problem(CONTROL_MESSAGE, field)
    return value or None


def _clean_priority(key):
    if not key:
        return None
    if key not in {p.key for p in trust_priorities()}:
        raise Problem("Choose a priority from the list", "priority_key")
    return key


def _clean_options(kind, options):
    if kind not in ("single", "multiple"):
        return None
    options = [option.strip() for option in (options or []) if option and option.strip()]
    if len(options) < 2:
        raise Problem("Give at least two answers to choose from, one a line", "options")
    if len(options) > MAX_OPTIONS:
        raise Problem(f"Give {MAX_OPTIONS} answers at most", "options")
    if any(len(option) > MAX_OPTION for option in options):
        raise Problem(f"Each answer must be {MAX_OPTION} characters or fewer", "options")
    if any(CONTROL_CHARACTERS.search(option) for option in options):
        raise Problem(CONTROL_MESSAGE, "options")
    if len({option.casefold() for option in options}) != len(options):
        raise Problem("Each answer must be different", "options")
    return options


def _clean_positive(kind, positive, codes):
    if positive is None or kind == "text":
        return None
    if not all(isinstance(code, int) and not isinstance(code, bool) for code in positive):
        raise Problem("Positive answers must be given as answer codes", "positive")
    unknown = sorted(set(positive) - set(codes))
    if unknown:
        raise Problem(
            f"{', '.join(map(str, unknown))} {'is' if len(unknown) == 1 else 'are'} not an answer "
            f"to this question: use {', '.join(map(str, sorted(codes)))}", "positive",
        )
    return sorted(set(positive)) or None


def _clean_condition(instrument, condition, question):
    if not condition or not condition.get("question"):
        return None
    earlier = [q for q in instrument.questions if q is not question and (
        question.position is None or q.position < question.position)]
    target = next((q for q in earlier if q.key == condition["question"]), None)
    if target is None:
        raise Problem("A question can only depend on the answer to an earlier question", "condition_question")
    if target.type not in CHOICE_TYPES:
        raise Problem(f"‘{target.key}’ is free text: choose a question with answers to pick", "condition_question")
    values = condition.get("values") or []
    codes = question_codes(target)
    if not values:
        raise Problem("Choose the answers that show this question", "condition_values")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values) or not set(values) <= set(codes):
        raise Problem(
            f"Use answer codes of ‘{target.key}’: {', '.join(map(str, codes))}", "condition_values",
        )
    return {"question": target.key, "values": sorted(set(values))}


def _clean_translations(translations):
    clean = {}
    for language, text in (translations or {}).items():
        if language not in LANGUAGES:
            raise Problem("Choose a language from the list", "translations")
        text = (text or "").strip()
        if len(text) > MAX_TEXT:
            raise Problem(
                f"The {LANGUAGES[language]} text must be {MAX_TEXT} characters or fewer", f"text_{language}",
            )
        if CONTROL_CHARACTERS.search(text):
            raise Problem(CONTROL_MESSAGE, f"text_{language}")
        if text:
            clean[language] = text
    return clean or None


def check_instrument(instrument):
    """Every problem that stops a draft being published, as plain sentences."""
    problems = []
    if not instrument.questions:
        problems.append("Add at least one question.")
    seen = {}
    for question in instrument.questions:
        if question.key in seen:
            problems.append(f"The key ‘{question.key}’ is used twice.")
        condition = question.condition
        if condition:
            target = seen.get(condition.get("question"))
            if target is None:
                problems.append(f"‘{question.key}’ depends on a question that does not come before it.")
            elif not set(condition.get("values") or []) <= set(question_codes(target)) or not condition.get("values"):
                problems.append(f"‘{question.key}’ depends on answers ‘{target.key}’ does not have.")
        seen[question.key] = question
    return problems


# Publishing, new versions and clones

def publish(user, instrument, change_note=None):
    """Freeze a draft as a published version; record changed wordings and audit it."""
    if instrument.status == "published":
        return instrument  # a second press of the button: already done
    _editable(instrument)
    problems = check_instrument(instrument)
    if problems:
        raise Problem(" ".join(problems))
    changed = changed_wordings(instrument)
    for question in instrument.questions:
        question.previous_text = None  # an imported draft may carry wordings from elsewhere
    for question, previous_text in changed:
        question.previous_text = previous_text
    if change_note is not None:
        instrument.change_note = _optional_text(change_note, "change_note", MAX_LONG_TEXT)
    instrument.status = "published"
    instrument.published_at = utcnow()
    record(
        "publish_instrument", user=user, instrument_id=instrument.id, instrument_key=instrument.key,
        version=instrument.version, changed_wordings=[q.key for q, _ in changed],
    )
    commit()
    return instrument


def retire(user, instrument):
    """A retired version stays readable (its results rest on it) but is no longer offered for surveys."""
    if instrument.status == "retired":
        return instrument
    if instrument.status != "published":
        raise Conflict("Only a published instrument can be retired; delete questions from a draft instead.")
    instrument.status = "retired"
    record("retire_instrument", user=user, instrument_id=instrument.id,
           instrument_key=instrument.key, version=instrument.version)
    commit()
    return instrument


def new_version(user, instrument):
    """A draft copy of a published instrument as the next version; the same keys so trends join."""
    existing = db.session.scalar(
        sa.select(Instrument).where(Instrument.key == instrument.key, Instrument.status == "draft")
    )
    if existing is not None:
        return existing  # one draft at a time: a second press opens the same draft
    if instrument.status == "draft":
        raise Conflict("This is already a draft: edit it directly.")
    latest = db.session.scalar(sa.select(sa.func.max(Instrument.version)).where(Instrument.key == instrument.key))
    draft = _copy(instrument, key=instrument.key, version=latest + 1, name=instrument.name)
    draft.change_note = None
    for question in draft.questions:
        question.previous_text = None
    db.session.add(draft)
    record("new_instrument_version", user=user, instrument_key=draft.key, version=draft.version)
    commit("Someone else has just made a new version of this instrument.")
    return draft


def clone(user, instrument, key, name):
    """A new instrument (version 1, draft) with every setting and question of this one."""
    name = _check_details(name, instrument.audience, None, None)
    key = _check_new_key(key)
    draft = _copy(instrument, key=key, version=1, name=name)
    draft.change_note = None
    for question in draft.questions:
        question.previous_text = None
    db.session.add(draft)
    record("clone_instrument", user=user, instrument_key=key, cloned_from=instrument.key,
           cloned_version=instrument.version)
    commit(f"An instrument with the key ‘{key}’ already exists.")
    return draft


def _copy(instrument, key, version, name):
    copied = Instrument(key=key, version=version, name=name, status="draft")
    for field in INSTRUMENT_COPY_FIELDS:
        setattr(copied, field, copy.deepcopy(getattr(instrument, field)))
    for question in instrument.questions:
        copied.questions.append(Question(**{
            field: copy.deepcopy(getattr(question, field)) for field in QUESTION_COPY_FIELDS
        }))
    return copied


# Priorities (trust-wide; keys never change, so indicators keep joining)

def current_trust():
    trust = db.session.scalar(sa.select(Trust).order_by(Trust.id).limit(1))
    if trust is None:
        raise NotFound("There is no trust yet.")
    return trust


def trust_priorities():
    trust = db.session.scalar(sa.select(Trust.id).order_by(Trust.id).limit(1))
    return db.session.scalars(
        sa.select(Priority).where(Priority.trust_id == trust).order_by(Priority.position, Priority.id)
    ).all()


def priority_names():
    return {p.key: p.name for p in trust_priorities()}


def add_priority(user, name):
    trust = current_trust()
    name = _required_text(name, "name", "Enter the priority's name", MAX_NAME // 2 + 20)
    priorities = trust_priorities()
    if any(p.name.casefold() == name.casefold() for p in priorities):
        raise Problem(f"There is already a priority called ‘{name}’", "name")
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:30] or "priority"
    if not base[0].isalpha():
        base = "p_" + base
    key, n = base, 2
    while any(p.key == key for p in priorities):
        key, n = f"{base}_{n}", n + 1
    priority = Priority(trust=trust, key=key, name=name, position=len(priorities))
    db.session.add(priority)
    record("add_priority", user=user, priority_key=key, name=name)
    commit("That priority has just been added.")
    return priority


def get_priority(key):
    priority = next((p for p in trust_priorities() if p.key == key), None)
    if priority is None:
        raise NotFound("There is no such priority.")
    return priority


def rename_priority(user, key, name):
    priority = get_priority(key)
    name = _required_text(name, "name", "Enter the priority's name", MAX_NAME // 2 + 20)
    if any(p.name.casefold() == name.casefold() and p is not priority for p in trust_priorities()):
        raise Problem(f"There is already a priority called ‘{name}’", "name")
    record("rename_priority", user=user, priority_key=key, old_name=priority.name, name=name)
    priority.name = name
    commit()
    return priority


def move_priority(user, key, direction):
    priorities = list(trust_priorities())
    priority = get_priority(key)
    index = priorities.index(priority)
    other = index - 1 if direction == "up" else index + 1
    if direction in ("up", "down") and 0 <= other < len(priorities):
        priorities[index], priorities[other] = priorities[other], priorities[index]
        for position, item in enumerate(priorities):
            item.position = position
        commit()
    return priority
