"""The form for one action of a school's action plan."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput, GovSelect, GovSubmitInput, GovTextArea, GovTextInput,
)
from wtforms import DateField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.models.actions import ACTION_STATUSES
from app.surveys.forms import DateInput


class ActionForm(FlaskForm):
    priority_key = SelectField("Priority", widget=GovSelect(),
                               validators=[InputRequired("Choose a priority.")])
    question_key = SelectField("Indicator it answers", widget=GovSelect(), validators=[Optional()],
                               description="The survey question whose result this action should move.")
    you_said = TextAreaField("What people said", widget=GovTextArea(),
                             validators=[InputRequired("Enter what people said."), Length(max=2000)],
                             description="In plain words for parents, e.g. “Homework is not explained well enough”.")
    title = StringField("What we are doing", widget=GovTextInput(),
                        validators=[InputRequired("Enter the action."), Length(max=300)])
    owner = StringField("Owner", widget=GovTextInput(),
                        validators=[InputRequired("Enter who owns the action."), Length(max=200)],
                        description="A role is better than a name, e.g. “Deputy head”.")
    due_on = DateField("Due by", widget=DateInput(), format="%d %m %Y",
                       validators=[InputRequired("Enter the date the action is due.")])
    status = RadioField("Status", widget=GovRadioInput(), choices=list(ACTION_STATUSES.items()),
                        default="planned", validators=[InputRequired("Choose a status.")])
    progress = TextAreaField("Progress so far", widget=GovTextArea(),
                             validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Save the action", widget=GovSubmitInput())
