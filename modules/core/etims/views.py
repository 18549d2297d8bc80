"""eTIMS pages for the owner and the accountant (Module.admin_urls, names "admin:etims:<name>"):

* ``report``: the month's invoices and credit notes and the per-band check against the VAT report
  (reports' page, with CSV and XLSX of the same rows);
* ``unbacked``: supplier bills without an eTIMS invoice (not deductible), with CSV and XLSX;
* ``purchases``: suppliers' eTIMS invoices fetched from KRA, each with the bill it most likely backs
  and a one-tap "Match" (a POST), and "Fetch from KRA now".
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path

from modules.core.businesses.admin_kit import admin_page, scoped_or_403
from modules.core.businesses.services import businesses_for
from modules.core.exports.tables import CsvColumn, xlsx_download
from modules.core.purchasing.models import SupplierBill
from modules.core.reports.views import Report, Scope, csv_response
from modules.core.system import replica

from . import purchases, reports
from .models import Purchase
from .oscu import EtimsError
from .services import NotConfigured

REPORTS = {r.key: r for r in (
    Report("etims_month", "eTIMS report", "Invoices and credit notes signed, waiting or refused; per band against the "
           "VAT report.", ("etims.view_invoice", "ledger.view_journalentry"), reports.monthly, "verified"),
    Report("etims_unbacked", "Expenses without an eTIMS invoice", "Supplier bills KRA has no eTIMS invoice for: "
           "not deductible.", ("purchasing.view_supplierbill", "etims.view_purchase"), reports.unbacked,
           "receipt_long"),
)}


def xlsx_response(request, report: Report, scope: Scope, table):
    return xlsx_download(
        request, filename=f"{report.key}_{scope.selected or 'all'}_{scope.start}_{scope.end}.xlsx",
        columns=[CsvColumn(c.label, c.kind) for c in table.columns], rows=map(table.cells, table.data_rows()),
        kind=f"etims.{report.key}", label=f"Report: {report.title}", title=report.title,
        filters={"business": scope.selected or "all", "start": str(scope.start), "end": str(scope.end)})


def report_view(request, report: Report):
    scope = Scope(request, report)
    with replica.reads():
        table = report.build(scope.businesses, scope.start, scope.end, consolidated=scope.consolidated)
    wanted = request.GET.get("format")
    if wanted == "csv":
        return csv_response(request, report, scope, table)
    if wanted == "xlsx":
        return xlsx_response(request, report, scope, table)
    kinds = [c.kind for c in table.page_columns]
    return {"report": report, "scope": scope, "table": table, "csv_url": f"?{scope.query(format='csv')}",
            "xlsx_url": f"?{scope.query(format='xlsx')}",
            "rows": [{"cls": row["_class"], "cells": list(zip(table.cells(row, table.page_columns), kinds)), "row": row}
                     for row in table.rows]}


def _page(report: Report):
    def view(request):
        return report_view(request, report)
    view.__name__ = f"{report.key}_view"
    return admin_page(report.title, permission=report.permissions, template="reports/report.html")(view)


@admin_page("Supplier invoices from KRA", permission="etims.view_purchase", template="etims/purchases.html")
def purchases_view(request):
    """The fetched purchases, unmatched first, each with its proposed bill (one tap to match)."""
    if request.method == "POST":
        if not request.user.has_perm("etims.change_purchase"):
            raise PermissionDenied
        try:
            new = purchases.fetch()
        except (EtimsError, NotConfigured) as error:
            messages.error(request, f"KRA could not be asked now ({error}); the purchases are fetched again every "
                                    f"6 hours.")
        else:
            messages.success(request, f"{new} new supplier invoice(s) from KRA.")
        return redirect("admin:etims:purchases")
    show = request.GET.get("show", "unmatched")
    found = Purchase.objects.select_related("bill__supplier").order_by("bill_id", "-sale_date", "-pk")
    if show == "unmatched":
        found = found.filter(bill__isnull=True)
    page = list(found[:200])
    bills = SupplierBill.objects.filter(business__in=businesses_for(request.user))
    proposed = purchases.proposals(page, bills)
    rows = [{"purchase": p, "proposal": proposed.get(p.pk)} for p in page]
    return {"rows": rows, "show": show, "may_match": request.user.has_perm("etims.change_purchase"),
            "more": found.count() > len(page)}


@admin_page(permission="etims.change_purchase")
def match_view(request, purchase_id):
    """One tap: the purchase backs the bill posted with it (``bill``: the proposed bill's id)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    purchase = get_object_or_404(Purchase, pk=purchase_id)
    raw = request.POST.get("bill", "")
    if not raw.isdigit():
        messages.error(request, "Choose the bill this eTIMS invoice backs.")
        return redirect("admin:etims:purchases")
    bill = scoped_or_403(request, SupplierBill.objects.select_related("business", "supplier"),
                         "purchasing.view_supplierbill", pk=int(raw))
    try:
        purchases.match(purchase, bill, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{purchase.supplier_name}'s eTIMS invoice {purchase.reference} now backs {bill}: "
                                  f"the expense is deductible.")
    return redirect("admin:etims:purchases")


admin_urlpatterns = [
    path("etims/report/", _page(REPORTS["etims_month"]), name="report"),
    path("etims/unbacked/", _page(REPORTS["etims_unbacked"]), name="unbacked"),
    path("etims/purchases/", purchases_view, name="purchases"),
    path("etims/purchases/<int:purchase_id>/match/", match_view, name="match"),
]
