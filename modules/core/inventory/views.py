"""Stock reports inside the admin: valuation at average cost."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from modules.core.businesses.services import businesses_for
from modules.core.registry.roles import business_codes_for

from . import services

CONSOLIDATED = ""


def valuation_view(request):
    """Per business for staff; owners and accountants may also pick all businesses together."""
    businesses = list(businesses_for(request.user))
    if not request.user.has_perm("inventory.view_stocklevel") or not businesses:
        raise PermissionDenied
    choices = [(b.code, b.name) for b in businesses]
    if business_codes_for(request.user) is None:
        choices.insert(0, (CONSOLIDATED, "All businesses (consolidated)"))
    selected = request.GET.get("business", choices[0][0])
    if selected not in dict(choices):
        raise PermissionDenied
    report = services.valuation(selected or None)
    return TemplateResponse(request, "inventory/valuation.html", {
        **admin.site.each_context(request), "title": "Stock valuation", "choices": choices, "selected": selected,
        "consolidated": selected == CONSOLIDATED, "report": report})


admin_urlpatterns = [
    path("inventory/reports/valuation/", valuation_view, name="valuation"),
]
