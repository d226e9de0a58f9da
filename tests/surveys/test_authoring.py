"""The authoring services: questions, validation, publishing, immutability, new versions and clones."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Instrument, Priority, Question
from app.services import Conflict
from app.surveys import authoring
from app.surveys.authoring import Problem
from tests.builders import make_trust, make_user, parent_instrument


@pytest.fixture
def ctx(app):
    with app.app_context():
        make_trust()
        user = make_user("admin@trust.example", "trust_admin")
        db.session.commit()
        yield user


def question(key, **fields):
    data = {"key": key, "text": f"Question {key}?", "type": "agree5", "priority_key": "wellbeing"}
    data.update(fields)
    return data


def draft_with(user, *questions):
    instrument = authoring.create_instrument(user, "club", "Club survey", "parent")
    for data in questions:
        authoring.add_question(user, instrument, data)
    return instrument


def test_a_draft_gets_questions_in_order_with_every_field(ctx):
    instrument = draft_with(
        ctx, question("happy", dont_know=True, required=True, positive=[5], read_aloud="Say it",
                      hint="Think of this term", section="Your child",
                      translations={"cy": "Hapus?", "pl": "Szczęśliwy?", "ur": "خوش؟"}),
        question("clubs", type="multiple", options=["Football", "Choir", " "], priority_key=None),
        question("why", type="text", priority_key=None,
                 condition={"question": "happy", "values": [1, 2]}),
    )
    db.session.expire_all()
    happy, clubs, why = db.session.get(Instrument, instrument.id).questions
    assert [q.position for q in (happy, clubs, why)] == [1, 2, 3]
    assert (happy.required, happy.dont_know, happy.positive, happy.read_aloud, happy.section) == (
        True, True, [5], "Say it", "Your child")
    assert happy.translations == {"cy": "Hapus?", "pl": "Szczęśliwy?", "ur": "خوش؟"}
    assert clubs.options == ["Football", "Choir"] and clubs.dont_know is False
    assert why.condition == {"question": "happy", "values": [1, 2]}


@pytest.mark.parametrize("data, field, message", [
    (question("happy"), "key", "already in this instrument"),
    (question("Bad Key"), "key", "lower-case letter"),
    (question("k" * 61), "key", "60 characters"),
    (question("long", text="x" * 1001), "text", "1000 characters or fewer"),
    (question("blank", text="   "), "text", "Enter the question"),
    (question("odd", type="matrix"), "type", "Choose a type"),
    (question("pick", type="single", options=["Only one"]), "options", "at least two"),
    (question("pick", type="single", options=["A", "a"]), "options", "different"),
    (question("pos", positive=[6]), "positive", "6 is not an answer"),
    (question("pos", positive=["4"]), "positive", "answer codes"),
    (question("pri", priority_key="astrology"), "priority_key", "priority from the list"),
    (question("cond", condition={"question": "later", "values": [1]}), "condition_question", "earlier"),
    (question("cond", condition={"question": "happy", "values": [9]}), "condition_values", "answer codes"),
    (question("cond", condition={"question": "happy", "values": []}), "condition_values", "Choose the answers"),
    (question("cond", condition={"question": "note", "values": [1]}), "condition_question", "free text"),
    (question("tr", translations={"fr": "Bonjour"}), "translations", "language"),
    (question("tr", translations={"cy": "x" * 1001}), "text_cy", "Welsh"),
])
def test_bad_questions_are_refused_with_a_message_and_nothing_is_added(ctx, data, field, message):
    instrument = draft_with(ctx, question("happy"), question("note", type="text"))
    with pytest.raises(Problem) as refused:
        authoring.add_question(ctx, instrument, data)
    assert refused.value.field == field and message in str(refused.value)
    db.session.rollback()
    assert [q.key for q in db.session.get(Instrument, instrument.id).questions] == ["happy", "note"]


def test_moving_and_deleting_keep_positions_and_conditions_in_order(ctx):
    instrument = draft_with(
        ctx, question("a"), question("b"), question("c", condition={"question": "b", "values": [4, 5]}),
    )
    authoring.move_question(ctx, instrument, "a", "down")
    assert [q.key for q in instrument.questions] == ["b", "a", "c"]
    authoring.move_question(ctx, instrument, "b", "up")  # already first: nothing happens
    assert [q.key for q in instrument.questions] == ["b", "a", "c"]
    authoring.move_question(ctx, instrument, "c", "up")
    assert [q.key for q in instrument.questions] == ["b", "c", "a"]
    authoring.delete_question(ctx, instrument, "a")
    assert [(q.key, q.position) for q in instrument.questions] == [("b", 1), ("c", 2)]


def test_a_question_cannot_move_above_the_question_it_depends_on(ctx):
    instrument = draft_with(ctx, question("a"), question("b", condition={"question": "a", "values": [1]}))
    with pytest.raises(Problem, match="must stay after it"):
        authoring.move_question(ctx, instrument, "b", "up")
    with pytest.raises(Problem, match="must stay after it"):
        authoring.move_question(ctx, instrument, "a", "down")
    with pytest.raises(Problem, match="change their conditions"):
        authoring.delete_question(ctx, instrument, "a")
    db.session.rollback()
    assert [q.key for q in db.session.get(Instrument, instrument.id).questions] == ["a", "b"]
    authoring.delete_question(ctx, instrument, "b")
    authoring.delete_question(ctx, instrument, "a")
    assert db.session.get(Instrument, instrument.id).questions == []


def test_changing_a_question_that_others_depend_on_keeps_their_conditions_valid(ctx):
    instrument = draft_with(ctx, question("a"), question("b", condition={"question": "a", "values": [4]}))
    with pytest.raises(Problem, match="change or remove its condition"):
        authoring.update_question(ctx, instrument, "a", question("a", type="text"))
    db.session.rollback()
    assert db.session.get(Instrument, instrument.id).question("a").type == "agree5"
    authoring.update_question(ctx, instrument, "a", question("a_new", text="Changed?"))
    assert instrument.question("b").condition == {"question": "a_new", "values": [4]}


def test_publishing_freezes_the_version_and_records_an_audit_event(ctx):
    instrument = draft_with(ctx, question("a"))
    authoring.publish(ctx, instrument, "First version")
    assert instrument.status == "published" and instrument.published_at is not None
    assert authoring.publish(ctx, instrument) is instrument  # a double submit changes nothing
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "publish_instrument")).all()
    assert len(events) == 1
    assert events[0].user_id == ctx.id and events[0].detail["instrument_key"] == "club"


def test_an_empty_draft_or_a_broken_condition_cannot_be_published(ctx):
    instrument = draft_with(ctx)
    with pytest.raises(Problem, match="at least one question"):
        authoring.publish(ctx, instrument)
    # A condition written around the service (as an import might) is still caught at publishing.
    instrument.questions.append(Question(position=1, key="x", text="X?", type="agree5",
                                         condition={"question": "x", "values": [1]}))
    db.session.commit()
    with pytest.raises(Problem, match="does not come before it"):
        authoring.publish(ctx, instrument)
    assert db.session.get(Instrument, instrument.id).status == "draft"


@pytest.mark.parametrize("change", [
    lambda user, i: authoring.add_question(user, i, question("new")),
    lambda user, i: authoring.update_question(user, i, "a", question("a", text="Changed")),
    lambda user, i: authoring.update_question(user, i, "a", question("renamed")),
    lambda user, i: authoring.move_question(user, i, "a", "down"),
    lambda user, i: authoring.delete_question(user, i, "a"),
    lambda user, i: authoring.update_details(user, i, "New name", "staff"),
])
def test_a_published_version_cannot_be_changed_by_any_service(ctx, change):
    instrument = draft_with(ctx, question("a"), question("b"))
    authoring.publish(ctx, instrument)
    with pytest.raises(Conflict, match="Make a new version"):
        change(ctx, instrument)
    db.session.rollback()
    db.session.expire_all()
    stored = db.session.get(Instrument, instrument.id)
    assert stored.name == "Club survey" and stored.audience == "parent"
    assert [(q.key, q.text, q.position) for q in stored.questions] == [
        ("a", "Question a?", 1), ("b", "Question b?", 2)]


def test_a_built_in_instrument_is_published_and_cannot_be_changed(ctx):
    parent = parent_instrument()
    db.session.commit()
    with pytest.raises(Conflict):
        authoring.update_question(ctx, parent, parent.questions[0].key, question("x"))


def test_a_new_version_keeps_keys_and_records_changed_wordings(ctx):
    first = draft_with(ctx, question("a"), question("b"))
    authoring.publish(ctx, first)
    second = authoring.new_version(ctx, first)
    assert (second.key, second.version, second.status) == ("club", 2, "draft")
    assert authoring.new_version(ctx, first) is second  # a second press opens the same draft
    assert [q.key for q in second.questions] == ["a", "b"]
    with pytest.raises(Problem, match="keys stay the same"):
        authoring.update_question(ctx, second, "a", question("a_renamed"))
    db.session.rollback()
    second = db.session.get(Instrument, second.id)
    authoring.update_question(ctx, second, "b", question("b", text="Question b, reworded?"))
    authoring.add_question(ctx, second, question("c"))
    authoring.update_question(ctx, second, "c", question("c_new"))  # new in this version: may be renamed
    assert [(q.key, before) for q, before in authoring.changed_wordings(second)] == [("b", "Question b?")]
    authoring.publish(ctx, second, "Clearer wording for b")
    db.session.expire_all()
    second = db.session.get(Instrument, second.id)
    assert {q.key: q.previous_text for q in second.questions} == {
        "a": None, "b": "Question b?", "c_new": None}
    assert second.change_note == "Clearer wording for b"
    assert db.session.get(Instrument, first.id).question("b").text == "Question b?"
    third = authoring.new_version(ctx, second)
    assert third.version == 3 and all(q.previous_text is None for q in third.questions)


def test_a_clone_keeps_every_setting_of_the_instrument_and_its_questions(ctx):
    parent = parent_instrument()
    parent.description, parent.attribution, parent.change_note = "Intro", "Crown copyright", "Note"
    sample = parent.questions[0]
    sample.translations, sample.read_aloud, sample.labels = {"cy": "Cymraeg"}, "Read me", ["x"] * 5
    sample.previous_text = "Old wording"
    db.session.commit()
    copied = authoring.clone(ctx, parent, "parent_hub", "Parent survey (hub)")
    db.session.expire_all()
    copied, parent = db.session.get(Instrument, copied.id), db.session.get(Instrument, parent.id)
    assert (copied.key, copied.version, copied.status, copied.name) == (
        "parent_hub", 1, "draft", "Parent survey (hub)")
    for field in ("audience", "description", "attribution"):
        assert getattr(copied, field) == getattr(parent, field)
    assert copied.change_note is None  # the note was about the original's version
    columns = [c.key for c in sa.inspect(Question).column_attrs
               if c.key not in ("id", "instrument_id", "previous_text")]
    assert len(copied.questions) == len(parent.questions)
    for original, copy in zip(parent.questions, copied.questions):
        assert {c: getattr(copy, c) for c in columns} == {c: getattr(original, c) for c in columns}
    assert copied.questions[0].previous_text is None
    assert any(q.condition for q in copied.questions)  # conditions came too
    with pytest.raises(Problem, match="already exists"):
        authoring.clone(ctx, parent, "parent_hub", "Again")


def test_library_groups_instruments_by_audience_with_question_counts(ctx):
    parent_instrument()
    draft_with(ctx, question("a"))
    groups = authoring.library()
    parent_rows = {row["instrument"].key: row for row in groups["parent"]}
    assert parent_rows["parent"]["builtin"] and parent_rows["parent"]["questions"] > 10
    assert not parent_rows["club"]["builtin"] and parent_rows["club"]["questions"] == 1
    assert {row["instrument"].key for row in groups["staff"]} == {"staff"}


def test_priorities_are_added_renamed_and_reordered_with_stable_keys(ctx):
    added = authoring.add_priority(ctx, "Attendance & punctuality")
    assert added.key == "attendance_punctuality" and added.position == 6
    with pytest.raises(Problem, match="already a priority"):
        authoring.add_priority(ctx, "attendance & PUNCTUALITY")
    authoring.rename_priority(ctx, "wellbeing", "Wellbeing and mental health")
    authoring.move_priority(ctx, "attendance_punctuality", "up")
    keys = [p.key for p in authoring.trust_priorities()]
    assert keys[-2:] == ["attendance_punctuality", "sustainability"]
    assert authoring.priority_names()["wellbeing"] == "Wellbeing and mental health"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Priority)) == 7
    with pytest.raises(Problem, match="Enter the priority"):
        authoring.rename_priority(ctx, "wellbeing", "  ")


def test_a_retired_version_is_kept_but_no_longer_offered_for_surveys(ctx):
    from app.surveys.services import published_instruments

    instrument = draft_with(ctx, question("a"))
    with pytest.raises(Conflict, match="Only a published instrument"):
        authoring.retire(ctx, instrument)
    authoring.publish(ctx, instrument)
    assert instrument in published_instruments()
    authoring.retire(ctx, instrument)
    assert authoring.retire(ctx, instrument).status == "retired"  # a second press changes nothing
    assert instrument not in published_instruments()
    assert [q.key for q in db.session.get(Instrument, instrument.id).questions] == ["a"]
    assert authoring.new_version(ctx, instrument).version == 2


def test_a_question_with_several_problems_gets_every_one_named_by_its_field(ctx):
    instrument = draft_with(ctx, question("happy"))
    with pytest.raises(Problem) as refused:
        authoring.add_question(ctx, instrument, question(
            "happy", text="", priority_key="astrology", type="single", options=["One"],
            condition={"question": "ghost", "values": [1]}, hint="bell\x07"))
    assert [(p.field, str(p)) for p in refused.value.problems] == [
        ("key", "A question with the key ‘happy’ is already in this instrument"),
        ("text", "Enter the question"),
        ("hint", "Remove the invisible control characters from this text"),
        ("priority_key", "Choose a priority from the list"),
        ("condition_question", "A question can only depend on the answer to an earlier question"),
        ("options", "Give at least two answers to choose from, one a line"),
    ]
