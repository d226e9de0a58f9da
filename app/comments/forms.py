"""Forms: what the DSL did about a flagged comment, and the trust's word lists."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovSubmitInput, GovTextArea
from wtforms import BooleanField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from app.comments.services import MAX_ACTION_TEXT


def _short_enough(form, field):
    if field.data and len(field.data) > MAX_ACTION_TEXT:
        raise ValidationError(f"Keep it to {MAX_ACTION_TEXT:,} characters or fewer: this is "
                              f"{len(field.data):,}. Your text is still below to shorten.")


class HandleFlagForm(FlaskForm):
    action_taken = TextAreaField(
        "What did you do?", widget=GovTextArea(),
        validators=[InputRequired("Enter what you did about this comment."), _short_enough],
        description="For example: logged on the safeguarding system, spoke to the class teacher, "
                    "referred to children's social care. The date and your name are added.",
    )
    release = BooleanField(
        "It may be shown with the other comments, with names removed", widget=GovCheckboxInput(),
    )
    submit = SubmitField("Record what I did", widget=GovSubmitInput())

    def validate_release(self, field):
        # The checkbox sends "y" or nothing; anything else did not come from this page.
        if field.raw_data and field.raw_data != ["y"]:
            raise ValidationError("Tick the box, or leave it empty, to say whether the comment "
                                  "may be shown.")


class WordListForm(FlaskForm):
    words = TextAreaField("Words and phrases, one a line", widget=GovTextArea(),
                          validators=[Length(max=40000, message="That list is too long.")])
    submit = SubmitField("Save the list", widget=GovSubmitInput())
