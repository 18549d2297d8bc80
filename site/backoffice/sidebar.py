"""The Unfold sidebar, built per request from the module registry and the user's permissions."""

from django.urls import reverse
from django.utils.translation import gettext as _

from modules.core.businesses.services import can_see_business
from modules.core.registry import registry


def _link(target):
    return target if target.startswith("/") else reverse(target)


def _allowed(user, permission):
    return permission is None or user.has_perm(permission)


def navigation(request):
    user = request.user
    groups = [
        {
            "title": _("Today"),
            "items": [{"title": _("Dashboard"), "icon": "space_dashboard", "link": reverse("admin:index")}],
        }
    ]
    for module in registry.modules():
        if module.business and not can_see_business(user, module.business.code):
            continue
        items = [
            {"title": _(item.title), "icon": item.icon, "link": _link(item.link)}
            for item in module.menu
            if _allowed(user, item.permission)
        ]
        if items:
            groups.append({"title": _(module.label), "separator": True, "items": items})
    return groups


def subheader(request):
    """Under the brand: the businesses this user works in, e.g. "Water · Laundry · Shop"."""
    return " · ".join(_(m.label) for m in registry.modules()
                      if m.business and can_see_business(request.user, m.business.code))
