"""Content checks for the built-in instruments in app/surveys/builtin/*.json.

Pure data tests: no Flask, no app import. They guard the things that matter for
results staying comparable over time (stable keys, scoring flags, HSE structure)
and for respondents (pupil read-aloud text, conditions that can actually be met).
"""
import json
import re
from pathlib import Path

import pytest

BUILTIN = Path(__file__).parents[2] / "app" / "surveys" / "builtin"

TYPES = {"agree5", "faces3", "yes_no", "single", "multiple", "scale010", "text"}
PRIORITIES = {
    "wellbeing",
    "behaviour_safety",
    "inclusion",
    "curriculum",
    "leadership_communication",
    "sustainability",
}
AUDIENCES = {"parent", "staff", "pupil_ks1", "pupil_ks2"}
CONTEXTS = {"year_group", "role_group", "send", "pupil_premium"}
TOP_LEVEL_KEYS = {"key", "name", "audience", "description", "attribution", "sections"}
QUESTION_FIELDS = {
    "key", "text", "type", "priority", "required", "dont_know", "reverse", "positive",
    "options", "context", "scale", "read_aloud", "hint", "condition", "labels", "translations",
}
KEY_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"

EXPECTED_FILES = {
    "parent.json": "parent",
    "staff.json": "staff",
    "pupil_ks1.json": "pupil_ks1",
    "pupil_ks2.json": "pupil_ks2",
}

# HSE Management Standards Indicator Tool, per /work/shared/research/instruments.md
# section 2 (domain mapping from the HSE Analysis Tool; item table with reverse flags).
HSE_DOMAINS = {
    "demands": {3, 6, 9, 12, 16, 18, 20, 22},
    "control": {2, 10, 15, 19, 25, 30},
    "manager_support": {8, 23, 29, 33, 35},
    "peer_support": {7, 24, 27, 31},
    "relationships": {5, 14, 21, 34},
    "role": {1, 4, 11, 13, 17},
    "change": {26, 28, 32},
}
# instruments.md section 2: "Reverse-scored (score = 6 - raw): the 8 Demands items
# + 4 Relationships items (3,5,6,9,12,14,16,18,20,21,22,34)".
HSE_REVERSED = {3, 5, 6, 9, 12, 14, 16, 18, 20, 21, 22, 34}
# instruments.md section 2: "items 1-23 frequency Never / Seldom / Sometimes / Often /
# Always; items 24-35 agreement".
HSE_FREQUENCY_ITEMS = set(range(1, 24))
HSE_FREQUENCY_LABELS = ["Never", "Seldom", "Sometimes", "Often", "Always"]
# Item wording exactly as tabulated in instruments.md section 2 (HSE wording must not be edited).
HSE_TEXT = {
    1: "I am clear what is expected of me at work",
    2: "I can decide when to take a break",
    3: "Different groups at work demand things from me that are hard to combine",
    4: "I know how to go about getting my job done",
    5: "I am subject to personal harassment in the form of unkind words or behaviour",
    6: "I have unachievable deadlines",
    7: "If work gets difficult, my colleagues will help me",
    8: "I am given supportive feedback on the work I do",
    9: "I have to work very intensively",
    10: "I have a say in my own work speed",
    11: "I am clear what my duties and responsibilities are",
    12: "I have to neglect some tasks because I have too much to do",
    13: "I am clear about the goals and objectives for my department",
    14: "There is friction or anger between colleagues",
    15: "I have a choice in deciding how I do my work",
    16: "I am unable to take sufficient breaks",
    17: "I understand how my work fits into the overall aim of the organisation",
    18: "I am pressured to work long hours",
    19: "I have a choice in deciding what I do at work",
    20: "I have to work very fast",
    21: "I am subject to bullying at work",
    22: "I have unrealistic time pressures",
    23: "I can rely on my line manager to help me out with a work problem",
    24: "I get help and support I need from colleagues",
    25: "I have some say over the way I work",
    26: "I have sufficient opportunities to question managers about change at work",
    27: "I receive the respect at work I deserve from my colleagues",
    28: "Staff are always consulted about change at work",
    29: "I can talk to my line manager about something that has upset or annoyed me about work",
    30: "My working time can be flexible",
    31: "My colleagues are willing to listen to my work-related problems",
    32: "When changes are made at work, I am clear how they will work out in practice",
    33: "I am supported through emotionally demanding work",
    34: "Relationships at work are strained",
    35: "My line manager encourages me at work",
}
HSE_KEY_RE = re.compile(r"^hse_(\d{2})_[a-z0-9_]+$")

# SWEMWBS needs a paid commercial licence for a platform (instruments.md section 3).
SWEMWBS_PHRASES = [
    "optimistic about the future",
    "i've been feeling useful",
    "dealing with problems well",
    "i've been thinking clearly",
    "feeling close to other people",
    "able to make up my own mind",
]


def load(name):
    with open(BUILTIN / name, encoding="utf-8") as fh:
        return json.load(fh)


def questions(instrument):
    return [q for section in instrument["sections"] for q in section["questions"]]


def codes_for(question):
    """The answer codes a question can produce (None for free text)."""
    t = question["type"]
    if t == "agree5":
        return {1, 2, 3, 4, 5} | ({-1} if question.get("dont_know") else set())
    if t == "faces3":
        return {1, 2, 3}
    if t == "yes_no":
        return {0, 1}
    if t == "scale010":
        return set(range(11))
    if t in ("single", "multiple"):
        return set(range(1, len(question["options"]) + 1))
    return None


FILES = sorted(EXPECTED_FILES)
ALL_QUESTIONS = [(name, q["key"], q) for name in FILES for q in questions(load(name))]
PUPIL_FILES = ["pupil_ks1.json", "pupil_ks2.json"]


def test_all_expected_instrument_files_exist_and_nothing_else():
    assert sorted(p.name for p in BUILTIN.glob("*.json")) == FILES


@pytest.mark.parametrize("name", FILES)
def test_instrument_has_the_fixed_top_level_shape(name):
    inst = load(name)
    assert set(inst) == TOP_LEVEL_KEYS
    assert inst["key"] == EXPECTED_FILES[name]
    assert inst["audience"] in AUDIENCES
    assert inst["audience"] == EXPECTED_FILES[name]
    assert inst["name"].strip() and inst["description"].strip()
    assert inst["attribution"] is None or inst["attribution"].strip()
    assert inst["sections"], "an instrument needs at least one section"
    for section in inst["sections"]:
        assert set(section) == {"title", "questions"}
        assert section["title"].strip()
        assert section["questions"], f"empty section {section['title']!r}"


@pytest.mark.parametrize("name", FILES)
def test_question_keys_are_snake_case_and_unique_within_the_instrument(name):
    keys = [q["key"] for q in questions(load(name))]
    assert all(KEY_RE.match(k) for k in keys), [k for k in keys if not KEY_RE.match(k)]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


@pytest.mark.parametrize("name,key,q", ALL_QUESTIONS, ids=[f"{n}:{k}" for n, k, _ in ALL_QUESTIONS])
def test_every_question_uses_only_known_fields_types_and_priorities(name, key, q):
    assert set(q) <= QUESTION_FIELDS, set(q) - QUESTION_FIELDS
    assert q["type"] in TYPES
    assert "priority" in q and (q["priority"] is None or q["priority"] in PRIORITIES)
    assert isinstance(q["required"], bool)
    assert isinstance(q["text"], str) and q["text"].strip()
    for field in ("dont_know", "reverse"):
        if field in q:
            assert isinstance(q[field], bool)
    if "context" in q:
        assert q["context"] in CONTEXTS
        assert q["priority"] is None, "context questions are not scored"


@pytest.mark.parametrize("name,key,q", ALL_QUESTIONS, ids=[f"{n}:{k}" for n, k, _ in ALL_QUESTIONS])
def test_options_are_present_exactly_for_single_and_multiple_choice(name, key, q):
    if q["type"] in ("single", "multiple"):
        opts = q.get("options")
        assert isinstance(opts, list) and len(opts) >= 2
        assert all(isinstance(o, str) and o.strip() for o in opts)
        assert len(opts) == len(set(opts))
    else:
        assert "options" not in q


@pytest.mark.parametrize("name,key,q", ALL_QUESTIONS, ids=[f"{n}:{k}" for n, k, _ in ALL_QUESTIONS])
def test_type_specific_flags_are_only_used_where_they_mean_something(name, key, q):
    if "dont_know" in q:
        assert q["type"] == "agree5", "dont_know is for agree5 only"
    if "labels" in q:
        assert q["type"] == "agree5"
        assert len(q["labels"]) == 5 and all(isinstance(x, str) and x.strip() for x in q["labels"])
    if q.get("reverse"):
        assert q["type"] == "agree5" and "positive" not in q
    if "positive" in q:
        codes = codes_for(q)
        assert codes is not None and q["positive"]
        assert set(q["positive"]) <= codes - {-1}
    if q["type"] == "single" and q["priority"] is not None:
        assert "positive" in q, "a scored single-choice item must say which codes are positive"
    if q["type"] == "text":
        assert q["priority"] is None and not q["required"]


@pytest.mark.parametrize("name", FILES)
def test_every_condition_points_to_an_earlier_question(name):
    seen = {}
    for q in questions(load(name)):
        cond = q.get("condition")
        if cond is not None:
            assert set(cond) == {"question", "values"}
            target = seen.get(cond["question"])
            assert target is not None, f"{q['key']}: condition on unknown or later question {cond['question']!r}"
            valid = codes_for(target)
            assert valid is not None, f"{q['key']}: cannot condition on a free-text answer"
            assert cond["values"] and set(cond["values"]) <= valid, f"{q['key']}: invalid codes {cond['values']}"
        seen[q["key"]] = q


def test_send_support_is_only_shown_to_parents_who_said_their_child_has_send():
    qs = {q["key"]: q for q in questions(load("parent.json"))}
    assert qs["has_send"]["context"] == "send" and qs["has_send"]["type"] == "yes_no"
    assert qs["send_support"]["condition"] == {"question": "has_send", "values": [1]}
    assert qs["send_support"]["priority"] == "inclusion"


@pytest.mark.parametrize("name", FILES)
def test_year_or_role_context_question_comes_first(name):
    inst = load(name)
    first = inst["sections"][0]["questions"][0]
    expected = "role_group" if inst["audience"] == "staff" else "year_group"
    assert first.get("context") == expected and first["type"] == "single"


@pytest.mark.parametrize("name", FILES)
def test_every_priority_appears_at_least_once_per_audience(name):
    used = {q["priority"] for q in questions(load(name))} - {None}
    assert used == PRIORITIES, PRIORITIES - used


@pytest.mark.parametrize("name", FILES)
def test_sustainability_is_asked_of_every_audience_more_than_once(name):
    n = sum(1 for q in questions(load(name)) if q["priority"] == "sustainability")
    assert n >= 2


@pytest.mark.parametrize("name", PUPIL_FILES)
def test_every_pupil_item_has_child_friendly_read_aloud_text(name):
    for q in questions(load(name)):
        ra = q.get("read_aloud")
        assert isinstance(ra, str) and ra.strip(), q["key"]
        assert len(ra.split()) <= 16, f"{q['key']}: read-aloud text too long for young children"


@pytest.mark.parametrize("name", PUPIL_FILES)
def test_pupil_items_are_short(name):
    for q in questions(load(name)):
        assert len(q["text"].split()) <= 14, q["key"]


def test_key_stage_1_has_no_typing_and_uses_faces():
    qs = questions(load("pupil_ks1.json"))
    assert all(q["type"] != "text" for q in qs)
    scored = [q for q in qs if q["priority"] is not None]
    assert scored and all(q["type"] == "faces3" for q in scored)
    assert 8 <= len(scored) <= 14


def test_key_stage_2_uses_child_friendly_labels_and_a_reverse_scored_bullying_item():
    qs = questions(load("pupil_ks2.json"))
    scored = [q for q in qs if q["priority"] is not None]
    assert 15 <= len(scored) <= 25
    for q in scored:
        assert q["type"] == "agree5" and q["dont_know"] is False
        assert q["labels"] == ["No, never", "Not often", "Sometimes", "Most of the time", "Yes, always"]
    reversed_keys = {q["key"] for q in scored if q["reverse"]}
    assert reversed_keys == {"bullied"}
    assert all(not q["required"] for q in qs if q["type"] == "text")


def hse_items():
    staff = questions(load("staff.json"))
    return [q for q in staff if str(q.get("scale", "")).startswith("hse.")]


def hse_number(q):
    m = HSE_KEY_RE.match(q["key"])
    assert m, f"HSE item key {q['key']!r} must start hse_NN_"
    return int(m.group(1))


def test_staff_survey_has_exactly_the_35_hse_items_in_order():
    items = hse_items()
    assert len(items) == 35
    assert [hse_number(q) for q in items] == list(range(1, 36))
    # every hse_NN_ key carries an hse scale, and nothing else does
    staff = questions(load("staff.json"))
    assert all(q.get("scale", "").startswith("hse.") == q["key"].startswith("hse_") for q in staff)


def test_hse_item_wording_is_unchanged_from_the_published_tool():
    assert {hse_number(q): q["text"] for q in hse_items()} == HSE_TEXT


def test_hse_items_map_to_the_seven_management_standards_domains():
    by_domain = {}
    for q in hse_items():
        by_domain.setdefault(q["scale"], set()).add(hse_number(q))
    assert by_domain == {f"hse.{d}": nums for d, nums in HSE_DOMAINS.items()}
    assert len(by_domain) == 7


def test_hse_reverse_scored_items_match_the_research_notes():
    assert {hse_number(q) for q in hse_items() if q["reverse"]} == HSE_REVERSED


def test_hse_frequency_items_carry_never_to_always_labels_and_agreement_items_do_not():
    for q in hse_items():
        n = hse_number(q)
        assert q["type"] == "agree5" and q["dont_know"] is False
        if n in HSE_FREQUENCY_ITEMS:
            assert q.get("labels") == HSE_FREQUENCY_LABELS, n
        else:
            assert "labels" not in q, n


def test_hse_items_share_one_priority():
    assert {q["priority"] for q in hse_items()} == {"wellbeing"}


def test_staff_role_group_offers_the_agreed_roles():
    first = questions(load("staff.json"))[0]
    assert first["options"] == ["Teacher", "Teaching assistant", "Support staff", "Leadership", "Other"]


@pytest.mark.parametrize("name", FILES)
def test_attribution_is_present_where_crown_copyright_wording_is_used(name):
    inst = load(name)
    needs_ogl = {"parent.json": "Ofsted Parent View", "staff.json": "HSE Management Standards Indicator Tool"}
    if name in needs_ogl:
        attribution = inst["attribution"] or ""
        assert needs_ogl[name] in attribution
        assert "Crown copyright" in attribution
        assert "Open Government Licence v3.0" in attribution and OGL_URL in attribution
    else:
        assert inst["attribution"] is None


@pytest.mark.parametrize("name", FILES)
def test_no_swemwbs_items_are_shipped(name):
    raw = (BUILTIN / name).read_text(encoding="utf-8").lower()
    assert "wemwbs" not in raw and "warwick" not in raw
    for phrase in SWEMWBS_PHRASES:
        assert phrase not in raw, phrase


@pytest.mark.parametrize("name", FILES)
def test_instrument_ends_with_an_optional_comments_box_unless_it_is_key_stage_1(name):
    last = questions(load(name))[-1]
    if name == "pupil_ks1.json":
        assert last["type"] != "text"
    else:
        assert last["key"] == "comments" and last["type"] == "text" and last["required"] is False
