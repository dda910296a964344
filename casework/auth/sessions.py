"""Loading the logged-in user for each request, and ending sessions on the server."""

from flask_babel import lazy_gettext as _l

from casework.extensions import db
from casework.models import User


def configure(login_manager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        # The session holds "id:epoch"; a deactivated user or a bumped epoch
        # (deactivation, role change) ends the session on this very request.
        user_id, _sep, epoch = session_id.partition(":")
        if not user_id.isdigit() or not epoch.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.active or user.session_epoch != int(epoch):
            return None
        return user
