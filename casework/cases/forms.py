"""One form per thing a person does to a case."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
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
from casework.web.forms import (
    RATING_CHOICES,
    CaseworkForm,
    InCalendar,
    MultiCheckboxField,
    select_choices,
)
from casework.workflow import Step


class CaseFieldsForm(CaseworkForm):
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


class VersionField(HiddenField):
    """The case version a form was opened at, as posted: never filled in from the record
    (``EditCaseForm(obj=case)`` would otherwise take the case's current version for a
    POST without one, and overwrite whatever changed since). A missing version is shown
    above the form, where a hidden field's message can be seen."""

    def process(self, formdata, data=None, extra_filters=None):
        super().process(formdata, None, extra_filters)

    def post_validate(self, form, validation_stopped):
        form.form_errors.extend(self.errors)


class EditCaseForm(CaseFieldsForm):
    assessment = TextAreaField(_l("Assessment"), validators=[Length(max=TEXT_MAX)])
    restricted = BooleanField(
        _l("Restricted"),
        description=_l("Only the owner, program managers and admins see a restricted case "
                       "(e.g. child safety)."),
    )
    version = VersionField(validators=[DataRequired(
        _l("Reload the page and make your change again: the form did not say which "
           "version of the case it was opened at."))])

    def case_fields(self) -> dict:
        fields = {**super().case_fields(), "assessment": self.assessment.data}
        if self.restricted is not None:  # removed for those who may not restrict
            fields["restricted"] = self.restricted.data
        return fields


class TransitionForm(CaseworkForm):
    """A workflow step's form; :func:`transition_form` adds the fields the step takes.

    Fields carry no "required" validators: the workflow decides what a step needs and says
    so beside the field (422), for the page and the API alike.
    """

    version = HiddenField()

    def given(self) -> dict:
        """What the person supplied, by input name, for ``cases.inputs.transition_input``."""
        return {name: getattr(self, name).data for name in self._step_inputs}


# A blank first choice: a value nobody chose is never stored.
_BLANK_RATING = [SelectChoice("", _l("Choose…")), *RATING_CHOICES]


class MarkedRequired:
    """Marks a field as required (label and ``aria-required``) without checking it: the
    workflow checks, with its own message beside the field."""

    field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        return None


def _input_field(name: str, step: Step):
    field = _bare_input_field(name, step)
    if name in step.required_inputs:
        field.kwargs["validators"] = [*field.kwargs.get("validators", []), MarkedRequired()]
    return field


def _bare_input_field(name: str, step: Step):
    if name == "owner":
        return SelectField(_l("Owner"), choices=[], validate_choice=False)
    if name == "resolution":
        return SelectField(_l("Resolution"),
                           choices=select_choices(Resolution, blank=_l("Choose…")),
                           validate_choice=False)
    if name == "residual_likelihood":
        return SelectField(_l("Residual likelihood"), choices=_BLANK_RATING, default="",
                           validate_choice=False)
    if name == "residual_impact":
        return SelectField(_l("Residual impact"), choices=_BLANK_RATING, default="",
                           validate_choice=False)
    if name == "note":
        return TextAreaField(step.note_label, validators=[Length(max=TEXT_MAX)],
                             description=step.note_hint)
    raise ValueError(name)


_FORMS: dict = {}


def transition_form_class(step: Step) -> type[TransitionForm]:
    """The form class for a step, made once from the step's inputs."""
    if step.action not in _FORMS:
        fields = {name: _input_field(name, step) for name in step.input_names}
        _FORMS[step.action] = type(f"{step.action.title().replace('_', '')}Form",
                                   (TransitionForm,), {**fields, "_step_inputs": step.input_names})
    return _FORMS[step.action]


class ActionForm(CaseworkForm):
    title = StringField(_l("Action"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    team = SelectField(_l("Partner team"), choices=select_choices(ActionTeam),
                       validators=[InputRequired()])
    owner = StringField(_l("Who"), validators=[Length(max=NAME_MAX)],
                        description=_l("A partner's name, or a Casework user's e-mail."))
    due = DateField(_l("Due date"), validators=[Optional(), InCalendar()])
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


class CommentForm(CaseworkForm):
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=TEXT_MAX)])
