"""GET /admin/live/: the one endpoint each admin page polls.

Unchanged: 304 from the session (cached_db sessions are read from Redis), the user's cached scopes
and the Redis versions; no template, no PostgreSQL. Changed, or Redis down: 200 with the current
versions (the page refreshes the widgets of the scopes that moved), the unread count, the newest
notification's id and the bell.
"""

from django.contrib.auth import SESSION_KEY
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import condition, require_GET

from modules.core.notifications.views import render_bell

from . import presence, services


def _current_etag(request):
    user_id = request.session.get(SESSION_KEY)
    if user_id is None:
        return None
    scopes = services.scopes_for(user_id)
    snapshot = services.versions(scopes) if scopes else None
    request._live_snapshot = snapshot
    editing = request.GET.get("editing", "")
    if snapshot is None or editing:  # presence changes without a version: always answer in full
        return None
    return services.etag(snapshot)


@require_GET
@xframe_options_exempt  # JSON, never framed: one header less on every poll
@cache_control(private=True, no_cache=True)  # short: every unchanged poll carries it
@condition(etag_func=_current_etag)
def live(request):
    if not (request.user.is_authenticated and request.user.is_active and request.user.is_staff):
        return HttpResponse(status=401)
    scopes = services.scopes_for(request.user.pk, user=request.user)
    snapshot = getattr(request, "_live_snapshot", None) or services.versions(scopes)
    since = request.GET.get("since", "")
    since = int(since) if since.isdigit() else None
    bell = render_bell(request, since)
    body = {"versions": snapshot or {}, "unread": bell.context_data["unread"], "newest": bell.context_data["newest_id"],
            "bell": bell.rendered_content}
    editing = request.GET.get("editing", "")
    if editing:
        record = presence.record_from_token(editing, request.user)
        body["editors"] = presence.refresh(record, request.user) if record else []
    response = JsonResponse(body)
    if snapshot and not editing:  # the first poll's ETag (the cheap path had no cached scopes yet)
        response["ETag"] = f'"{services.etag(snapshot)}"'
    return response


live.checks_its_own_access = True  # no admin_view: it would load the user from PostgreSQL on every poll
urlpatterns = [path("live/", live, name="poll")]
