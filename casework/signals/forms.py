"""Forms for filing and triaging signals."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, InputRequired, Length, Optional

from casework.validation import REF_MAX, TEXT_MAX, TITLE_MAX, URL_MAX
from casework.vocabulary import Category, Market, SignalSource, Surface
from casework.web.forms import CaseworkForm, InCalendar, select_choices


class SignalForm(CaseworkForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    description = TextAreaField(_l("Description"), validators=[Length(max=TEXT_MAX)])
    source = SelectField(_l("Source"), choices=select_choices(SignalSource),
                         validators=[InputRequired()])
    market = SelectField(_l("Market"), choices=select_choices(Market), validators=[InputRequired()])
    surface = SelectField(_l("Product surface"),
                          choices=select_choices(Surface, blank=_l("Not known")),
                          validators=[Optional()])
    category = SelectField(_l("Risk category"), choices=select_choices(Category),
                           validators=[InputRequired()])
    url = StringField(_l("Link"), validators=[
        Optional(), Length(max=URL_MAX),
        URL(require_tld=False, message=_l("Give a link starting with http:// or https://.")),
    ])
    observed_at = DateTimeLocalField(
        _l("Observed at"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[Optional(), InCalendar()],
        description=_l("Your local time (Europe/Berlin)."),
    )
    external_ref = StringField(
        _l("External reference"), validators=[Length(max=REF_MAX)],
        description=_l("The signal's ID in its source system, e.g. a ticket number."),
    )


class AttachForm(CaseworkForm):
    case_key = StringField(_l("Case key"), validators=[DataRequired(), Length(max=20)],
                           description=_l("For example RISK-2026-0042."))


class DismissForm(CaseworkForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=TEXT_MAX)])


class DuplicateForm(CaseworkForm):
    of = StringField(_l("Duplicate of"), validators=[DataRequired(), Length(max=20)],
                     description=_l("A signal number such as #12, or a case key such as "
                                    "RISK-2026-0042."))


class ImportForm(CaseworkForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))],
                     description=_l("An Excel export (CSV, ; or , separated) with a header "
                                    "row: Titel/Title, Quelle/Source, Markt/Market, "
                                    "Kategorie/Category, and optionally Beschreibung, "
                                    "Produktbereich, Link, Beobachtet am, Referenz."))


class ConfirmImportForm(CaseworkForm):
    """The previewed file travels back with the confirmation, so nothing is kept between."""

    payload = HiddenField(validators=[DataRequired()])
    filename = HiddenField()
