"""PostgreSQL restarting or unreachable: a clear 503 "try again" instead of a 500 page.

A request whose database work failed this way committed nothing (a transaction is all or nothing), so
trying again is safe; the quick sale sends the same sale ID again and is never recorded twice.
"""

import pghistory.middleware
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse

MESSAGE = "The database is restarting. Nothing was lost: try again in a moment."
RETRY_AFTER_SECONDS = 5


def unavailable(request, exception) -> HttpResponse | None:
    """The 503 "try again" for PostgreSQL gone (restarting, unreachable); None for any other error."""
    if not isinstance(exception, (OperationalError, InterfaceError)) or _is_query_error(exception):
        return None
    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
    wants_json = "json" in request.headers.get("Accept", "") or request.content_type == "application/json"
    response = (JsonResponse({"error": MESSAGE, "retry": True}, status=503) if wants_json
                else HttpResponse(f"<!doctype html><title>Try again</title><p>{MESSAGE}</p>", status=503))
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return unavailable(request, exception)


class HistoryMiddleware(pghistory.middleware.HistoryMiddleware):
    """django-pghistory's (who changed master data, through which page), reading the user before
    the view: PostgreSQL gone at that moment answers the same 503 as in a view, not a 500."""

    def __call__(self, request):
        try:
            return super().__call__(request)
        except (OperationalError, InterfaceError) as error:
            response = unavailable(request, error)
            if response is None:
                raise
            return response


def _is_query_error(exception) -> bool:
    """OperationalErrors that are not about the connection (lock timeouts, cancelled statements) stay 500s."""
    cause = exception.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or ""
    return bool(sqlstate) and not sqlstate.startswith(("08", "57P"))  # connection exceptions, admin shutdown
