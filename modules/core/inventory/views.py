"""Stock reports inside the admin: valuation at average cost."""

from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils import timezone

from modules.core.businesses.admin_kit import admin_page
from modules.core.businesses.services import businesses_for
from modules.core.exports.tables import CsvColumn, csv_download, csv_link, wants_csv
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
    if wants_csv(request):
        return csv_download(
            request, filename=f"stock_valuation_{selected or 'all'}_{timezone.localdate()}.csv",
            columns=[CsvColumn("Business"), CsvColumn("SKU"), CsvColumn("Item"), CsvColumn("Location"),
                     CsvColumn("Quantity", "number"), CsvColumn("Unit"), CsvColumn("Average cost (KES)", "money"),
                     CsvColumn("Value (KES)", "money")],
            rows=[*([r["item"].business.name, r["item"].sku, r["item"].name, r["location"].name, r["quantity"],
                     r["item"].unit, r["unit_cost"], r["value"]] for r in report["rows"]),
                  *([each.name, "", "Difference to the ledger (rounding)", "", None, "", None, value]
                    for each, value in report["difference"].items() if value)],
            kind="inventory.valuation", label="Stock valuation", filters={"business": selected or "all"})
    return {"choices": choices, "selected": selected, "consolidated": selected == CONSOLIDATED, "report": report,
            "csv_url": csv_link(request)}


admin_urlpatterns = [
    path("inventory/reports/valuation/", valuation_view, name="valuation"),
]
