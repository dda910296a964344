"""The login form, the user's own password change, and the language switch."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length

from casework.vocabulary import Language, choices
from casework.web.forms import CaseworkForm

# The choice that saves no language: the browser's Accept-Language decides.
BROWSER = "browser"


class LoginForm(CaseworkForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class ChangePasswordForm(CaseworkForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)],
                                 description=_l("At least 12 characters."))
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("The passwords do not match.")),
    ])


class LanguageForm(CaseworkForm):
    """The header's switch (one button per language) and Account's choice."""

    language = SelectField(_l("Language"), choices=lambda: [
        (BROWSER, _l("As my browser asks")), *choices(Language)])
    # The page to go back to (a path of this site only; see auth.views._safe_next).
    next = HiddenField()
