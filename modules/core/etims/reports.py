"""The accountant's eTIMS reports, as reports' ``Table``s (the same page, CSV and XLSX as every report):

* ``monthly``: the invoices and credit notes of a period (a month by default), signed, waiting or
  refused, and per tax band what KRA signed beside the VAT report's figures for the same band, to
  the shilling;
* ``unbacked``: supplier bills without an eTIMS invoice (none typed, no fetched purchase matched):
  not deductible since 1 January 2024 (brief §1.1).

A sale's invoice counts in the period its sale was rung up; a credit note in the period its sale was
voided: the VAT report's own rule (``reports.services.vat_summary``), so the two agree line by line.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from modules.core.reports import services as reports
from modules.core.reports.tables import Column, Table
from modules.core.tax.models import Band

from .models import Invoice
from .purchases import unbacked_bills

ZERO = Decimal("0.00")
STATUS_LINES = (
    (Invoice.Kind.SALE, (Invoice.Status.SIGNED,), "Invoices signed"),
    (Invoice.Kind.SALE, (Invoice.Status.PENDING, Invoice.Status.SENT), "Invoices waiting for KRA"),
    (Invoice.Kind.SALE, (Invoice.Status.FAILED,), "Invoices refused"),
    (Invoice.Kind.CREDIT_NOTE, (Invoice.Status.SIGNED,), "Credit notes signed"),
    (Invoice.Kind.CREDIT_NOTE, (Invoice.Status.PENDING, Invoice.Status.SENT), "Credit notes waiting for KRA"),
    (Invoice.Kind.CREDIT_NOTE, (Invoice.Status.FAILED,), "Credit notes refused"),
)
AGREES = "agrees"


def _invoices(businesses, start: date, end: date):
    first, after = reports._day_span(start, end)
    sales = Invoice.objects.filter(business__in=businesses, kind=Invoice.Kind.SALE, sale__created_at__gte=first,
                                   sale__created_at__lt=after)
    notes = Invoice.objects.filter(business__in=businesses, kind=Invoice.Kind.CREDIT_NOTE, sale__voided_at__gte=first,
                                   sale__voided_at__lt=after)
    fields = ("business_id", "kind", "status", "total", "vat", "bands")
    return list(sales.values(*fields)) + list(notes.values(*fields))


def monthly(businesses, start: date, end: date, *, consolidated: bool = False) -> Table:
    table = Table([Column("business", "Business"), Column("line", "What"),
                   Column("count", "Count", "int"), Column("total", "Total, VAT incl. (KES)", "money"),
                   Column("taxable", "Net of VAT (KES)", "money"), Column("vat", "VAT (KES)", "money"),
                   Column("report_taxable", "VAT report: net of VAT (KES)", "money"),
                   Column("report_vat", "VAT report: VAT (KES)", "money"),
                   Column("check", "Check")])
    invoices = _invoices(businesses, start, end)
    vat_report = reports.vat_summary(businesses, start, end)
    by_label = {band.label: band.value for band in Band}
    for business in businesses:
        mine = [i for i in invoices if i["business_id"] == business.pk]
        for kind, statuses, label in STATUS_LINES:
            rows = [i for i in mine if i["kind"] == kind and i["status"] in statuses]
            total = sum((i["total"] for i in rows), ZERO)
            vat = sum((i["vat"] for i in rows), ZERO)
            table.add("issue" if rows and statuses != (Invoice.Status.SIGNED,) else "", business=business.name,
                      line=label, count=len(rows), total=total, taxable=total - vat, vat=vat)
        signed = {}  # band -> [VAT-inclusive total, VAT], credit notes taken off
        for invoice in mine:
            if invoice["status"] != Invoice.Status.SIGNED:
                continue
            sign = -1 if invoice["kind"] == Invoice.Kind.CREDIT_NOTE else 1
            for band, figures in (invoice["bands"] or {}).items():
                slot = signed.setdefault(band, [ZERO, ZERO])
                slot[0] += sign * Decimal(figures["taxable"])
                slot[1] += sign * Decimal(figures["tax"])
        reported = {}
        for row in vat_report.rows:
            if row["_class"] == "detail" and row["business"] == business.name:
                reported[by_label[row["vat_class"]]] = (row["taxable"], row["output"] - row["output_debits"])
        for band in sorted(set(signed) | set(reported)):
            total, vat = signed.get(band, (ZERO, ZERO))
            report_taxable, report_vat = reported.get(band, (ZERO, ZERO))
            taxable = total - vat
            off = (report_taxable - taxable, report_vat - vat)
            check = AGREES if off == (ZERO, ZERO) else (f"differs: KES {off[0]:,} net of VAT, KES {off[1]:,} VAT "
                                                       f"not signed by KRA")
            table.add("" if check == AGREES else "issue", business=business.name, line=f"Band {Band(band).label}",
                      total=total, taxable=taxable, vat=vat, report_taxable=report_taxable, report_vat=report_vat,
                      check=check)
    table.notes.append("Invoices count in the period their sale was rung up, credit notes in the period it was voided, "
                       "as in the VAT report. Per band: what KRA signed (invoices less credit notes) beside the VAT "
                       "report; a difference is a sale still waiting for KRA, refused, or sold while eTIMS was off.")
    return table


def unbacked(businesses, start: date, end: date, *, consolidated: bool = False) -> Table:
    table = Table([Column("bill_date", "Bill date", "date"), Column("business", "Business"),
                   Column("supplier", "Supplier"), Column("supplier_pin", "Supplier's KRA PIN"),
                   Column("reference", "Supplier's invoice"), Column("category", "Category"),
                   Column("amount", "Amount (KES)", "money"), Column("vat", "VAT (KES)", "money"),
                   Column("bill_id", "Bill id", "int", on_page=False)])
    total, vat = ZERO, ZERO
    for bill in unbacked_bills(businesses, start, end):
        table.add(bill_date=bill.bill_date, business=bill.business.name, supplier=bill.supplier.name,
                  supplier_pin=bill.supplier.kra_pin, reference=bill.reference,
                  category=bill.category.name if bill.category_id else "Goods on an order", amount=bill.amount,
                  vat=bill.vat, bill_id=bill.pk)
        total, vat = total + bill.amount, vat + bill.vat
    if table.rows:
        table.add("total", bill_date=None, business="Not deductible", amount=total, vat=vat)
    table.notes.append("Since 1 January 2024 an expense is deductible only with an eTIMS (or TIMS) invoice. Type the "
                       "supplier's eTIMS invoice number on the bill, or match the invoice fetched from KRA "
                       "(eTIMS → Supplier invoices from KRA).")
    return table
