"""The admin dashboard: the registry's widgets this user may see, each refreshing on its own."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.module_loading import import_string

from modules.core.businesses.services import can_see_business
from modules.core.registry import registry


def can_see_widget(user, widget):
    if widget.permission and not user.has_perm(widget.permission):
        return False
    return widget.business is None or can_see_business(user, widget.business)


def visible_widgets(user):
    return [w for w in registry.widgets() if can_see_widget(user, w)]


def dashboard_callback(request, context):
    context["widgets"] = [
        {"widget": w, "url": reverse("admin:widget", args=[w.key])} for w in visible_widgets(request.user)
    ]
    return context


def widget_context(request, key):
    widget = registry.widget(key)
    if widget is None:
        raise Http404("no such widget")
    if not can_see_widget(request.user, widget):
        raise PermissionDenied
    return widget, import_string(widget.callable)(request, widget)
