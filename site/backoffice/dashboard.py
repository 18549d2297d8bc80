"""The admin dashboard: the registry's widgets this user may see, each refreshing on its own."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from modules.core.businesses.services import can_see_business
from modules.core.registry import registry

logger = logging.getLogger(__name__)


def can_see_widget(user, widget):
    if widget.permission and not user.has_perm(widget.permission):
        return False
    return widget.business is None or can_see_business(user, widget.business)


def visible_widgets(user):
    return [w for w in registry.widgets() if can_see_widget(user, w)]


def dashboard_callback(request, context):
    """Each widget comes with its first contents, so nothing moves when the page settles (a widget
    that fails is fetched again by the page instead of failing the dashboard); the live poll then
    refreshes them through /admin/widgets/<key>/."""
    widgets = []
    for w in visible_widgets(request.user):
        try:
            body = render_to_string("backoffice/widget_body.html", widget_body_context(request, w), request=request)
        except Exception:
            logger.exception("widget %s failed; the page will fetch it", w.key)
            body = None
        widgets.append({"widget": w, "url": reverse("admin:widget", args=[w.key]), "body": body})
    context["widgets"] = widgets
    return context


def widget_context(request, key):
    widget = registry.widget(key)
    if widget is None:
        raise Http404("no such widget")
    if not can_see_widget(request.user, widget):
        raise PermissionDenied
    return widget, widget_body_context(request, widget)


def widget_body_context(request, widget):
    """What backoffice/widget_body.html renders: the widget callable's context and the time."""
    return {"widget": widget, "body_template": widget.template, "updated_at": timezone.localtime(),
            **import_string(widget.callable)(request, widget)}
