"""Forms: scheduling a survey, and the respondent's questionnaire built from an instrument."""

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount, GovCheckboxesInput, GovDateInput, GovRadioInput, GovSelect,
    GovSubmitInput, GovTextInput,
)
from wtforms import (
    DateField, HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField,
    SubmitField, TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

MAX_TEXT_ANSWER = 2000
MAX_NAME = 100
# The standard answer labels, translated on the respondent's page; a trust's own labels and
# options are shown as written.
STANDARD_LABELS = {
    "Strongly agree": _l("Strongly agree"),
    "Agree": _l("Agree"),
    "Neither agree nor disagree": _l("Neither agree nor disagree"),
    "Disagree": _l("Disagree"),
    "Strongly disagree": _l("Strongly disagree"),
    "Don't know": _l("Don't know"),
    "Happy": _l("Happy"),
    "Okay": _l("Okay"),
    "Not happy": _l("Not happy"),
    "Yes": _l("Yes"),
    "No": _l("No"),
    # Year groups, as the built-in instruments ask them.
    "Reception": _l("Reception"),
    "Year 1": _l("Year 1"),
    "Year 2": _l("Year 2"),
    "Year 3": _l("Year 3"),
    "Year 4": _l("Year 4"),
    "Year 5": _l("Year 5"),
    "Year 6": _l("Year 6"),
}


class DateInput(GovDateInput):
    """GOV.UK day/month/year boxes that also survive a post missing some of the three."""

    def map_gov_params(self, field, **kwargs):
        if field.raw_data is not None and len(field.raw_data) != 3:
            field.raw_data = (list(field.raw_data) + ["", "", ""])[:3]
        return super().map_gov_params(field, **kwargs)


class FriendlyChoices:
    """Refuse values that are not among the choices with a message that says what to do."""

    refusal = _l("Choose from the list")

    def process_formdata(self, valuelist):
        self.refused = False
        try:
            super().process_formdata(valuelist)
        except ValueError:  # not even a number
            self.refused, self.data = True, None

    def pre_validate(self, form):
        allowed = {value for value, _ in self.choices}
        given = self.data if isinstance(self.data, list) else [self.data]
        if getattr(self, "refused", False) or any(
            value is not None and value not in allowed for value in given
        ):
            raise ValidationError(self.refusal)


class Choice(FriendlyChoices, SelectField):
    def pre_validate(self, form):
        if self.data is None:
            raise ValidationError(self.refusal)
        super().pre_validate(form)


class Choices(FriendlyChoices, SelectMultipleField):
    pass


class Answer(FriendlyChoices, RadioField):
    refusal = _l("Choose one of the answers given")


class AnswerList(FriendlyChoices, SelectMultipleField):
    refusal = _l("Choose from the answers given")


class SurveyForm(FlaskForm):
    title = StringField(
        "Survey title", widget=GovTextInput(),
        description="Parents see this, for example 'Parent survey, spring 2027'.",
        validators=[InputRequired("Enter a title for the survey"), Length(max=200)],
    )
    instrument_id = Choice(
        "Questionnaire", coerce=int, widget=GovSelect(),
        validators=[InputRequired("Choose a questionnaire")],
    )
    school_ids = Choices(
        "Schools taking part", coerce=int, widget=GovCheckboxesInput(),
        validators=[InputRequired("Choose at least one school")],
    )
    opens_on = DateField(
        "Opens on", widget=DateInput(), format="%d %m %Y",
        description="For example, 14 1 2027",
        validators=[InputRequired("Enter the date the survey opens")],
    )
    closes_on = DateField(
        "Closes on", widget=DateInput(), format="%d %m %Y",
        description="Parents can answer until the end of this day.",
        validators=[InputRequired("Enter the date the survey closes")],
    )
    access_mode = Answer(
        "How people answer", widget=GovRadioInput(), choices=[
            ("open_link", "Open link for each school, for example in the newsletter"),
            ("tokens", "Single-use invitations, printed as letters or sent as links"),
            ("class_session", "Pupils in class: a teacher shows a join code on the board"),
        ], default="open_link",
        validators=[InputRequired("Choose how people answer")],
    )
    anonymity = Answer(
        "Anonymity", widget=GovRadioInput(), choices=[
            ("anonymous", "Anonymous: nobody, not even the trust, can tell who answered"),
            ("confidential", "Confidential: answers are only reported for groups, never for one person"),
            ("named", "Named: people may give their name; only the school's DSL sees it, beside a "
                      "flagged comment (pupils in class are not asked)"),
        ], default="anonymous",
        description="Once anyone has answered, this can be made stricter but never looser.",
        validators=[InputRequired("Choose how anonymous the survey is")],
    )
    submit = SubmitField("Create survey", widget=GovSubmitInput())

    def validate_closes_on(self, field):
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError("The closing date must be on or after the opening date")


class AnonymityForm(FlaskForm):
    anonymity = SurveyForm.anonymity
    submit = SubmitField("Change anonymity", widget=GovSubmitInput())


class InvitationsForm(FlaskForm):
    count = IntegerField(
        "Number of invitations", widget=GovTextInput(),
        validators=[InputRequired("Enter how many invitations to make"),
                    NumberRange(1, 1000, "Enter a number from 1 to 1000")],
    )
    format = Answer(
        "Download as", widget=GovRadioInput(), default="pdf", choices=[
            ("pdf", "Letters to print, each with its own link and QR code (PDF)"),
            ("csv", "A spreadsheet of links to send by email or text (CSV)"),
        ], validators=[InputRequired("Choose a format")],
    )
    submit = SubmitField("Make and download invitations", widget=GovSubmitInput())


class ClassSessionForm(FlaskForm):
    group_name = StringField(
        "Class or year group", widget=GovTextInput(),
        description="For example, Year 4 Oak. Pupils do not see this.",
        validators=[InputRequired("Enter the class or year group"), Length(max=60)],
    )
    minutes = Answer(
        "How long", coerce=int, widget=GovRadioInput(), default=45,
        choices=[(30, "30 minutes"), (45, "45 minutes"), (60, "1 hour"), (90, "1 hour 30 minutes")],
        validators=[InputRequired("Choose how long the session lasts")],
    )
    submit = SubmitField("Start the session", widget=GovSubmitInput())


class JoinForm(FlaskForm):
    code = StringField(
        _l("Type the code from the board"), widget=GovTextInput(),
        validators=[InputRequired(_l("Type the code from the board")), Length(max=20)],
    )
    submit = SubmitField(_l("Start"), widget=GovSubmitInput())


class RespondentForm(FlaskForm):
    """Base of every questionnaire form: the idempotency key travels with the answers."""

    submission_key = HiddenField(validators=[InputRequired(), Length(min=16, max=64)])
    submit = SubmitField(_l("Send my answers"), widget=GovSubmitInput())


def field_name(question):
    return f"q_{question.key}"


def page_cache_key(instrument, language, named):
    """What a respondent page built from a published version depends on, for the per-app caches
    of its form class and blank questions (per app: one app, one database, so an id cannot name
    another database's instrument)."""
    return (instrument.id, instrument.key, instrument.version, language, named)


def respondent_form_class(instrument, language="en", named=False):
    """A FlaskForm class with one field per question of the instrument, worded in `language`
    where the instrument has a translation; named surveys first ask for the person's name.
    A published version never changes, so its class is built once per app."""
    cache = current_app.extensions.setdefault("sv_form_classes", {})
    key = page_cache_key(instrument, language, named)
    form_class = cache.get(key)
    if form_class is None:
        fields = {field_name(q): question_field(q, language) for q in instrument.questions}
        if named:
            fields["respondent_name"] = StringField(
                _("Your name (optional)"), widget=GovTextInput(),
                description=_("Leave this blank to answer without giving your name."),
                validators=[Optional(), Length(max=MAX_NAME, message=_(
                    "Your name must be %(count)d characters or fewer", count=MAX_NAME))],
            )
        form_class = type(f"{instrument.key.title()}Form", (RespondentForm,), fields)
        if instrument.status == "published":
            cache[key] = form_class
    return form_class


def localised_choices(question):
    """(code, label) pairs with the standard labels in the page's language."""
    return [(code, str(STANDARD_LABELS.get(label, label))) for code, label in question.choices()]


def question_field(question, language="en"):
    text = question.text_in(language)
    hint = question.hint or ""
    if question.type == "text":
        return TextAreaField(
            text, description=hint,
            widget=GovCharacterCount(),
            validators=[
                InputRequired(_("Write an answer")) if question.required else Optional(),
                Length(max=MAX_TEXT_ANSWER, message=_(
                    "Answers must be %(count)d characters or fewer", count=MAX_TEXT_ANSWER)),
            ],
        )
    message = _("Answer the question: %(question)s", question=text)
    presence = InputRequired(message) if question.required else Optional()
    choices = localised_choices(question)
    if question.type == "multiple":
        return AnswerList(
            text, description=hint, coerce=int, choices=choices,
            widget=GovCheckboxesInput(), validators=[presence],
        )
    return Answer(
        text, description=hint, coerce=int, choices=choices,
        widget=GovRadioInput(), validators=[presence],
    )


def respondent_name_from(form):
    """The name a person gave on a named survey, or None."""
    field = getattr(form, "respondent_name", None)
    name = (field.data or "").strip() if field is not None and not field.errors else ""
    return name[:MAX_NAME] or None


def answers_from_form(form, instrument):
    """{question key: [codes] or text} for the questions that are shown and answered."""
    answers = {}
    for question in instrument.questions:
        data = form[field_name(question)].data
        if form[field_name(question)].errors:
            continue
        if question.type == "text":
            if data and data.strip():
                answers[question.key] = data.strip()
        elif question.type == "multiple":
            if data:
                answers[question.key] = list(data)
        elif data is not None:
            answers[question.key] = [data]
    # A question whose condition no longer holds (the answer it hangs on changed) is dropped.
    return {
        key: value for key, value in answers.items()
        if instrument.question(key).is_shown(answers)
    }


def validate_questionnaire(form, instrument):
    """Validate, ignoring errors on questions whose display condition does not hold."""
    if form.validate():
        return True
    answers = answers_from_form_unchecked(form, instrument)
    for question in instrument.questions:
        if not question.is_shown(answers):
            form[field_name(question)].errors = []
    form.form_errors = [e for e in form.form_errors if e]
    return not any(field.errors for field in form)


def answers_from_form_unchecked(form, instrument):
    """The codes given so far, for deciding which conditional questions are shown."""
    answers = {}
    for question in instrument.questions:
        data = form[field_name(question)].data
        if isinstance(data, int):
            answers[question.key] = [data]
        elif isinstance(data, list):
            answers[question.key] = data
    return answers


def sections_of(instrument):
    """[(section title, [questions])] in the instrument's order."""
    sections = []
    for question in instrument.questions:
        if not sections or sections[-1][0] != question.section:
            sections.append((question.section, []))
        sections[-1][1].append(question)
    return sections
