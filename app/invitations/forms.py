"""Forms for contact lists and email templates."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput, GovFileInput, GovRadioInput, GovSubmitInput, GovTextArea, GovTextInput,
)
from wtforms import RadioField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.models.invitations import CONTACT_KINDS
from app.models.trust import YEAR_GROUPS


class UploadForm(FlaskForm):
    kind = RadioField("Who is on this list?", choices=list(CONTACT_KINDS.items()),
                      widget=GovRadioInput(), validators=[InputRequired("Choose staff or families")])
    file = FileField("CSV file", widget=GovFileInput(),
                     description="Export the list from your school information system (SIMS, Arbor, Bromcom, ScholarPack) as CSV.",
                     validators=[FileRequired("Choose a CSV file")])
    submit = SubmitField("Upload and choose columns", widget=GovSubmitInput())


class ContactForm(FlaskForm):
    name = StringField("Name", widget=GovTextInput(), validators=[Optional(), Length(max=200)])
    email = StringField("Email address", widget=GovTextInput(), validators=[Optional(), Length(max=254)])
    mobile = StringField("Mobile number", widget=GovTextInput(), validators=[Optional(), Length(max=30)])
    role_group = StringField("Role group", widget=GovTextInput(),
                             description="For example teacher, teaching assistant, support staff.",
                             validators=[Optional(), Length(max=60)])
    year_groups = SelectMultipleField("Children's year groups at this school",
                                      choices=[(y, y) for y in YEAR_GROUPS], widget=GovCheckboxesInput())
    submit = SubmitField("Save contact", widget=GovSubmitInput())


class TemplateForm(FlaskForm):
    subject = StringField("Subject", widget=GovTextInput(),
                          validators=[InputRequired("Enter a subject"), Length(max=200)])
    body = TextAreaField("Words of the email", widget=GovTextArea(),
                         validators=[InputRequired("Enter the words of the email"), Length(max=5000)])
    preview = SubmitField("Preview", widget=GovSubmitInput())
    save = SubmitField("Save email", widget=GovSubmitInput())
