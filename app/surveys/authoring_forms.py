"""Forms for the instrument library: instrument details, questions, publishing, clones and priorities."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput, GovFileInput, GovRadioInput, GovSelect, GovSubmitInput, GovTextArea, GovTextInput,
)
from wtforms import BooleanField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from app.models import AUDIENCES
from app.surveys.authoring import LANGUAGES, MAX_KEY, MAX_LONG_TEXT, MAX_NAME, MAX_TEXT
from app.surveys.forms import Answer, Choice

TYPE_LABELS = {
    "agree5": "Agree or disagree (5 points)",
    "faces3": "Three faces (for younger pupils)",
    "yes_no": "Yes or no",
    "single": "One answer from a list",
    "multiple": "Any answers from a list",
    "scale010": "0 to 10 scale",
    "text": "Free text",
}
CODES_HINT = (
    "Answer codes: agree or disagree 5 (strongly agree) to 1 (strongly disagree); faces 3 (happy) "
    "to 1; yes 1, no 0; lists 1, 2, 3… in order; scale 0 to 10."
)
KEY_HINT = "Lower-case letters, numbers and _ , for example ‘feels_safe’. It never changes once published."
# Room for a little more than the service allows, so the service gives the clear message.
SLACK = 100


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token travels with it."""


class InstrumentForm(FlaskForm):
    name = StringField(
        "Name", widget=GovTextInput(), description="Respondents see this, for example ‘Parent survey’.",
        validators=[InputRequired("Enter a name for the instrument"), Length(max=MAX_NAME)],
    )
    key = StringField(
        "Key", widget=GovTextInput(), description=KEY_HINT,
        validators=[InputRequired("Enter a key"), Length(max=MAX_KEY)],
    )
    audience = Answer(
        "Who answers it", widget=GovRadioInput(), choices=list(AUDIENCES.items()),
        validators=[InputRequired("Choose who answers the instrument")],
    )
    description = TextAreaField(
        "Introduction (optional)", widget=GovTextArea(),
        description="Shown at the top of the questionnaire.", validators=[Length(max=MAX_LONG_TEXT)],
    )
    attribution = TextAreaField(
        "Attribution (optional)", widget=GovTextArea(),
        description="Credit for borrowed wording, for example an Open Government Licence statement.",
        validators=[Length(max=MAX_LONG_TEXT)],
    )
    submit = SubmitField("Create draft", widget=GovSubmitInput())


class DetailsForm(InstrumentForm):
    key = None
    change_note = TextAreaField(
        "What changed in this version (optional)", widget=GovTextArea(),
        validators=[Length(max=MAX_LONG_TEXT)],
    )
    submit = SubmitField("Save details", widget=GovSubmitInput())


class CodesField(StringField):
    """Answer codes typed as '4, 5'; None when left blank."""

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.bad = False
        if not self.raw:
            self.data = None
            return
        try:
            self.data = [int(part) for part in self.raw.replace(";", ",").split(",") if part.strip()]
        except ValueError:
            self.bad, self.data = True, None

    def _value(self):
        if getattr(self, "raw", None) is not None:
            return self.raw
        return ", ".join(map(str, self.data)) if self.data else ""

    def pre_validate(self, form):
        if getattr(self, "bad", False):
            raise ValidationError("Enter answer codes as whole numbers separated by commas, for example 4, 5")


class QuestionForm(FlaskForm):
    text = TextAreaField(
        "Question", widget=GovTextArea(),
        validators=[InputRequired("Enter the question"), Length(max=MAX_TEXT + SLACK)],
    )
    key = StringField(
        "Key", widget=GovTextInput(), description=KEY_HINT,
        validators=[InputRequired("Enter a key for the question"), Length(max=MAX_KEY + SLACK)],
    )
    type = Answer(
        "Type of answer", widget=GovRadioInput(), choices=list(TYPE_LABELS.items()),
        validators=[InputRequired("Choose a type of question")],
    )
    options = TextAreaField(
        "Answers to choose from", widget=GovTextArea(),
        description="For ‘one answer’ and ‘any answers’ questions: one answer a line.",
        validators=[Length(max=(200 + 2) * 30)],
    )
    required = BooleanField("People must answer this question", widget=GovCheckboxInput())
    dont_know = BooleanField("Offer ‘Don’t know’ (agree or disagree questions)", widget=GovCheckboxInput())
    reverse = BooleanField(
        "Reverse scored: disagreeing is the positive answer", widget=GovCheckboxInput(),
    )
    positive = CodesField(
        "Answers that count as positive (optional)", widget=GovTextInput(),
        description=CODES_HINT + " Leave blank for the usual: agree and strongly agree; happy; yes; 9 and 10.",
    )
    priority_key = Choice("Priority", widget=GovSelect())
    section = StringField(
        "Section (optional)", widget=GovTextInput(),
        description="Questions with the same section are shown under one heading.",
        validators=[Length(max=MAX_NAME + SLACK)],
    )
    hint = TextAreaField("Hint (optional)", widget=GovTextArea(), validators=[Length(max=MAX_TEXT + SLACK)])
    read_aloud = TextAreaField(
        "Read-aloud text (optional)", widget=GovTextArea(),
        description="What the read-aloud button says, for pupils who are not yet confident readers.",
        validators=[Length(max=MAX_TEXT + SLACK)],
    )
    condition_question = Choice(
        "Show only after an answer to (optional)", widget=GovSelect(),
        description="An earlier question whose answer decides whether this one is shown.",
    )
    condition_values = CodesField(
        "Answers that show this question", widget=GovTextInput(), description=CODES_HINT,
    )
    submit = SubmitField("Save question", widget=GovSubmitInput())

    def data_for_service(self):
        translations = {code: self[f"text_{code}"].data for code in LANGUAGES}
        condition = None
        if self.condition_question.data:
            condition = {"question": self.condition_question.data, "values": self.condition_values.data or []}
        return {
            "key": self.key.data, "text": self.text.data, "type": self.type.data,
            "section": self.section.data, "priority_key": self.priority_key.data or None,
            "required": self.required.data, "dont_know": self.dont_know.data,
            "reverse": self.reverse.data, "positive": self.positive.data,
            "options": (self.options.data or "").splitlines(), "hint": self.hint.data,
            "read_aloud": self.read_aloud.data, "condition": condition, "translations": translations,
        }

    def fill_from(self, question):
        for name in ("key", "text", "type", "section", "required", "dont_know", "reverse", "hint", "read_aloud"):
            self[name].data = getattr(question, name)
        self.priority_key.data = question.priority_key or ""
        self.positive.data = question.positive
        self.options.data = "\n".join(question.options or [])
        if question.condition:
            self.condition_question.data = question.condition["question"]
            self.condition_values.data = question.condition["values"]
        for code in LANGUAGES:
            self[f"text_{code}"].data = (question.translations or {}).get(code)


for _code, _language in LANGUAGES.items():
    setattr(QuestionForm, f"text_{_code}", TextAreaField(
        f"Question in {_language} (optional)", widget=GovTextArea(),
        validators=[Length(max=MAX_TEXT + SLACK)],
    ))


class PublishForm(FlaskForm):
    change_note = TextAreaField(
        "What changed and why (optional)", widget=GovTextArea(),
        description="Kept with the version, so people reading results over time know.",
        validators=[Length(max=MAX_LONG_TEXT)],
    )
    submit = SubmitField("Publish", widget=GovSubmitInput())


class CloneForm(FlaskForm):
    name = StringField(
        "Name of the copy", widget=GovTextInput(),
        validators=[InputRequired("Enter a name for the copy"), Length(max=MAX_NAME)],
    )
    key = StringField(
        "Key of the copy", widget=GovTextInput(), description=KEY_HINT,
        validators=[InputRequired("Enter a key"), Length(max=MAX_KEY)],
    )
    submit = SubmitField("Make a copy", widget=GovSubmitInput())


class PriorityForm(FlaskForm):
    name = StringField(
        "Name", widget=GovTextInput(),
        validators=[InputRequired("Enter the priority's name"), Length(max=120)],
    )
    submit = SubmitField("Save priority", widget=GovSubmitInput())


class ImportForm(FlaskForm):
    file = FileField(
        "Instrument file", widget=GovFileInput(),
        description="A JSON file exported from here, or an XLSForm spreadsheet (.xlsx) with the sheets "
                    "survey, choices and settings, as KoboToolbox and ODK use. 1 MB at most.",
        validators=[FileRequired("Choose a file to import")],
    )
    on_clash = RadioField(
        "If an instrument with the same key is already here", widget=GovRadioInput(), default="version",
        choices=[
            ("version", "Make a new draft version of it (published versions never change)"),
            ("replace", "Replace its draft, if it has one"),
        ],
        validators=[InputRequired("Choose what to do if the key is already in use")],
    )
    key = StringField(
        "Import under a different key (optional)", widget=GovTextInput(),
        description="Leave blank to use the key in the file. A new key makes a separate instrument.",
        validators=[Length(max=MAX_KEY + SLACK)],
    )
    submit = SubmitField("Import as a draft", widget=GovSubmitInput())
