"""Screening free text on submit, the DSL's queue, redacted comments and the trust's word lists."""

import sqlalchemy as sa

from app import clock
from app.comments import screen
from app.extensions import db, get_by_id
from app.models import Answer, CommentFlag, Priority, School, Survey, WordList
from app.models.audit import record
from app.models.comments import DEFAULT_SAFEGUARDING_WORDS, DEFAULT_TOPIC_WORDS
from app.services import Conflict, NotFound, ServiceError, commit

MAX_ACTION_TEXT = 5000
MAX_WORDS = 500
MAX_WORD_LENGTH = 60


# Word lists ---------------------------------------------------------------------------------

def _stored(trust_id, kind, school_id=None, priority_key=None):
    return db.session.scalar(sa.select(WordList).where(
        WordList.trust_id == trust_id, WordList.kind == kind,
        WordList.school_id.is_(None) if school_id is None else WordList.school_id == school_id,
        WordList.priority_key.is_(None) if priority_key is None
        else WordList.priority_key == priority_key,
    ))


def safeguarding_words(trust_id):
    stored = _stored(trust_id, "safeguarding")
    return list(stored.words) if stored else list(DEFAULT_SAFEGUARDING_WORDS)


def names_for(school):
    stored = _stored(school.trust_id, "names", school_id=school.id)
    return list(stored.words) if stored else []


def topic_rules(trust_id):
    """{priority key: [keywords]} for the trust's priorities, defaults where none are saved."""
    keys = db.session.scalars(sa.select(Priority.key).where(Priority.trust_id == trust_id)
                              .order_by(Priority.position)).all()
    rules = {}
    for key in keys:
        stored = _stored(trust_id, "topic", priority_key=key)
        rules[key] = list(stored.words) if stored else list(DEFAULT_TOPIC_WORDS.get(key, []))
    return rules


def parse_words(text):
    """One word or phrase a line (commas also separate); blanks and repeats dropped."""
    words, seen = [], set()
    for line in (text or "").replace(",", "\n").splitlines():
        word = " ".join(line.split())
        if not word or word.lower() in seen:
            continue
        if len(word) > MAX_WORD_LENGTH:
            raise ServiceError(f"“{word[:20]}…” is too long: keep each entry under "
                               f"{MAX_WORD_LENGTH} characters.")
        seen.add(word.lower())
        words.append(word)
    if len(words) > MAX_WORDS:
        raise ServiceError(f"A list can hold up to {MAX_WORDS} entries.")
    return words


def save_word_list(user, trust_id, kind, text, school=None, priority_key=None):
    words = parse_words(text)
    if kind == "safeguarding" and not words:
        raise ServiceError("The safeguarding list cannot be empty.")
    stored = _stored(trust_id, kind, getattr(school, "id", None), priority_key)
    if stored is None:
        stored = WordList(trust_id=trust_id, kind=kind, school_id=getattr(school, "id", None),
                          priority_key=priority_key)
        db.session.add(stored)
    stored.words = words
    record("edit_word_list", user=user, school=school, kind=kind, priority=priority_key,
           entries=len(words))
    commit()
    return words


# Screening on submit ------------------------------------------------------------------------

def flag_safeguarding(response, trust_id, texts):
    """Flag the response's free-text answers that match the safeguarding list, before commit.

    texts: {question key: text} of the response's free-text answers, already flushed.
    Called by submit_response inside its transaction, so an answer is never stored unflagged.
    """
    texts = {key: text for key, text in texts.items() if text}
    if not texts:
        return []
    words = safeguarding_words(trust_id)
    matches = {key: found for key, text in texts.items()
               if (found := screen.safeguarding_matches(text, words))}
    if not matches:
        return []
    answers = db.session.scalars(sa.select(Answer).where(
        Answer.response_id == response.id, Answer.question_key.in_(matches),
        Answer.text.is_not(None)).order_by(Answer.id))
    flags = []
    for answer in answers:
        if answer.text == texts[answer.question_key]:
            flag = CommentFlag(answer=answer, school_id=response.school_id,
                               survey_id=response.survey_id,
                               matched=matches[answer.question_key], status="open")
            db.session.add(flag)
            flags.append(flag)
    if flags:
        record("safeguarding_flag", school=db.session.get(School, response.school_id),
               survey_id=response.survey_id, flags=len(flags))
    return flags


# The DSL's queue ----------------------------------------------------------------------------

def dsl_queue(user):
    """Flags of the schools where the user is DSL: waiting first, oldest first."""
    school_ids = user.school_ids("dsl")
    query = sa.select(CommentFlag).join(School).order_by(
        (CommentFlag.status == "handled"), CommentFlag.flagged_on, CommentFlag.id)
    if school_ids is not None:
        query = query.where(CommentFlag.school_id.in_(school_ids))
    return db.session.scalars(query).all()


def flag_for_dsl(user, flag_id):
    """Load a flag, then check the user is DSL for its school; unknown and forbidden look the same."""
    flag = db.session.get(CommentFlag, flag_id)
    school_ids = user.school_ids("dsl")
    if flag is None or not user.has_role("dsl") or (
            school_ids is not None and flag.school_id not in school_ids):
        raise NotFound("There is no such flagged comment.")
    return flag


def handle_flag(user, flag_id, action_taken, release=False):
    """Record what the DSL did; the comment joins the others only if the DSL releases it."""
    flag = flag_for_dsl(user, flag_id)
    action_taken = (action_taken or "").strip()
    if not action_taken:
        raise ServiceError("Enter what you did about this comment.")
    if len(action_taken) > MAX_ACTION_TEXT:
        raise ServiceError(f"Keep what you did under {MAX_ACTION_TEXT} characters.")
    # A conditional update, so two DSLs pressing the button at once cannot both record.
    done = db.session.execute(
        sa.update(CommentFlag).where(CommentFlag.id == flag.id, CommentFlag.status == "open")
        .values(status="handled", action_taken=action_taken, release=bool(release),
                handled_by_id=user.id, handled_at=clock.utcnow())
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        db.session.rollback()
        raise Conflict("This comment has already been handled.")
    db.session.refresh(flag)
    record("safeguarding_handled", user=user, school=flag.school, flag_id=flag.id,
           released=flag.release)
    commit()
    return flag


# Comments for everyone else -----------------------------------------------------------------

def comments_for(school, survey):
    """Redacted, tagged comments of one school in one survey, or None when too few to show.

    Comments flagged for safeguarding are left out unless the DSL has handled and released them.
    The threshold is the survey audience's, counted on the comments that would be shown.
    """
    withheld = sa.select(CommentFlag.answer_id).where(
        sa.or_(CommentFlag.status != "handled", CommentFlag.release.is_(False)))
    texts = db.session.scalars(
        sa.select(Answer.text).where(
            Answer.survey_id == survey.id, Answer.school_id == school.id,
            Answer.text.is_not(None), Answer.text != "", Answer.id.not_in(withheld))
    ).all()
    threshold = school.trust.threshold(survey.instrument.audience)
    if len(texts) < threshold:
        return None
    names, rules = names_for(school), topic_rules(school.trust_id)
    comments = []
    for text in texts:
        clean = screen.redact_names(text.strip(), names)
        comments.append({"text": clean, "topics": screen.topics(clean, rules)})
    # Sorted by text so the order says nothing about when anyone answered.
    return sorted(comments, key=lambda comment: comment["text"].lower())


def comment_themes(comments, priorities):
    """[(priority, count)] of comments tagged to each priority, most first."""
    counts = {p.key: 0 for p in priorities}
    for comment in comments or []:
        for key in comment["topics"]:
            if key in counts:
                counts[key] += 1
    names = {p.key: p for p in priorities}
    return sorted(((names[k], n) for k, n in counts.items() if n), key=lambda item: -item[1])


def survey_for_school(school, survey_id):
    survey = get_by_id(Survey, survey_id)
    if survey is None or school.id not in {s.school_id for s in survey.schools}:
        raise NotFound("There is no such survey for this school.")
    return survey
