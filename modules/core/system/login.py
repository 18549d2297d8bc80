"""Login lockout (django-axes) that an attacker can't turn against the owner, under the app's
database role.

Who is locked: axes counts failures per username *and* client address
(``AXES_LOCKOUT_PARAMETERS``), so five bad passwords for ``owner`` from elsewhere lock out only that
elsewhere, never the owner at their own address. A slower, wider limit counts every failure from one
address, whatever the username (``LOGIN_ADDRESS_FAILURE_LIMIT`` within ``LOGIN_ADDRESS_WINDOW``):
one address can't walk through the usernames either. The address is the one nginx appended
(``system.network.client_ip`` via ``AXES_CLIENT_IP_CALLABLE``), never the client's own
``X-Forwarded-For``. Both limits hold on ``/admin/login/`` and on ``/cms/login/``.

Axes' login history (AccessLog) and failure history (AccessFailureLog) are audit trails, declared
append-only in this module's ``module.py``: the app role may insert rows, never change or delete
them. Stock axes does both: it trims each user's failure log to a count, and stamps the logout time
on the login row. Here the failure log is pruned by age instead (``Retention``), and a logout
leaves the login row as it was (the session's end is its expiry or the next login).
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_credentials
from axes.models import AccessFailureLog
from django.conf import settings
from django.utils import timezone


def address_failures(ip_address: str | None) -> int:
    """Failed logins from ``ip_address`` within the address window, for any username."""
    if not ip_address:
        return 0
    since = timezone.now() - settings.LOGIN_ADDRESS_WINDOW
    return AccessFailureLog.objects.filter(ip_address=ip_address, attempt_time__gte=since).count()


def address_is_locked(request) -> bool:
    ip_address = getattr(request, "axes_ip_address", None)
    return address_failures(ip_address) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT


class AppendOnlyAxesHandler(AxesDatabaseHandler):
    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or (settings.AXES_LOCK_OUT_AT_FAILURE
                                                           and address_is_locked(request))

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is not None and settings.AXES_LOCK_OUT_AT_FAILURE and address_is_locked(request):
            request.axes_locked_out = True  # this answer is already the lockout page

    def remove_out_of_limit_failure_logs(self, *, username: str, limit=None) -> int:
        return 0

    def user_logged_out(self, sender, request, user, **kwargs):
        username = user.get_username() if user else None
        self.clean_expired_user_attempts(request, get_credentials(username) if username else None)
