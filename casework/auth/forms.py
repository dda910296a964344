"""The login form, and the user's own password change."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)],
                                 description=_l("At least 12 characters."))
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("The passwords do not match.")),
    ])
