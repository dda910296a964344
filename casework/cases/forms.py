"""One form per thing a person does to a case."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from casework.validation import NAME_MAX, TEXT_MAX, TITLE_MAX
from casework.vocabulary import (
    ActionStatus,
    ActionTeam,
    Category,
    Market,
    Resolution,
    Surface,
)
from casework.web.forms import RATING_CHOICES, MultiCheckboxField, select_choices


class CaseFieldsForm(FlaskForm):
    """The fields of a case, as opened from a signal or edited later."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    summary = TextAreaField(_l("Summary"), validators=[Length(max=TEXT_MAX)])
    category = SelectField(_l("Risk category"), choices=select_choices(Category),
                           validators=[InputRequired()])
    markets = MultiCheckboxField(_l("Markets"), choices=select_choices(Market),
                                 validators=[DataRequired(_l("Choose at least one market."))])
    surfaces = MultiCheckboxField(_l("Product surfaces"), choices=select_choices(Surface))
    # The operation checks the range and says "Choose a value from 1 to 5." beside the field.
    likelihood = SelectField(_l("Likelihood"), choices=RATING_CHOICES, default="3",
                             validators=[InputRequired()], validate_choice=False)
    impact = SelectField(_l("Impact"), choices=RATING_CHOICES, default="3",
                         validators=[InputRequired()], validate_choice=False)

    def case_fields(self) -> dict:
        return {
            "title": self.title.data,
            "summary": self.summary.data,
            "category": self.category.data,
            "markets": self.markets.data,
            "surfaces": self.surfaces.data,
            "likelihood": self.likelihood.data,
            "impact": self.impact.data,
        }


class EditCaseForm(CaseFieldsForm):
    assessment = TextAreaField(_l("Assessment"), validators=[Length(max=TEXT_MAX)])
    restricted = BooleanField(
        _l("Restricted"),
        description=_l("Only the owner and program managers see a restricted case "
                       "(e.g. child safety)."),
    )
    version = HiddenField(validators=[DataRequired()])

    def case_fields(self) -> dict:
        fields = {**super().case_fields(), "assessment": self.assessment.data}
        if self.restricted is not None:  # removed for those who may not restrict
            fields["restricted"] = self.restricted.data
        return fields


class AssignForm(FlaskForm):
    owner = SelectField(_l("Owner"), coerce=int, validators=[InputRequired()])
    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=TEXT_MAX)])
    version = HiddenField()


class NoteForm(FlaskForm):
    """A transition that takes a note: optional or required depends on the workflow."""

    note = TextAreaField(_l("Note"), validators=[Length(max=TEXT_MAX)])
    version = HiddenField()


class ApproveForm(FlaskForm):
    resolution = SelectField(_l("Resolution"), choices=select_choices(Resolution, blank=""),
                             validators=[InputRequired()])
    residual_likelihood = SelectField(_l("Residual likelihood"), choices=RATING_CHOICES,
                                      validators=[InputRequired()], validate_choice=False)
    residual_impact = SelectField(_l("Residual impact"), choices=RATING_CHOICES,
                                  validators=[InputRequired()], validate_choice=False)
    note = TextAreaField(_l("Review note"), validators=[DataRequired(), Length(max=TEXT_MAX)])
    version = HiddenField()


class ActionForm(FlaskForm):
    title = StringField(_l("Action"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    team = SelectField(_l("Partner team"), choices=select_choices(ActionTeam),
                       validators=[InputRequired()])
    owner = StringField(_l("Who"), validators=[Length(max=NAME_MAX)],
                        description=_l("A partner's name, or a Casework user's e-mail."))
    due = DateField(_l("Due date"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=select_choices(ActionStatus),
                         validators=[InputRequired()])
    outcome = TextAreaField(_l("Outcome"), validators=[Length(max=TEXT_MAX)])

    def action_fields(self) -> dict:
        return {
            "title": self.title.data,
            "team": self.team.data,
            "owner": self.owner.data or "",
            "due": self.due.data,
            "status": self.status.data,
            "outcome": self.outcome.data or "",
        }


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=TEXT_MAX)])
