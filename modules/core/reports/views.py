"""Report pages inside the admin (Module.admin_urls, names "admin:reports:<name>"), each with a CSV
download of the same rows (formula-safe cells from the exports app, money as plain numbers)."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode

from modules.core.approvals import services as approvals
from modules.core.businesses.admin_kit import admin_page
from modules.core.businesses.services import businesses_for
from modules.core.exports.tables import CsvColumn, csv_download
from modules.core.registry.roles import business_codes_for
from modules.core.system import replica

from . import charts, services
from .cashup import cash_ups, submit_cashup
from .models import CashUp
from .tables import Table

MAX_DAYS = 400  # a little over a year: enough for a VAT year, cheap enough for a phone


@dataclass(frozen=True)
class Report:
    key: str
    title: str
    blurb: str
    permissions: tuple[str, ...]
    build: callable
    icon: str = "table_chart"
    chart: bool = False
    default_days: int | None = None  # None: from the 1st of the month


REPORTS = {r.key: r for r in (
    Report("daily_sales", "Daily sales", "Sales count, gross, discount, VAT and net per day and business.",
           ("sales.view_sale",), services.daily_sales, "today", chart=True),
    Report("sales_by_item", "Sales by item", "What sold: quantity and amount per item.",
           ("sales.view_sale",), services.sales_by_item, "inventory_2"),
    Report("payment_methods", "Sales by payment method", "Cash, M-Pesa and split sales beside the money received.",
           ("sales.view_sale", "payments.view_payment"), services.sales_by_payment_method, "payments"),
    Report("debtors", "Debtors ageing", "Who owes how much, by age: 0-30, 31-60, 61-90, over 90 days.",
           ("sales.view_sale", "customers.view_customer"), services.debtors_ageing, "group"),
    Report("profit_and_loss", "Profit and loss by month", "From the ledger, months as columns.",
           ("ledger.view_journalentry",), services.profit_and_loss_by_month, "trending_up"),
    Report("trial_balance", "Trial balance", "Every account's balance at the end date; debits equal credits.",
           ("ledger.view_journalentry",), services.trial_balance, "balance"),
    Report("vat", "VAT summary", "Output VAT on sales, input VAT on bills, net payable.",
           ("ledger.view_journalentry",), services.vat_summary, "percent"),
    Report("stock_valuation", "Stock valuation", "Stock on hand now at average cost.",
           ("inventory.view_stocklevel",), services.stock_valuation, "warehouse"),
    Report("mpesa", "M-Pesa reconciliation", "The M-Pesa statement vs the books, both ways; STK requests vs payments "
           "vs the ledger; mismatches in red.",
           ("payments.view_payment", "payments.view_stkrequest"), services.mpesa_reconciliation, "sync_alt"),
    Report("cash_up", "Cash-up", "Count the cash drawer; expected vs counted per day.",
           ("reports.view_cashup",), cash_ups, "point_of_sale", default_days=7),
)}


def may_open(user, report: Report) -> bool:
    return all(user.has_perm(p) for p in report.permissions)


class Scope:
    """The business filter and date range of a report page, checked against what the user may see.
    Owners and accountants get "All businesses (consolidated)" first; staff only their business.
    Asking for a business you may not see answers 403 (never quietly another business)."""

    CONSOLIDATED = ""

    def __init__(self, request, report: Report):
        user = request.user
        self.businesses_allowed = list(businesses_for(user))
        if not self.businesses_allowed:
            raise PermissionDenied
        self.can_consolidate = business_codes_for(user) is None
        self.choices = [(b.code, b.name) for b in self.businesses_allowed]
        if self.can_consolidate:
            self.choices.insert(0, (self.CONSOLIDATED, "All businesses (consolidated)"))
        wanted = request.GET.get("business")
        if wanted is None or (wanted == self.CONSOLIDATED and not self.can_consolidate):
            wanted = self.choices[0][0]
        if wanted not in dict(self.choices):
            raise PermissionDenied("You cannot see this business.")
        self.selected = wanted
        self.consolidated = wanted == self.CONSOLIDATED
        self.businesses = (self.businesses_allowed if self.consolidated
                           else [b for b in self.businesses_allowed if b.code == wanted])
        today = timezone.localdate()
        default_start = today - timedelta(days=report.default_days - 1) if report.default_days else today.replace(day=1)
        self.errors = []
        self.start = self._date(request.GET.get("start"), default_start, "start")
        self.end = self._date(request.GET.get("end"), today, "end")
        if self.end < self.start:
            self.errors.append("The end date is before the start date: showing the start day only.")
            self.end = self.start
        if (self.end - self.start).days >= MAX_DAYS:
            self.errors.append(f"At most {MAX_DAYS} days at a time: the start was moved.")
            self.start = self.end - timedelta(days=MAX_DAYS - 1)

    def _date(self, raw, default, name):
        if not raw:
            return default
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.errors.append(f"The {name} date {raw!r} is not a date (YYYY-MM-DD).")
            return default

    def query(self, **extra) -> str:
        return urlencode({"business": self.selected, "start": self.start.isoformat(), "end": self.end.isoformat(),
                          **extra})


def csv_response(request, report: Report, scope: Scope, table: Table) -> HttpResponse:
    """The table's data rows as CSV (totals stay on the page), typed cells, audited."""
    return csv_download(
        request, filename=f"{report.key}_{scope.selected or 'all'}_{scope.start}_{scope.end}.csv",
        columns=[CsvColumn(c.label, c.kind) for c in table.columns], rows=map(table.cells, table.data_rows()),
        kind=f"reports.{report.key}", label=f"Report: {report.title}",
        filters={"business": scope.selected or "all", "start": str(scope.start), "end": str(scope.end)})


@admin_page("Reports", template="reports/index.html")
def index_view(request):
    reports = [r for r in REPORTS.values() if may_open(request.user, r)]
    if not reports or not businesses_for(request.user).exists():
        raise PermissionDenied
    links = []
    user = request.user
    if user.has_perm("ledger.view_journalentry"):
        links += [("Trial balance", reverse("admin:ledger:trial_balance")),
                  ("Profit and loss (one period)", reverse("admin:ledger:profit_and_loss"))]
    if user.has_perm("inventory.view_stocklevel"):
        links.append(("Stock valuation by location", reverse("admin:inventory:valuation")))
    return {"reports": [{"report": r, "url": reverse(f"admin:reports:{r.key}")} for r in reports], "links": links}


def report_view(request, report: Report):
    """One report's page (or its CSV with ?format=csv); admin_page has checked its permissions."""
    scope = Scope(request, report)
    # a fresh hot standby serves the reports (system/replica.py); the cash-up, acted on, reads the primary
    reads = nullcontext() if report.key == "cash_up" else replica.reads()
    with reads:
        table = report.build(scope.businesses, scope.start, scope.end, consolidated=scope.consolidated)
    if request.GET.get("format") == "csv":
        return csv_response(request, report, scope, table)
    context = {"report": report, "scope": scope, "table": table, "csv_url": f"?{scope.query(format='csv')}"}
    kinds = [c.kind for c in table.page_columns]
    context["rows"] = [{"cls": row["_class"], "cells": list(zip(table.cells(row, table.page_columns), kinds)), "row": row}
                       for row in table.rows]
    if report.chart:
        with replica.reads():
            trend = services.revenue_trend(scope.businesses, scope.start, scope.end)
        context["trend"] = trend
        context["chart"] = charts.revenue_svg(trend)
    if report.key == "cash_up":
        context.update(_cashup_context(request, scope, table))
    if report.key == "debtors":
        for row in table.rows:
            if row.get("customer_id"):
                row["statement_url"] = reverse("admin:sales:statement", args=[row["customer_id"]])
    return context


# --- cash-up ------------------------------------------------------------------------------------

class CashUpForm(forms.Form):
    business = forms.ChoiceField()
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    counted = forms.DecimalField(label="Cash counted (KES)", min_value=0, max_digits=14, decimal_places=2)
    note = forms.CharField(required=False, max_length=200)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business"].choices = [(b.code, b.name) for b in businesses_for(user)]
        self.fields["day"].initial = timezone.localdate()


def _cashup_context(request, scope, table):
    user = request.user
    pending = {}
    for cashup in CashUp.objects.filter(business__in=scope.businesses, status=CashUp.Status.PENDING):
        approval = approvals.pending_for(cashup)
        if approval and approval.requested_by_id != user.pk and approvals.may_decide(user, cashup.business):
            pending[cashup.pk] = reverse("admin:approvals:decide", args=[approval.pk])
    for row in table.rows:
        row["decide_url"] = pending.get(row.get("cashup_id"))
    form = CashUpForm(user, initial={"business": scope.selected or scope.businesses[0].code})
    return {"cashup_form": form if user.has_perm("reports.add_cashup") else None,
            "count_url": reverse("admin:reports:cash_up_count")}


def cashup_submit_view(request):
    if request.method != "POST" or not request.user.has_perm("reports.add_cashup"):
        raise PermissionDenied
    form = CashUpForm(request.user, request.POST)
    back = reverse("admin:reports:cash_up")
    if not form.is_valid():
        wanted = request.POST.get("business")
        if wanted and wanted not in dict(form.fields["business"].choices):
            raise PermissionDenied
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label if field in form.fields else ''}: {' '.join(errors)}")
        return redirect(back)
    business = next(b for b in businesses_for(request.user) if b.code == form.cleaned_data["business"])
    try:
        cashup = submit_cashup(business, form.cleaned_data["day"], form.cleaned_data["counted"],
                                        request.user, note=form.cleaned_data["note"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back + "?" + urlencode({"business": business.code}))
    if cashup.status == CashUp.Status.BALANCED:
        messages.success(request, f"Cash-up saved: KES {cashup.counted:,} counted, no difference.")
    elif cashup.status == CashUp.Status.POSTED:
        messages.success(request, f"Cash-up saved: {cashup.variance_label}, posted to the books.")
    else:
        messages.warning(request, f"Cash-up saved: {cashup.variance_label}. The owner must approve it "
                                  f"before it reaches the books.")
    day = cashup.day.isoformat()
    return redirect(back + "?" + urlencode({"business": business.code, "start": day, "end": day}))


def _page(report: Report):
    def view(request):
        return report_view(request, report)
    view.__name__ = f"{report.key}_view"
    return admin_page(report.title, permission=report.permissions, template="reports/report.html")(view)


admin_urlpatterns = [
    path("reports/", index_view, name="index"),
    *(path(f"reports/{key.replace('_', '-')}/", _page(report), name=key) for key, report in REPORTS.items()),
    path("reports/cash-up/count/", cashup_submit_view, name="cash_up_count"),
]
