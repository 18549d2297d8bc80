"""The owner's page of what the texts cost, month by month (and its CSV)."""

from datetime import date

from django.urls import path
from django.utils import timezone

from modules.core.businesses.admin_kit import admin_page
from modules.core.businesses.services import businesses_for
from modules.core.exports.tables import CsvColumn, csv_download
from modules.core.registry.roles import business_codes_for

from . import services

MONTHS = 12
COLUMNS = [CsvColumn("Month", "text"), CsvColumn("Business"), CsvColumn("Texts sent", "int"),
           CsvColumn("Cost (KES)", "money")]


def _first_of_month_back(today: date, months: int) -> date:
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


@admin_page("SMS cost by month", permission="sms.view_smsmessage", template="sms/costs.html")
def costs(request):
    start = _first_of_month_back(timezone.localdate(), MONTHS - 1)
    rows = services.cost_by_month(businesses_for(request.user), start=timezone.make_aware(
        timezone.datetime.combine(start, timezone.datetime.min.time())),
        include_unassigned=business_codes_for(request.user) is None)
    if request.GET.get("format") == "csv":
        return csv_download(request, filename="sms_cost_by_month.csv", columns=COLUMNS, kind="sms.costs",
                            label="SMS cost by month", filters={"since": start.isoformat()},
                            rows=([f"{r['month']:%Y-%m}", r["business"], r["count"], r["cost"]] for r in rows))
    return {"rows": rows, "since": start, "total": sum((r["cost"] for r in rows), 0)}


admin_urlpatterns = [path("sms/costs/", costs, name="costs")]
