"""The bell, the full list, mark read, and preferences: every view sees only request.user's rows."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from modules.core.businesses.admin_kit import admin_page

from . import services

PAGE_SIZE = 30


def _int(value) -> int | None:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return None


def bell_context(request, since: int | None) -> dict:
    """What the bell shows: reusable by any endpoint that returns the bell (e.g. a page's live poll).
    ``since``: the newest id the client already knows; newer unread items become toasts."""
    user = request.user
    items = services.latest(user)
    return {
        "unread": services.unread_count(user),
        "items": items,
        "newest_id": items[0].pk if items else 0,
        "toasts": services.arrived_since(user, since) if since is not None else [],
    }


def render_bell(request, since: int | None = None) -> TemplateResponse:
    """X-Bell marks a real bell fragment: the header swaps nothing else in (e.g. the login page that a
    poll lands on after the session ended)."""
    response = TemplateResponse(request, "notifications/bell_fragment.html", bell_context(request, since))
    response["X-Bell"] = "1"
    return response


@require_GET
@never_cache
def bell(request):
    """The bell fragment, polled by htmx every 15 s while the page is visible (?since=<newest id>)."""
    return render_bell(request, _int(request.GET.get("since")))


def _back(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("admin:notifications:list")


@require_POST
def open_notification(request, pk):
    """Tapping a notification: it is read now, then its link opens."""
    notification = services.mark_read(request.user, pk)
    if notification is None:
        raise Http404("No such notification")
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, {request.get_host()}, request.is_secure()):
        return redirect(link)
    return redirect("admin:notifications:list")


@require_POST
def mark_read(request, pk):
    if services.mark_read(request.user, pk) is None:
        raise Http404("No such notification")
    return render_bell(request) if request.headers.get("HX-Request") else _back(request)


@require_POST
def mark_all_read(request):
    services.mark_all_read(request.user)
    return render_bell(request) if request.headers.get("HX-Request") else _back(request)


@require_GET
@admin_page(gettext_lazy("Notifications"), template="notifications/list.html")
def notification_list(request):
    rows = services.for_user(request.user).order_by("-id")
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page": page, "unread_only": unread_only, "unread": services.unread_count(request.user),
            "here": request.get_full_path()}


@require_http_methods(["GET", "POST"])
@admin_page(gettext_lazy("Notification settings"), template="notifications/preferences.html")
def preferences(request):
    """Which kinds reach the bell; the owner also ticks which of the SMS-able kinds (big approvals,
    M-Pesa inbox items, system warnings) are texted to their phone (kept by the sms module)."""
    kinds = services.kinds()
    may_text = services.may_text(request.user)
    if request.method == "POST":
        services.set_preferences(request.user, request.POST.getlist("kind"),
                                 request.POST.getlist("sms") if may_text else None)
        return redirect(reverse("admin:notifications:preferences") + "?saved=1")
    disabled, texted = services.disabled_kinds(request.user), services.texted_kinds(request.user)
    return {"choices": [(k, k.key not in disabled, may_text and k.sms, k.key in texted) for k in kinds],
            "may_text": may_text, "saved": request.GET.get("saved") == "1"}


admin_urlpatterns = [
    path("notifications/", notification_list, name="list"),
    path("notifications/bell/", bell, name="bell"),
    path("notifications/preferences/", preferences, name="preferences"),
    path("notifications/read-all/", mark_all_read, name="read_all"),
    path("notifications/<int:pk>/read/", mark_read, name="read"),
    path("notifications/<int:pk>/open/", open_notification, name="open"),
]
