"""Login lockout records (django-axes) under the app's database role.

Axes' login history (AccessLog) and failure history (AccessFailureLog) are audit trails, declared
append-only in this module's ``module.py``: the app role may insert rows, never change or delete
them. Stock axes does both: it trims each user's failure log to a count, and stamps the logout time
on the login row. Here the failure log is pruned by age instead (``Retention``), and a logout
leaves the login row as it was (the session's end is its expiry or the next login).
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_credentials


class AppendOnlyAxesHandler(AxesDatabaseHandler):
    def remove_out_of_limit_failure_logs(self, *, username: str, limit=None) -> int:
        return 0

    def user_logged_out(self, sender, request, user, **kwargs):
        username = user.get_username() if user else None
        self.clean_expired_user_attempts(request, get_credentials(username) if username else None)
