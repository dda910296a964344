"""Form pieces every feature uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation

from casework.errors import CaseworkError, DatabaseBusy, ValidationFailed
from casework.validation import check_day
from casework.vocabulary import choices


class _Catalogue:
    """WTForms' own messages ("This field is required.") from Casework's catalogue, in the
    request's language (they are marked in ``casework.web.wtforms_messages``)."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


class CaseworkForm(FlaskForm):
    """Every Casework form: a CSRF token, and WTForms' messages in Casework's words."""

    class Meta:
        def get_translations(self, form):
            return _Catalogue()


class EmptyForm(CaseworkForm):
    """Only a CSRF token: for buttons that POST."""


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (markets, surfaces) instead of a multi-select box."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def show_error(form: FlaskForm, error: CaseworkError) -> None:
    """Put an operation's refusal beside the field it concerns, or above the form."""
    messages = error.field_messages() or {"__all__": [error.message]}
    for name, texts in messages.items():
        field = getattr(form, name, None) if name != "__all__" else None
        if field is not None and hasattr(field, "errors") and field.type != "HiddenField":
            field.errors = [*list(field.errors or []), *texts]
        else:
            form.form_errors.extend(texts)


class InCalendar:
    """A date or date-time field's value within the years every input may name (1900 to
    2999, ``validation.check_day``); the message beside the field."""

    def __call__(self, form, field) -> None:
        if field.data is None:
            return
        try:
            day = field.data.date() if isinstance(field.data, datetime) else field.data
            check_day(day, field.name)
        except ValidationFailed as refused:
            raise StopValidation(refused.message) from None


def select_choices(enum_cls, *, blank=None) -> list[SelectChoice]:
    """The options of a select for an enum: canonical values, translated labels."""
    return [SelectChoice(value, label) for value, label in choices(enum_cls, blank=blank)]


RATING_CHOICES = [
    SelectChoice("1", _l("1 - very unlikely / minimal")),
    SelectChoice("2", _l("2 - unlikely / minor")),
    SelectChoice("3", _l("3 - possible / moderate")),
    SelectChoice("4", _l("4 - likely / major")),
    SelectChoice("5", _l("5 - almost certain / severe")),
]


@dataclass
class Outcome:
    """What became of a submitted form: done (with the work's result) or the status to
    show the form again with (200 for a first view, 422 for bad input, or the code of
    the refusal, whose message is then beside its field)."""

    done: bool
    result: object = None
    status: int = 200


def submit(form: FlaskForm, work: Callable[[], object]) -> Outcome:
    """Validate a posted form and run ``work`` as one unit of work. A busy database is
    not the form's fault: it is answered as the error page (503, Retry-After)."""
    from casework.web.edge import unit_of_work

    if not form.is_submitted():
        return Outcome(False)
    if not form.validate():
        return Outcome(False, status=422)
    try:
        with unit_of_work():
            result = work()
    except DatabaseBusy:
        raise
    except CaseworkError as error:
        show_error(form, error)
        return Outcome(False, status=error.status_code)
    return Outcome(True, result)
