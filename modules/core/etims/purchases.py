"""Suppliers' eTIMS invoices to the owner's PIN, fetched from KRA and matched to supplier bills
(brief §2.6; issue 19 §4). Since 1 January 2024 an expense is deductible only with an eTIMS (or
TIMS) invoice (brief §1.1 ✅): a bill is *backed* when the supplier's eTIMS invoice number was typed
on it or a fetched purchase was matched to it.

    fetch()                         selectTrnsPurchaseSalesList since the last fetch -> Purchase rows
    proposals(purchases, bills)     per purchase, the bill it most likely backs (supplier PIN, amount, date)
    match(purchase, bill, user)     one tap: the purchase backs the bill

Bills are append-only (in the books), so the match lives on the purchase (``Purchase.bill``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from modules.core.purchasing.models import SupplierBill
from modules.core.registry.refusals import Refusal

from .models import Device, Purchase
from .oscu import EPOCH, EtimsError, now_stamp

MATCH_WINDOW = timedelta(days=31)  # a bill dated more than a month from KRA's sale date is not proposed


class MatchRefused(Refusal):
    """Why a purchase cannot back this bill (a plain 400 on the page)."""


def _money(value) -> Decimal:
    try:
        return Decimal(str(value if value is not None else "0")).quantize(Decimal("0.01"))
    except InvalidOperation:
        return Decimal("0.00")


def _sale_date(value) -> date:
    text = str(value or "")[:8]
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return timezone.localdate()


def fetch() -> int:
    """Fetch suppliers' sales to this PIN since the last fetch; the new ones become ``Purchase``
    rows (a purchase already fetched is kept as it is, with its match). Returns how many are new.
    Raises ``EtimsError`` / ``NotConfigured`` when KRA cannot be asked (the caller says so)."""
    from . import services

    if not services.enabled():
        return 0
    device = services.device()
    api = services._ready(device)
    asked_at = now_stamp()  # the next fetch starts here: a sale KRA files meanwhile is fetched twice, kept once
    found = api.purchases(device.purchases_checked_at or EPOCH)
    new = 0
    for sale in found:
        if str(sale.get("rcptTyCd") or "S") != "S":
            continue  # a supplier's credit note: not a purchase to back a bill (assumed; see README)
        try:
            number = int(sale.get("spplrInvcNo"))
        except (TypeError, ValueError):
            continue
        _, created = Purchase.objects.get_or_create(
            supplier_pin=str(sale.get("spplrTin") or "")[:11], supplier_branch=str(sale.get("spplrBhfId") or "00")[:2],
            supplier_invoice_no=number,
            defaults={"supplier_name": str(sale.get("spplrNm") or "")[:60],
                      "supplier_sdc_id": str(sale.get("spplrSdcId") or "")[:20],
                      "sale_date": _sale_date(sale.get("salesDt")), "taxable": _money(sale.get("totTaxblAmt")),
                      "tax": _money(sale.get("totTaxAmt")), "total": _money(sale.get("totAmt")),
                      "items": sale.get("itemList") or []})
        new += created
    Device.objects.filter(pk=device.pk).update(purchases_checked_at=asked_at)
    return new


def fetch_job() -> int:
    """The schedule's job: fetch quietly; KRA down is tried again at the next run."""
    from .services import NotConfigured

    try:
        return fetch()
    except (EtimsError, NotConfigured):
        return 0


def unbacked_bills(businesses, start: date, end: date):
    """Bills dated in the range with no eTIMS invoice: not deductible."""
    return (SupplierBill.objects.filter(business__in=businesses, bill_date__gte=start, bill_date__lte=end,
                                        etims_invoice="")
            .exclude(Exists(Purchase.objects.filter(bill=OuterRef("pk"))))
            .select_related("business", "supplier", "category").order_by("bill_date", "pk"))


def _reference_matches(bill: SupplierBill, purchase: Purchase) -> bool:
    typed = (bill.etims_invoice or "").rpartition("/")[2]
    return typed == str(purchase.supplier_invoice_no)


def proposals(purchases, bills) -> dict[int, SupplierBill]:
    """For each unmatched purchase, the unmatched bill (among ``bills``) it most likely backs: the
    supplier's KRA PIN and the amount agree and the bill is dated within a month of KRA's sale date,
    nearest date first; a bill whose typed eTIMS number is this invoice's number comes first. One
    query for the whole page; a bill is proposed for one purchase only."""
    waiting = [p for p in purchases if p.bill_id is None]
    if not waiting:
        return {}
    candidates = list(bills.filter(supplier__kra_pin__in={p.supplier_pin for p in waiting},
                                   amount__in={p.total for p in waiting})
                      .exclude(Exists(Purchase.objects.filter(bill=OuterRef("pk"))))
                      .select_related("supplier", "business"))
    chosen: dict[int, SupplierBill] = {}
    taken: set[int] = set()
    for purchase in sorted(waiting, key=lambda p: (p.sale_date, p.pk)):
        fits = [b for b in candidates if b.pk not in taken and b.supplier.kra_pin == purchase.supplier_pin
                and b.amount == purchase.total and abs(b.bill_date - purchase.sale_date) <= MATCH_WINDOW]
        if fits:
            best = min(fits, key=lambda b: (not _reference_matches(b, purchase), abs(b.bill_date - purchase.sale_date),
                                            b.pk))
            chosen[purchase.pk] = best
            taken.add(best.pk)
    return chosen


def match(purchase: Purchase, bill: SupplierBill, user) -> Purchase:
    """The purchase backs the bill. Refused (``MatchRefused``) when either is matched already, the
    amounts differ, or the bill's supplier has another KRA PIN. A supplier without a PIN gets KRA's,
    so its next purchases are proposed by PIN."""
    with transaction.atomic():
        purchase = Purchase.objects.select_for_update().get(pk=purchase.pk)
        bill = SupplierBill.objects.select_related("supplier").get(pk=bill.pk)
        if purchase.bill_id == bill.pk:
            return purchase
        if purchase.bill_id is not None:
            raise MatchRefused(f"{purchase.supplier_name}'s eTIMS invoice {purchase.reference} already backs "
                               f"another bill.")
        if Purchase.objects.filter(bill=bill).exists():
            raise MatchRefused(f"{bill} is already backed by another eTIMS invoice.")
        if bill.amount != purchase.total:
            raise MatchRefused(f"{bill} is KES {bill.amount:,} but the eTIMS invoice {purchase.reference} is KES "
                               f"{purchase.total:,}: only an invoice for the bill's amount backs it.")
        supplier = bill.supplier
        if supplier.kra_pin and supplier.kra_pin != purchase.supplier_pin:
            raise MatchRefused(f"{supplier.name}'s KRA PIN is {supplier.kra_pin}, but this eTIMS invoice is from "
                               f"{purchase.supplier_pin} ({purchase.supplier_name}).")
        if not supplier.kra_pin:
            supplier.kra_pin = purchase.supplier_pin
            supplier.save(update_fields=["kra_pin"])
        purchase.bill, purchase.matched_at, purchase.matched_by = bill, timezone.now(), user
        try:
            with transaction.atomic():
                purchase.save(update_fields=["bill", "matched_at", "matched_by"])
        except IntegrityError:  # another tap matched the bill meanwhile
            raise MatchRefused(f"{bill} is already backed by another eTIMS invoice.") from None
    return purchase
