"""The owner's page of what the texts cost, month by month (and its CSV)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone

from modules.core.businesses.admin_kit import admin_page, render_page
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


@admin_page("My SMS alert phone", permission="sms.add_smsmessage", template="sms/alert_phone.html")
def alert_phone(request):
    """Where the alerts ticked "SMS" on the notification settings are texted (the owner's phone)."""
    phone, error = services.alert_phone(request.user), ""
    if request.method == "POST":
        phone = request.POST.get("phone", "")[:40]
        try:
            services.set_alert_phone(request.user, phone)
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            return redirect(reverse("admin:sms:alert_phone") + "?saved=1")
    return render_page(request, "sms/alert_phone.html", {
        "title": "My SMS alert phone", "phone": phone, "error": error, "saved": request.GET.get("saved") == "1"},
        status=400 if error else 200)


admin_urlpatterns = [path("sms/costs/", costs, name="costs"), path("sms/alert-phone/", alert_phone, name="alert_phone")]
