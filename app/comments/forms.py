"""Forms: what the DSL did about a flagged comment, and the trust's word lists."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovSubmitInput, GovTextArea
from wtforms import BooleanField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from app.comments.services import MAX_ACTION_TEXT


class HandleFlagForm(FlaskForm):
    action_taken = TextAreaField(
        "What did you do?", widget=GovTextArea(),
        validators=[InputRequired("Enter what you did about this comment."),
                    Length(max=MAX_ACTION_TEXT, message=f"Keep it under {MAX_ACTION_TEXT} characters.")],
        description="For example: logged on the safeguarding system, spoke to the class teacher, "
                    "referred to children's social care. The date and your name are added.",
    )
    release = BooleanField(
        "It may be shown with the other comments, with names removed", widget=GovCheckboxInput(),
    )
    submit = SubmitField("Record what I did", widget=GovSubmitInput())


class WordListForm(FlaskForm):
    words = TextAreaField("Words and phrases, one a line", widget=GovTextArea(),
                          validators=[Length(max=40000, message="That list is too long.")])
    submit = SubmitField("Save the list", widget=GovSubmitInput())
