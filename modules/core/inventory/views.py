"""Stock reports inside the admin: valuation at average cost."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from modules.core.businesses.admin_kit import admin_page
from modules.core.businesses.services import businesses_for
from modules.core.registry.roles import business_codes_for

from . import services

CONSOLIDATED = ""


@admin_page("Stock valuation", permission="inventory.view_stocklevel", template="inventory/valuation.html")
def valuation_view(request):
    """Per business for staff; owners and accountants may also pick all businesses together."""
    businesses = list(businesses_for(request.user))
    if not businesses:
        raise PermissionDenied
    choices = [(b.code, b.name) for b in businesses]
    if business_codes_for(request.user) is None:
        choices.insert(0, (CONSOLIDATED, "All businesses (consolidated)"))
    selected = request.GET.get("business", choices[0][0])
    if selected not in dict(choices):
        raise PermissionDenied
    report = services.valuation(selected or None)
    return {"choices": choices, "selected": selected, "consolidated": selected == CONSOLIDATED, "report": report}


admin_urlpatterns = [
    path("inventory/reports/valuation/", valuation_view, name="valuation"),
]
