"""`flask demo-data`: a realistic, seeded, synthetic trust with a year of parent and staff survey results."""

import random
import uuid
from datetime import timedelta

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from app import clock
from app.categorisation.demo import build_demo_categorisation, build_demo_schedule
from app.extensions import db
from app.models import (
    Answer, ClassSession, Hub, InvitationToken, Priority, Response, RoleAssignment, School, Survey,
    Trust, User,
)
from app.models.collection import digest
from app.models.instruments import DONT_KNOW, Instrument, Question
from app.models.surveys import SurveySchool
from app.models.trust import DEFAULT_PRIORITIES, YEAR_GROUPS
from app.surveys.counts import rebuild as rebuild_counts
from app.surveys.library import install_builtin_instruments, latest_published
from app.targets.demo import build_demo_targets

DEMO_PASSWORD = "voice-demo-2026"
DEMO_DOMAIN = "oakvalley.example"

HUBS = {
    "Northfield hub": [
        ("Ashby Road Primary School", 2), ("Brookfield Infant and Junior School", 2),
        ("Church Lane CofE Primary School", 1), ("Little Hadley Primary School", 0.3),
    ],
    "Riverside hub": [
        ("Kingfisher Primary Academy", 2), ("Meadowbank Primary School", 1),
        ("Riverside Junior School", 1.5), ("St Aidan's Catholic Primary School", 1),
    ],
    "Coastal hub": [
        ("Harbour View Primary School", 1), ("Sandy Lane Primary Academy", 2),
        ("Seacombe Primary School", 1), ("Westcliff Primary School", 1.5),
    ],
}


def build_demo_trust(seed=2026, today=None):
    """Create the demo trust and return its Trust; deterministic for a given seed and date."""
    rng = random.Random(seed)
    today = today or clock.today()
    trust = Trust(name="Oak Valley Learning Trust")
    db.session.add(trust)
    for position, (key, name) in enumerate(DEFAULT_PRIORITIES):
        db.session.add(Priority(trust=trust, key=key, name=name, position=position))
    schools = _schools(trust, rng)
    install_builtin_instruments()
    _draft_instrument()
    _users(trust, schools)
    parent = latest_published("parent")
    for title, opens, closes in _survey_windows(today):
        survey = Survey(title=title, instrument=parent, opens_on=opens, closes_on=closes)
        survey.schools = [SurveySchool(school=school) for school in schools]
        db.session.add(survey)
        db.session.flush()
        for school in schools:
            _responses(survey, school, rng, today)
    staff = latest_published("staff")
    for months_ago in (10, 3):
        opens = today - timedelta(days=30 * months_ago)
        survey = Survey(title=f"Staff wellbeing survey, {_term(opens)}", instrument=staff,
                        opens_on=opens, closes_on=opens + timedelta(days=14))
        survey.schools = [SurveySchool(school=school) for school in schools]
        db.session.add(survey)
        db.session.flush()
        for school in schools:
            _responses(survey, school, rng, today)
    staff_by_invitation = _collection_surveys(schools, rng, today)
    _comments_and_actions(schools, rng, today)
    _staff_comments(schools, today)
    rebuild_counts()  # the responses above were bulk-inserted, as an import would
    build_demo_categorisation(trust, rng, today)
    _contacts_and_invitations(schools, staff_by_invitation, rng)
    db.session.commit()
    build_demo_schedule(trust, today)
    build_demo_targets(trust, today)
    return trust


def _schools(trust, rng):
    schools, urn = [], 148301
    for hub_name, members in HUBS.items():
        hub = Hub(trust=trust, name=hub_name)
        for name, forms in members:
            roll = {year: max(5, round(30 * forms + rng.randint(-4, 2))) for year in YEAR_GROUPS}
            total = sum(roll.values())
            school = School(
                trust=trust, hub=hub, urn=str(urn), name=name, roll_by_year=roll,
                staff_count=max(8, round(total / 9)), families_count=round(total * 0.82),
                pupil_premium_pct=round(rng.uniform(8, 45), 1), send_pct=round(rng.uniform(9, 22), 1),
            )
            # A lasting strength or weakness per priority, so schools differ in believable ways.
            school._quality = {key: rng.gauss(0, 0.35) for key, _ in DEFAULT_PRIORITIES}
            schools.append(school)
            urn += rng.randint(3, 40)
    db.session.add_all(schools)
    db.session.flush()
    return schools


def _users(trust, schools):
    hashed = User(email="", name="")
    hashed.set_password(DEMO_PASSWORD)  # hash once: argon2 is slow on purpose

    def add(email, name, role, school=None):
        user = User(email=f"{email}@{DEMO_DOMAIN}", name=name, password_hash=hashed.password_hash)
        user.roles.append(RoleAssignment(role=role, school=school))
        db.session.add(user)

    add("admin", "Alex Admin", "trust_admin")
    add("cio", "Chris Improvement", "cio")
    add("wellbeing", "Wren Wellbeing", "wellbeing")
    for index, school in enumerate(schools, start=1):
        add(f"head{index}", f"Head of {school.name}", "head", school)
        add(f"governor{index}", f"Governor of {school.name}", "governor", school)
        add(f"teacher{index}", f"Teacher at {school.name}", "teacher", school)
        add(f"dsl{index}", f"DSL of {school.name}", "dsl", school)


def _draft_instrument():
    """A trust-written draft, so the library shows authoring in progress."""
    draft = Instrument(
        key="clubs", version=1, name="Breakfast and after-school club survey", audience="parent",
        status="draft", description="Tell us about the school's breakfast and after-school clubs.",
    )
    draft.questions = [
        Question(position=1, section="Clubs", key="uses_clubs", type="yes_no",
                 text="Does your child go to a breakfast or after-school club at school?",
                 translations={"cy": "Ydy'ch plentyn yn mynd i glwb brecwast neu glwb ar ôl ysgol?"}),
        Question(position=2, section="Clubs", key="clubs_enjoy", type="agree5", dont_know=True,
                 priority_key="wellbeing", text="My child enjoys the clubs.",
                 condition={"question": "uses_clubs", "values": [1]}),
        Question(position=3, section="Clubs", key="clubs_days", type="multiple",
                 text="Which days would you use a club?", options=["Monday", "Tuesday", "Wednesday",
                                                                    "Thursday", "Friday"]),
    ]
    db.session.add(draft)


def _survey_windows(today):
    """Three closed parent surveys over the last year, and one open now."""
    opens = today - timedelta(days=7)
    windows = [(f"Parent survey, {_term(opens)}", opens, today + timedelta(days=21))]
    for months_ago in (4, 8, 12):
        start = today - timedelta(days=30 * months_ago)
        windows.append((f"Parent survey, {_term(start)}", start, start + timedelta(days=21)))
    return sorted(windows, key=lambda window: window[1])


def _term(day):
    term = "autumn" if day.month >= 9 else "spring" if day.month <= 3 else "summer"
    return f"{term} {day.year}"


def _collection_surveys(schools, rng, today):
    """A staff survey by invitation and KS2 and KS1 pupil surveys in class sessions, all open now;
    returns the staff one."""
    opens, closes = today - timedelta(days=10), today + timedelta(days=14)
    runs = [("staff", "tokens", "Staff survey"), ("pupil_ks2", "class_session", "Pupil survey (KS2)")]
    by_invitation = None
    for key, mode, title in runs:
        instrument = latest_published(key)
        survey = Survey(title=f"{title}, {_term(opens)}", instrument=instrument, opens_on=opens,
                        closes_on=closes, access_mode=mode, anonymity="anonymous")
        survey.schools = [SurveySchool(school=school) for school in schools]
        db.session.add(survey)
        db.session.flush()
        for link in survey.schools:
            made = _responses(survey, link.school, rng, today, rate=rng.uniform(0.3, 0.6))
            if mode == "tokens":
                by_invitation = survey
                db.session.add_all(
                    InvitationToken(survey_school=link, used=number < made,
                                    token_hash=digest("invitation", uuid.UUID(int=rng.getrandbits(128)).hex))
                    for number in range(link.school.staff_count)
                )
    teacher = db.session.scalar(sa.select(User).where(User.email == f"teacher1@{DEMO_DOMAIN}"))
    now = clock.utcnow()
    db.session.add(ClassSession(
        survey_school=survey.schools[0], teacher=teacher, group_name="Year 5 Oak",
        opened_at=now, ends_at=now + timedelta(hours=4), joins=3, completions=2,
    ))
    # A KS1 class just starting, so the demo shows the faces (and with ?lang=cy, the Welsh).
    ks1 = Survey(title=f"Pupil survey (KS1), {_term(opens)}", instrument=latest_published("pupil_ks1"),
                 opens_on=opens, closes_on=closes, access_mode="class_session", anonymity="anonymous")
    ks1.schools = [SurveySchool(school=survey.schools[0].school)]
    db.session.add(ks1)
    db.session.add(ClassSession(
        survey_school=ks1.schools[0], teacher=teacher, group_name="Year 1 Ash",
        opened_at=now, ends_at=now + timedelta(hours=4),
    ))
    return by_invitation


def _responses(survey, school, rng, today, rate=None):
    """Responses for one school: a believable response rate, answers shaped by the school."""
    window_end = min(survey.closes_on, today)
    days = (window_end - survey.opens_on).days + 1
    full_window = (survey.closes_on - survey.opens_on).days + 1
    staff = survey.instrument.audience == "staff"
    if rate is None:
        rate = rng.uniform(0.55, 0.9) if staff else rng.uniform(0.2, 0.5)
    rate *= min(1, days / full_window)
    count = round(school.eligible(survey.instrument.audience) * rate)
    if school.name.startswith("Little Hadley") and survey.instrument.audience == "parent":
        count = rng.randint(4, 9)  # a small school under the parent threshold of 10
    drift = (survey.opens_on - today).days / 365  # schools improve a little over the year
    questions = [q for q in survey.instrument.questions]
    responses, answers = [], []
    for _ in range(count):
        response_id = uuid.UUID(int=rng.getrandbits(128)).hex
        responses.append({
            "id": response_id, "survey_id": survey.id, "school_id": school.id,
            "submitted_on": survey.opens_on + timedelta(days=rng.randrange(days)),
            "idempotency_key": uuid.UUID(int=rng.getrandbits(128)).hex, "status": "complete",
        })
        has_send = rng.random() < school.send_pct / 100
        for question in questions:
            value = _answer(question, school, rng, drift, has_send)
            if value is not None:
                answers.append({
                    "response_id": response_id, "survey_id": survey.id, "school_id": school.id,
                    "question_key": question.key, "value": value, "text": None,
                })
    if responses:
        db.session.execute(sa.insert(Response), responses)
        db.session.execute(sa.insert(Answer), answers)
    return count


def _answer(question, school, rng, drift, has_send):
    if question.type == "text":
        return None
    if question.type in ("single", "multiple") and question.context != "send":
        return rng.randint(1, len(question.options)) if question.options else None
    if question.context == "send":
        return 1 if has_send else 0
    if question.context == "role_group":
        return rng.choices(range(1, len(question.options) + 1), weights=[5, 4, 3, 1, 1][:len(question.options)])[0]
    if question.condition and not (question.condition["question"] == "has_send" and has_send):
        return None
    if rng.random() < 0.03:
        return None  # left blank
    quality = school._quality.get(question.priority_key, 0) + 0.4 * drift
    if has_send and question.priority_key == "inclusion":
        quality -= 0.5  # families of children with SEND are often less satisfied: a gap to see
    if question.type == "yes_no":
        return 1 if rng.random() < 0.82 + quality / 6 else 0
    if question.type == "faces3":
        return min(3, max(1, round(rng.gauss(2.5 + quality, 0.6))))
    if question.type == "scale010":
        return min(10, max(0, round(rng.gauss(7.5 + 2 * quality, 1.8))))
    if question.dont_know and rng.random() < 0.06:
        return DONT_KNOW
    mood = min(5, max(1, round(rng.gauss(3.9 + quality, 0.9))))
    # Reverse-scored statements ("I have unachievable deadlines"): agreeing is the bad answer.
    return 6 - mood if question.reverse else mood


PARENT_COMMENTS = [
    "My child loves going to school and talks about her teachers every day.",
    "Homework is not always explained, so we struggle to help at home.",
    "Communication from the office could be better; newsletters arrive late.",
    "The playground at lunchtime can be rough and there is some bullying.",
    "Mrs Patel has been wonderful with our son's reading.",
    "More support for children with SEND would help, the EHCP process was slow.",
    "Great eco club and the school garden is lovely.",
    "We would like to hear more about what the children learn each term.",
    "The staff listen when we raise a concern and respond quickly.",
    "Phonics teaching has really helped my daughter.",
]
DISCLOSURE = "Sometimes I am scared to go home because my dad hit me."


def _comments_and_actions(schools, rng, today):
    """Parent comments on the latest closed survey (one a disclosure for the DSL) and action plans."""
    from app.comments.services import flag_safeguarding
    from app.models import Action

    closed = db.session.scalars(
        sa.select(Survey).join(Instrument).where(Instrument.key == "parent",
                                                 Survey.closes_on < today)
        .order_by(Survey.closes_on.desc())).first()
    for index, school in enumerate(schools):
        if closed is None:
            break
        response_ids = db.session.scalars(sa.select(Response.id).where(
            Response.survey_id == closed.id, Response.school_id == school.id)).all()
        for response_id in response_ids[: max(0, len(response_ids) // 3)]:
            db.session.add(Answer(response_id=response_id, survey_id=closed.id,
                                  school_id=school.id, question_key="comments",
                                  text=rng.choice(PARENT_COMMENTS)))
        if index == 0 and response_ids:
            response = db.session.get(Response, response_ids[-1])
            response.answers.append(Answer(survey_id=closed.id, school_id=school.id,
                                           question_key="comments", text=DISCLOSURE))
            db.session.flush()
            flag_safeguarding(response, school.trust_id, {"comments": DISCLOSURE})
        plan = [
            ("curriculum", "aware_learning", "Parents want to know more about what children learn.",
             "Publish a one-page curriculum overview for each year group every term", "Deputy head",
             30, "in_progress", "Autumn overviews sent; spring ones drafted."),
            ("behaviour_safety", "bullying", "Some parents feel bullying is not always dealt with quickly.",
             "Train lunchtime staff and add a playground buddy scheme", "Behaviour lead",
             -10, "planned", None),
            ("leadership_communication", "concerns", "Concerns are not always answered quickly.",
             "Answer every concern within two working days, tracked weekly", "Headteacher",
             -40, "done", "Tracked since September: 94% answered within two days."),
            ("wellbeing", None, "Staff workload is high at the end of each term.",
             "Protect a staff wellbeing afternoon each half term", "Wellbeing lead",
             60, "in_progress", None),
        ]
        for priority, question, said, title, owner, due, status, progress in plan:
            db.session.add(Action(school_id=school.id, priority_key=priority, question_key=question,
                                  you_said=said, title=title, owner=owner,
                                  due_on=today + timedelta(days=due), status=status,
                                  progress=progress))


STAFF_COMMENTS = [
    "Workload is high and stress builds up at the end of each term.",
    "Senior leaders listen when we raise concerns.",
    "Marking takes too long; more time to plan lessons would help.",
    "I feel anxious about the new assessment system.",
    "Communication from leaders has improved this year.",
    "The staff wellbeing afternoons are really appreciated.",
    "Behaviour at lunchtime can be difficult to manage.",
    "More support for pupils with SEND would help.",
    "Thank you to Amira in the office for sorting out cover so quickly.",
]


def _staff_comments(schools, today):
    """Comments on each school's latest closed staff survey, so the wellbeing pack has themes.

    Chosen by position rather than by the shared random generator, so every other demo number
    stays as it was.
    """
    closed = db.session.scalars(
        sa.select(Survey).join(Instrument).where(Instrument.key == "staff", Survey.closes_on < today)
        .order_by(Survey.closes_on.desc())).first()
    if closed is None:
        return
    for school in schools:
        response_ids = db.session.scalars(sa.select(Response.id).where(
            Response.survey_id == closed.id, Response.school_id == school.id)
            .order_by(Response.id)).all()
        for index, response_id in enumerate(response_ids[: len(response_ids) // 2]):
            db.session.add(Answer(response_id=response_id, survey_id=closed.id, school_id=school.id,
                                  question_key="comments",
                                  text=STAFF_COMMENTS[(index + school.id) % len(STAFF_COMMENTS)]))


@click.command("demo-data")
@with_appcontext
@click.option("--seed", default=2026, show_default=True, help="Random seed for the synthetic trust.")
def demo_data_command(seed):
    """Load the demo trust (12 schools, 3 hubs, a year of parent surveys, staff and pupil surveys open) into an empty database."""
    if db.session.scalar(sa.select(Trust.id).limit(1)) is not None:
        click.echo("The database already has a trust; demo data was not loaded.")
    else:
        build_demo_trust(seed)
        click.echo("Loaded the demo trust: Oak Valley Learning Trust, 12 schools in 3 hubs.")
    click.echo(f"Sign in at /sign-in with password {DEMO_PASSWORD!r} as:")
    for email, who in (("cio", "CIO"), ("admin", "trust admin"), ("head1", "headteacher of Ashby Road Primary School"),
                       ("teacher1", "teacher at Ashby Road, with a class session open"),
                       ("dsl1", "DSL of Ashby Road Primary School"),
                       ("wellbeing", "wellbeing committee (trust-wide)")):
        click.echo(f"  {email}@{DEMO_DOMAIN}  ({who})")


def _contacts_and_invitations(schools, survey, rng):
    """Contact lists for every school; the first school's staff were emailed the staff survey's invitations.

    Their invitations are some of that school's tokens (the rest are paper letters), so the
    used ones match responses already made.
    """
    from app.invitations.services import token_of
    from app.models import Contact, Invitation, InvitationToken, OutboxMessage

    first_names = ["Amira", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Hari", "Isla", "Jack"]
    for number, school in enumerate(schools, start=1):
        for n in range(40):
            years = rng.sample(YEAR_GROUPS, k=rng.choice([1, 1, 1, 2]))
            db.session.add(Contact(school_id=school.id, kind="family", year_groups=sorted(years, key=YEAR_GROUPS.index),
                                   email=f"family{n}.school{number}@{DEMO_DOMAIN}"))
        for n in range(8):
            db.session.add(Contact(school_id=school.id, kind="staff", name=f"{first_names[n]} Staff{n}",
                                   email=f"staff{n}.school{number}@{DEMO_DOMAIN}",
                                   role_group=rng.choice(["Teacher", "Teaching assistant", "Support staff"])))
    # A family with children at two schools of the trust: on both lists, invited by both.
    db.session.add(Contact(school_id=schools[1].id, kind="family", year_groups=["Year 5"],
                           email=f"family0.school1@{DEMO_DOMAIN}"))
    db.session.flush()
    link = next(s for s in survey.schools if s.school_id == schools[0].id)
    sent_at = clock.utcnow() - timedelta(days=6)
    contacts = db.session.scalars(sa.select(Contact).where(
        Contact.school_id == schools[0].id, Contact.kind == "staff").order_by(Contact.id)).all()
    tokens = db.session.scalars(sa.select(InvitationToken).where(
        InvitationToken.survey_school_id == link.id).order_by(InvitationToken.id)).all()
    tokens = [t for t in tokens if t.used][:4] + [t for t in tokens if not t.used][:4]
    for contact, token in zip(contacts, tokens):
        seed = uuid.UUID(int=rng.getrandbits(128)).hex[:22]  # from the demo's seed, so the demo repeats
        token.token_hash = digest("invitation", token_of(seed))
        invitation = Invitation(survey_school_id=link.id, contact=contact, seed=seed, token=token)
        bounced = contact.email.startswith("staff7.") and not token.used
        db.session.add(OutboxMessage(
            invitation=invitation, purpose="invitation", recipient=contact.email, attempts=1,
            subject=f"{schools[0].name} would like to hear from you", at=sent_at,
            status="bounced" if bounced else "sent", error="550 5.1.1 No such user here" if bounced else None))
        if not bounced and not token.used:
            db.session.add(OutboxMessage(
                invitation=invitation, purpose="reminder_1", recipient=contact.email, attempts=1,
                subject=f"Reminder: {schools[0].name} would like to hear from you", status="sent",
                at=sent_at + timedelta(days=3)))