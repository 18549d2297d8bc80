"""Public surface of sales: one transaction per sale (stock, ledger, cash payment), idempotent by
the client's UUID so a double tap or an offline replay never makes two sales."""

import hashlib
import json
import uuid as uuid_module
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.customers import services as customers
from modules.core.customers.models import CustomerPhone
from modules.core.inventory.models import Item, StockMovement
from modules.core.inventory.services import OutOfStock, default_location, move_stock
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.payments import services as payments
from modules.core.payments.models import Payment
from modules.core.payments.phones import normalize_phone
from modules.core.registry import events
from modules.core.registry.refusals import Refusal

from . import tax
from .models import Sale, SaleCounter, SaleLine

# What a counter attendant needs (used in business modules' roles); voiding stays with the owner.
SALES_DESK = ("sales.view_sale", "sales.add_sale", "sales.view_saleline", *customers.CUSTOMER_DESK)
METHODS = ("cash", "mpesa", "split")
MAX_QUANTITY = Decimal("100000")
QUANTITY_PLACES = Decimal("0.001")
MAX_AMOUNT = Decimal("1000000000")  # KES 1 bn: more than any one sale here
__all__ = ["OutOfStock", "SaleConflict", "SaleLineInput", "create_sale", "void_sale", "favourite_items",
           "recent_customer_phones"]


class SaleConflict(Refusal):
    """The UUID was already used for a different sale (HTTP 409)."""


@dataclass(frozen=True)
class SaleLineInput:
    item_id: int
    quantity: Decimal


def quantity(value) -> Decimal:
    """A quantity as sent by a phone or typed: a number above 0, at most 100,000, with at most 3
    decimals. Anything else (NaN, Infinity, 1e30, 0.0000001, text) is refused with a plain message."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(f"The quantity {str(value)[:20]!r} is not a number; type it like 2 or 0.5.") from None
    if not number.is_finite():
        raise ValidationError("A quantity must be a number, like 2 or 0.5.")
    if number <= 0:
        raise ValidationError("Quantities must be more than zero.")
    if number > MAX_QUANTITY:
        raise ValidationError(f"A quantity of more than {MAX_QUANTITY:,} is too big for one sale.")
    if number != number.quantize(QUANTITY_PLACES):
        raise ValidationError("Quantities take at most 3 decimals (0.001).")
    return number


def amount(value, what="amount") -> Decimal:
    """A KES amount sent or typed (a discount, the cash part): 0 or more, at most 2 decimals."""
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(f"The {what} is not a number; type it like 150 or 150.50.") from None
    if not number.is_finite() or number < 0:
        raise ValidationError(f"The {what} must be a number of 0 or more, like 150 or 150.50.")
    if number > MAX_AMOUNT:
        raise ValidationError(f"The {what} is too big.")
    if number != number.quantize(tax.CENT):
        raise ValidationError(f"The {what} takes at most 2 decimals (cents).")
    return number


def fingerprint(business_code, lines, discount, customer_phone, method, cash_amount) -> str:
    canonical = json.dumps({
        "business": business_code,
        "lines": sorted([line.item_id, f"{Decimal(line.quantity).normalize():f}"] for line in lines),
        "discount": f"{tax.money(discount)}", "customer": customer_phone, "method": method,
        "cash": f"{tax.money(cash_amount)}" if cash_amount is not None else None,
    }, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _existing(client_uuid, print_):
    sale = Sale.objects.filter(client_uuid=client_uuid).first()
    if sale is not None and sale.fingerprint != print_:
        raise SaleConflict(f"Receipt {sale.receipt_number} was already saved with this sale's ID but different "
                           f"items or payment. Start a new sale instead of resending this one.")
    return sale


def _next_number(business) -> int:
    SaleCounter.objects.get_or_create(business=business)
    counter = SaleCounter.objects.select_for_update().get(business=business)
    counter.last_number = F("last_number") + 1
    counter.save(update_fields=["last_number"])
    counter.refresh_from_db()
    return counter.last_number


def create_sale(*, business: Business, client_uuid, lines: list[SaleLineInput], method: str = "cash",
                discount="0", customer_phone: str = "", cash_amount=None, user=None) -> tuple[Sale, bool]:
    """Record a sale; returns (sale, created). Cash is paid in the same transaction; for M-Pesa the
    caller then asks for the rest with payments.request_stk_push (outside the transaction)."""
    try:
        client_uuid = uuid_module.UUID(str(client_uuid))
    except ValueError as error:
        raise ValidationError("The sale has no valid ID; reload the page and try again.") from error
    if method not in METHODS:
        raise ValidationError(f"Unknown payment method {method!r}.")
    if not lines:
        raise ValidationError("Add at least one item.")
    lines = [SaleLineInput(line.item_id, quantity(line.quantity)) for line in lines]
    phone = normalize_phone(customer_phone) if customer_phone else ""
    print_ = fingerprint(business.code, lines, discount, phone, method, cash_amount)
    existing = _existing(client_uuid, print_)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            sale = _record(business, client_uuid, print_, lines, method, tax.money(discount), phone, cash_amount, user)
    except IntegrityError:
        existing = _existing(client_uuid, print_)  # the same UUID won a race: return what it saved
        if existing is None:
            raise
        return existing, False
    events.publish("sale.committed", business=business.code, sale_id=sale.pk)
    return sale, True


def _record(business, client_uuid, print_, lines, method, discount, phone, cash_amount, user):
    items = Item.objects.in_bulk([line.item_id for line in lines])
    today = timezone.localdate()
    percents = tax.rates(today)
    priced = []
    for line in lines:
        item = items.get(line.item_id)
        if item is None or item.business_id != business.pk or not item.is_active:
            raise ValidationError("One of the items is not sold by this business any more; reload the page.")
        quantity = Decimal(line.quantity)
        priced.append((item, quantity, tax.line_gross(item.selling_price, quantity, percent=percents[item.tax_band],
                                                      price_includes_vat=item.price_includes_vat)))
    subtotal = sum((gross for _, _, gross in priced), Decimal("0"))
    if discount > subtotal:
        raise ValidationError(f"The discount (KES {discount}) is more than the sale (KES {subtotal}).")
    split = tax.split([(gross, item.tax_band) for item, _, gross in priced], on=today, percents=percents,
                      vat_registered=business.vat_registered, discount=discount)
    total, vat = split.total, split.vat
    customer = customers.find_or_create(phone, business=business) if phone else None
    location = default_location(business)
    sale = Sale.objects.create(
        business=business, number=_next_number(business), client_uuid=client_uuid, fingerprint=print_,
        customer=customer, location=location, subtotal=subtotal, discount=discount, vat=vat, total=total,
        payment_method=method, created_by=user)
    cost = Decimal("0")
    for (item, quantity, gross), taxed in zip(priced, split.lines):
        SaleLine.objects.create(sale=sale, item=item, quantity=quantity, unit_price=item.selling_price,
                                line_total=gross, discount=taxed.discount, band=taxed.band, vat=taxed.vat,
                                unit_cost=item.cost)
        move_stock(item, location, -quantity, StockMovement.Kind.SALE, source=sale, user=user,
                   reason=f"Receipt {sale.receipt_number}")
        cost += tax.money(item.cost * quantity) if item.tracks_stock else 0
    entry_lines = tax.entry_lines(split)
    if cost:
        entry_lines += [ledger.debit(chart.COST_OF_SALES, cost), ledger.credit(chart.INVENTORY, cost)]
    if total:
        ledger.post(business, timezone.localdate(), f"Sale {sale.receipt_number}", entry_lines, source=sale, user=user)
    cash = total if method == "cash" else tax.money(cash_amount or 0) if method == "split" else Decimal("0")
    if cash > total:
        raise ValidationError("Cash is more than the sale; give change instead.")
    if cash:
        payments.record_payment(sale, method=Payment.Method.CASH, amount=cash, payer_phone=phone, user=user)
    elif not total:
        sale.mark_paid(timezone.now())
    return sale


@transaction.atomic
def void_sale(sale: Sale, *, reason: str, user=None) -> Sale:
    """Undo a sale: stock comes back and every ledger entry of the sale (the sale and its payments)
    is reversed; the original rows stay as they were."""
    sale = Sale.objects.select_for_update().get(pk=sale.pk)
    if sale.status == Sale.Status.VOIDED:
        raise ValidationError(f"Receipt {sale.receipt_number} is already void.")
    for line in sale.lines.select_related("item"):
        move_stock(line.item, sale.location, line.quantity, StockMovement.Kind.RETURN, source=sale, user=user,
                   reason=f"Void of {sale.receipt_number}: {reason}"[:120])
    for entry in ledger.entries_for(sale):
        if entry.reversal_of_id is None and not hasattr(entry, "reversed_by"):
            ledger.reverse(entry, memo=f"Void of {sale.receipt_number}: {reason}", user=user)
    sale.status = Sale.Status.VOIDED
    sale.voided_at = timezone.now()
    sale.void_reason = reason[:120]
    sale.save(update_fields=["status", "voided_at", "void_reason"])
    events.publish("sale.voided", business=sale.business.code, sale_id=sale.pk)
    return sale


def favourite_items(business, limit: int = 24):
    """Active items, most sold in the last 30 days first (then by name): the quick sale's grid."""
    since = timezone.now() - timedelta(days=30)
    sold = (SaleLine.objects.filter(item=OuterRef("pk"), sale__status=Sale.Status.COMPLETED, sale__created_at__gte=since)
            .values("item").annotate(total=Sum("quantity")).values("total"))
    return (Item.objects.filter(business=business, is_active=True)
            .annotate(sold=Coalesce(Subquery(sold), Decimal("0"))).order_by("-sold", "name")[:limit])


def recent_customer_phones(business, limit: int = 5) -> list[str]:
    customer_ids = (Sale.objects.filter(business=business, customer__isnull=False)
                    .order_by("-created_at").values_list("customer_id", flat=True)[:50])
    first_phone = {}
    for customer_id, phone in (CustomerPhone.objects.filter(customer_id__in=list(customer_ids)).order_by("pk")
                               .values_list("customer_id", "phone")):
        first_phone.setdefault(customer_id, phone)
    ordered = [first_phone[c] for c in dict.fromkeys(customer_ids) if c in first_phone]
    return ordered[:limit]
