"""Forms for managing users."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from casework.validation import NAME_MAX
from casework.vocabulary import Role
from casework.web.forms import CaseworkForm, select_choices


class NewUserForm(CaseworkForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)])
    role = SelectField(_l("Role"), choices=select_choices(Role), validators=[InputRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             description=_l("At least 12 characters."))
    confirm = PasswordField(_l("Repeat password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The passwords do not match.")),
    ])


class RoleForm(CaseworkForm):
    role = SelectField(_l("Role"), choices=select_choices(Role), validators=[InputRequired()])


class ResetPasswordForm(CaseworkForm):
    password = PasswordField(_l("Temporary password"),
                             validators=[DataRequired(), Length(max=200)],
                             description=_l("At least 12 characters. Tell it to the user "
                                            "in person; they must choose a new one when "
                                            "they next log in."))
    confirm = PasswordField(_l("Repeat password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The passwords do not match.")),
    ])
