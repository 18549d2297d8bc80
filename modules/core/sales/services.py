"""Public surface of sales: the one sale engine. Every document that sells something (the quick
sale, a laundry job, an LPG refill/swap/outright sale, a water delivery, a credit sale) is recorded
by ``create_sale`` and undone by ``void_sale``. The engine owns, once each:

* idempotency by the client's UUID (a double tap or an offline replay never makes two sales; the
  same UUID with other contents is refused: SaleConflict);
* one gap-free receipt counter per business (SaleCounter, row-locked while numbering);
* the VAT split and rounding (``tax.split``);
* the revenue entry (``tax.entry_lines`` plus cost of sales, and the module's own lines), one
  ledger entry per sale;
* voids by reversal (stock back, every entry reversed, paid money refunded or kept as credit).

A module adds its lines and its own record around it: ``build(sale)`` runs inside the sale's
transaction, creates the module's document (a laundry Job, an LpgSale…), moves any stock of its own
(source = the sale) and returns a ``Built`` with extra ledger lines. The document carries its own
glue, as payable documents do for payments: optional ``sale_void_refused(sale)`` (a reason it may
not be undone), ``sale_voided(sale, reason, user, at)``, ``sale_admin_url``. The core never imports
a business module. ``sale.committed`` and ``sale.voided`` (business, sale_id) are published in the
sale's (the void's) transaction, so a durable subscriber's message commits with it; every
subscriber runs after that commit.
"""

import hashlib
import json
import uuid as uuid_module
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string

from modules.core.businesses.models import Business
from modules.core.customers import services as customers
from modules.core.customers.models import CustomerPhone
from modules.core.inventory.models import Item, StockMovement
from modules.core.inventory.services import OutOfStock, default_location, move_stock, value_at_cost
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.payments import services as payments
from modules.core.payments.models import Payment
from modules.core.customers.phones import normalize_phone
from modules.core.registry import events, registry
from modules.core.registry.contract import Widget
from modules.core.registry.refusals import Refusal
from modules.core.tax import services as tax

from . import accounts
from .models import Sale, SaleCounter, SaleLine

# What a counter attendant needs (used in business modules' roles); voiding stays with the owner.
SALES_DESK = ("sales.view_sale", "sales.add_sale", "sales.view_saleline", *customers.CUSTOMER_DESK)
METHODS = ("cash", "mpesa", "split", "credit")
REFUNDS = ("route", "cash", "credit")
MAX_QUANTITY = Decimal("100000")
QUANTITY_PLACES = Decimal("0.001")
MAX_AMOUNT = Decimal("1000000000")  # KES 1 bn: more than any one sale here
ZERO = Decimal("0.00")
__all__ = ["OutOfStock", "SaleConflict", "SaleLineInput", "Built", "create_sale", "void_sale", "favourite_items",
           "recent_customer_phones", "quantity", "amount", "claimed_items", "reverse_records", "quick_sale_tiles",
           "quote"]


class SaleConflict(Refusal):
    """The UUID was already used for a different sale (HTTP 409)."""


@dataclass(frozen=True)
class Buyer:
    """A business customer's KRA PIN given at the sale (printed on the receipt, sent to eTIMS);
    ``checked``: KRA's customer lookup knew it (False: KRA could not be asked, recorded unverified)."""

    pin: str
    name: str = ""
    checked: bool = False


@dataclass(frozen=True)
class SaleLineInput:
    """One line to sell. ``item_id`` with the item's own price and VAT class, unless ``unit_price``
    or ``band`` say otherwise (a cylinder's refill price). ``item_id=None`` with a ``description``
    is a charge that is not an item (a brand swap fee). ``account`` makes the line a refundable
    deposit credited to that liability: not revenue, no VAT."""

    item_id: int | None
    quantity: Decimal
    unit_price: Decimal | None = None
    description: str = ""
    band: str | None = None
    account: str = ""


@dataclass
class Built:
    """What a module's ``build(sale)`` returns: its document, ledger lines to add to the sale's
    entry (netted per account with the engine's), and the entry's memo."""

    document: models.Model | None = None
    lines: list = field(default_factory=list)
    memo: str = ""


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


def _line_key(line: SaleLineInput) -> list:
    key = [line.item_id, f"{Decimal(line.quantity).normalize():f}"]
    if line.unit_price is not None or line.description or line.band or line.account:
        key += [None if line.unit_price is None else f"{tax.money(line.unit_price)}", line.description, line.band,
                line.account]
    return key


def fingerprint(business_code, lines, discount, customer_phone, method, cash_amount, extra=None) -> str:
    """What the sale was, to tell a replay (same UUID, same sale) from a reused UUID."""
    content = {
        "business": business_code,
        "lines": sorted((_line_key(line) for line in lines), key=json.dumps),
        "discount": f"{tax.money(discount)}", "customer": customer_phone, "method": method,
        "cash": f"{tax.money(cash_amount)}" if cash_amount is not None else None,
    }
    if extra:
        content["extra"] = extra
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _existing(client_uuid, print_):
    sale = Sale.objects.filter(client_uuid=client_uuid).first()
    if sale is not None and sale.fingerprint != print_:
        raise SaleConflict(f"Receipt {sale.receipt_number} was already saved with this sale's ID but different "
                           f"items or payment. Start a new sale instead of resending this one.")
    return sale


def _next_number(business) -> int:
    """The business's next receipt number, in one round trip: the counter row (made on the first
    sale) is incremented and stays row-locked until the sale's transaction ends, so numbers run
    without gaps (a sale rolled back gives its number back) and two sales never get the same one."""
    table = connection.ops.quote_name(SaleCounter._meta.db_table)
    with connection.cursor() as cursor:
        # bandit: only the model's own quoted table name is formatted in; the business is a parameter
        cursor.execute(f"INSERT INTO {table} AS counter (business_id, last_number) VALUES (%s, 1) "  # nosec B608
                       f"ON CONFLICT (business_id) DO UPDATE SET last_number = counter.last_number + 1 "
                       f"RETURNING last_number", [business.pk])
        return cursor.fetchone()[0]


def claimed_items(business) -> dict[int, str]:
    """Items the business's module sells through a flow of its own (``Module.sale_flows``), with
    the flow's name: never a plain quick-sale line (an LPG empty, a cylinder without its exchange)."""
    claimed = {}
    for flow in registry.sale_flows(business.code):
        for flow_item in import_string(flow.items)(business):
            claimed[flow_item.item_id] = flow.label
    return claimed


def create_sale(*, business: Business, client_uuid, lines: list[SaleLineInput], method: str = "cash",
                discount="0", customer_phone: str = "", customer_name: str = "", cash_amount=None, user=None,
                kind: str = "quick", build=None, fingerprint_extra=None, flow_items: bool = False,
                at=None, buyer: Buyer | None = None) -> tuple[Sale, bool]:
    """Record a sale; returns (sale, created). Cash (all of it for ``method="cash"``, else
    ``cash_amount``) is paid in the same transaction; what is left stays due: the caller asks for
    M-Pesa with payments.request_stk_push (outside the transaction), a laundry balance is taken at
    collection, a credit sale (``"credit"``, the customer's limit permitting) is paid later.
    ``build(sale) -> Built`` is the module's part (see the module docstring); ``flow_items`` lets it
    sell the items its flow claims. ``at`` dates the entry (default now)."""
    try:
        client_uuid = uuid_module.UUID(str(client_uuid))
    except ValueError as error:
        raise ValidationError("The sale has no valid ID; reload the page and try again.") from error
    if method not in METHODS:
        raise ValidationError(f"Unknown payment method {method!r}.")
    if not lines:
        raise ValidationError("Add at least one item.")
    lines = [SaleLineInput(line.item_id, quantity(line.quantity), line.unit_price, line.description, line.band,
                           line.account) for line in lines]
    discount = amount(discount or 0, "discount")
    cash_amount = amount(cash_amount, "cash part") if cash_amount not in (None, "") else None
    phone = normalize_phone(customer_phone) if customer_phone else ""
    if method == "credit" and not phone:
        raise ValidationError("A credit sale needs the customer's phone number.")
    print_ = fingerprint(business.code, lines, discount, phone, method, cash_amount, fingerprint_extra)
    existing = _existing(client_uuid, print_)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            sale = _record(business, client_uuid, print_, lines, method, discount, phone, customer_name, cash_amount,
                           user, kind, build, flow_items, at or timezone.now(), buyer)
            # in the sale's own transaction: a durable subscriber's message (eTIMS) commits with it
            events.publish("sale.committed", business=business.code, sale_id=sale.pk)
    except IntegrityError:
        existing = _existing(client_uuid, print_)  # the same UUID won a race: return what it saved
        if existing is None:
            raise
        return existing, False
    return sale, True


def _priced(business, lines, flow_items, on):
    """(line, item or None, gross, band) per line: each item's price and VAT class unless the
    line says otherwise; items of another business, inactive or claimed by a flow are refused."""
    items = Item.objects.in_bulk([line.item_id for line in lines if line.item_id is not None])
    claimed = {} if flow_items else claimed_items(business)
    percents = tax.rates(on)
    priced = []
    for line in lines:
        item = items.get(line.item_id) if line.item_id is not None else None
        if line.item_id is not None and (item is None or item.business_id != business.pk or not item.is_active):
            raise ValidationError("One of the items is not sold by this business any more; reload the page.")
        if item is not None and item.pk in claimed:
            raise ValidationError(f"{item.name} is sold through {claimed[item.pk]}, not as an item.")
        if item is None and (not line.description or line.unit_price is None):
            raise ValidationError("A line without an item needs a description and a price.")
        if line.account:
            band = tax.Band.NON_VAT  # a deposit: outside VAT, never revenue
        else:
            band = line.band or (item.tax_band if item is not None else tax.Band.STANDARD)
        price = line.unit_price if line.unit_price is not None else item.selling_price
        includes_vat = item.price_includes_vat if item is not None and line.unit_price is None else True
        # a price entered without VAT gets VAT added only where the business charges VAT at all
        percent = percents[band] if business.vat_registered else tax.ZERO
        gross = tax.line_gross(price, line.quantity, price_includes_vat=includes_vat, percent=percent)
        priced.append((line, item, Decimal(price), gross, band))
    return priced, percents


def quote(business, lines: list[SaleLineInput], *, discount=0, on=None, flow_items: bool = False) -> tax.Split:
    """What these lines would cost, taxed as a sale of today would be (nothing is recorded); its
    ``total`` leaves out deposits. For a module that must check a figure first (a laundry deposit
    against the job's total)."""
    on = on or timezone.localdate()
    lines = [SaleLineInput(line.item_id, quantity(line.quantity), line.unit_price, line.description, line.band,
                           line.account) for line in lines]
    priced, percents = _priced(business, lines, flow_items, on)
    return tax.split([(gross, band) for line, _, _, gross, band in priced if not line.account], on=on,
                     percents=percents, vat_registered=business.vat_registered, discount=discount)


def _record(business, client_uuid, print_, lines, method, discount, phone, customer_name, cash_amount, user, kind,
            build, flow_items, at, buyer=None):
    day = timezone.localdate(at)
    priced, percents = _priced(business, lines, flow_items, day)
    revenue = [(gross, band) for line, _, _, gross, band in priced if not line.account]
    deposits = [(line, gross) for line, _, _, gross, _ in priced if line.account]
    subtotal = sum((gross for _, _, _, gross, _ in priced), ZERO)
    if discount > sum((gross for gross, _ in revenue), ZERO):
        raise ValidationError(f"The discount (KES {discount}) is more than the sale (KES {subtotal}).")
    split = tax.split(revenue, on=day, percents=percents, vat_registered=business.vat_registered, discount=discount)
    total = split.total + sum((gross for _, gross in deposits), ZERO)
    cash = cash_amount if cash_amount is not None else total if method == "cash" else ZERO
    if cash > total:
        raise ValidationError("Cash is more than the sale; give change instead.")
    customer = customers.find_or_create(phone, name=customer_name, business=business) if phone else None
    if method == "credit":
        _check_credit(customer, total - cash)
    location = default_location(business)
    sale = Sale.objects.create(
        business=business, number=_next_number(business), client_uuid=client_uuid, fingerprint=print_,
        customer=customer, location=location, subtotal=subtotal, discount=discount, vat=split.vat, total=total,
        payment_method=method, kind=kind, created_by=user, buyer_pin=buyer.pin if buyer else "",
        paid_at=timezone.now() if cash == total else None,  # paid in full now (or nothing to pay)
        buyer_name=buyer.name[:60] if buyer else "", buyer_pin_checked=bool(buyer and buyer.checked))
    taxed = iter(split.lines)
    net = defaultdict(Decimal)  # account -> debit (+) or credit (-)
    for line, item, price, gross, band in priced:
        share = next(taxed) if not line.account else None
        SaleLine.objects.create(
            sale=sale, item=item, description=line.description[:120], quantity=line.quantity, unit_price=price,
            line_total=gross, discount=share.discount if share else ZERO, band=share.band if share else band,
            vat=share.vat if share else ZERO, account=line.account, unit_cost=item.cost if item is not None else 0)
        if line.account:
            net[line.account] -= gross
        if item is not None and item.tracks_stock:
            move_stock(item, location, -line.quantity, StockMovement.Kind.SALE, source=sale, user=user,
                       reason=f"Receipt {sale.receipt_number}")
            cost = value_at_cost(line.quantity, item.cost)
            net[chart.COST_OF_SALES] += cost
            net[chart.INVENTORY] -= cost
    built = build(sale) if build else Built()
    if built.document is not None:
        sale.document_type = ContentType.objects.get_for_model(built.document)
        sale.document_id = str(built.document.pk)
        sale.save(update_fields=["document_type", "document_id"])
    for entry_line in tax.entry_lines(split) + list(built.lines):
        net[entry_line.account] += entry_line.debit - entry_line.credit
    net[chart.RECEIVABLES] += total - split.total  # deposits are owed like the rest of the sale
    entry = [ledger.debit(code, value) if value > 0 else ledger.credit(code, -value)
             for code, value in sorted(net.items()) if value]
    if entry:
        ledger.post(business, day, built.memo or f"Sale {sale.receipt_number}", entry, source=sale, user=user)
    if cash:
        # the sale is this transaction's own: nothing paid on it yet, nothing to lock or read back
        payments.record_payment(sale, method=Payment.Method.CASH, amount=cash, payer_phone=phone, user=user,
                                due=total)
    return sale


def _check_credit(customer, total):
    """A credit sale ("deni") only within the limit the owner set for the customer."""
    limit = customer.credit_limit
    owes = max(accounts.subledger(customer)["balance"], ZERO)  # their credit counts against what they owe
    if owes + total > limit:
        if not limit:
            raise ValidationError(f"{customer} has no credit limit: the owner sets one on the customer's page "
                                  f"before selling on credit.")
        raise ValidationError(f"Credit limit reached: {customer} owes KES {owes:,.2f} and may owe at most "
                              f"KES {limit:,.2f}, so a credit sale of KES {total:,.2f} is refused. Take cash or "
                              f"M-Pesa, or ask the owner to raise the limit.")


def void_sale(sale: Sale, *, reason: str, refund: str = "route", user=None, at=None, memo: str = "") -> Sale:
    """Undo a sale: its stock movements (the engine's and the module's) are put back at today's
    average cost (a difference to the original value goes to stock losses, so Inventory keeps
    matching the valuation), its revenue entry is reversed, and the money paid goes back: by the
    way it came (``refund="route"``: each payment's entry is reversed), in cash, or kept as the
    customer's credit. Nothing is edited. The sale's document may refuse (``sale_void_refused``)
    and is told (``sale_voided``). Publishes ``sale.voided`` after commit."""
    if refund not in REFUNDS:
        raise ValidationError("Refund by the way it was paid, in cash, or as customer credit.")
    at = at or timezone.now()
    with transaction.atomic():
        sale = Sale.objects.select_for_update().select_related("business").get(pk=sale.pk)
        if sale.status == Sale.Status.VOIDED:
            raise ValidationError(f"Receipt {sale.receipt_number} is already void.")
        if refund == "credit" and sale.customer_id is None and payments.amount_paid(sale):
            raise ValidationError(f"Receipt {sale.receipt_number} has no customer to keep it for as credit: "
                                  f"refund it in cash or the way it was paid.")
        document = sale.document
        refused = getattr(document, "sale_void_refused", None)
        if refused is not None and (message := refused(sale)):
            raise ValidationError(message)
        note = (memo or f"Void of {sale.receipt_number}: {reason}")[:200]
        day = timezone.localdate(at)
        earlier = [document] if document is not None else []  # entries a document made before the engine
        entries = ledger.entries_for(sale) + [e for d in earlier for e in ledger.entries_for(d)]
        payment_entries = set(Payment.objects.filter(journal_entry__in=entries).values_list("journal_entry_id",
                                                                                           flat=True))
        reverse_records(sale, sale.business, note=note, user=user, day=day, also=earlier,
                        keep=payment_entries if refund != "route" else ())
        paid = payments.amount_paid(sale) if refund != "route" else ZERO
        if paid:
            to = chart.CASH if refund == "cash" else chart.CUSTOMER_CREDIT
            ledger.post(sale.business, day, f"{'Refund' if refund == 'cash' else 'Credit'}: {note}"[:200],
                        [ledger.debit(chart.RECEIVABLES, paid), ledger.credit(to, paid)], source=sale, user=user)
        sale.status, sale.voided_at, sale.void_reason, sale.void_refund = Sale.Status.VOIDED, at, reason[:120], refund
        sale.save(update_fields=["status", "voided_at", "void_reason", "void_refund"])
        told = getattr(document, "sale_voided", None)
        if told is not None:
            told(sale, reason=reason, user=user, at=at)
        events.publish("sale.voided", business=sale.business.code, sale_id=sale.pk)
    return sale


def reverse_records(source, business, *, note: str, user=None, day=None, also=(), keep=()) -> None:
    """Undo what ``source`` (and the documents in ``also``) did, inside the caller's transaction:
    every ledger entry of theirs is reversed (except the entries in ``keep``), and every stock
    movement is put back at today's average cost, the difference to the value it moved at going to
    stock losses so Inventory keeps matching the valuation (quantity × average cost)."""
    day = day or timezone.localdate()
    sources = [source, *also]
    for entry in [entry for each in sources for entry in ledger.entries_for(each)]:
        if entry.reversal_of_id is None and entry.pk not in keep and not hasattr(entry, "reversed_by"):
            ledger.reverse(entry, on=day, memo=note, user=user)
    revalued = ZERO
    for each in sources:
        for movement in list(StockMovement.objects.filter(source_type=ContentType.objects.get_for_model(each),
                                                          source_id=str(each.pk)).select_related("item", "location")):
            back = -movement.quantity
            move_stock(movement.item, movement.location, back,
                       StockMovement.Kind.RETURN if back > 0 else StockMovement.Kind.ADJUSTMENT, source=source,
                       user=user, reason=note[:120])
            sign = 1 if back > 0 else -1
            revalued += sign * (value_at_cost(abs(back), movement.item.cost)
                                - value_at_cost(abs(back), movement.unit_cost))
    if revalued:  # stock came back at today's average cost; the reversals restored the old values
        lines = ([ledger.debit(chart.INVENTORY, revalued), ledger.credit(chart.STOCK_LOSSES, revalued)]
                 if revalued > 0 else [ledger.debit(chart.STOCK_LOSSES, -revalued), ledger.credit(chart.INVENTORY, -revalued)])
        ledger.post(business, day, f"{note} (stock back at today's average cost)"[:200], lines, source=source,
                    user=user)


def takings_widget(business_code: str, title: str) -> Widget:
    """A business's "today's takings" dashboard widget: money received by any route (takings.py)."""
    return Widget(key=f"{business_code}.takings", title=title, callable="modules.core.sales.widgets.business_takings",
                  template="sales/widget_takings.html", refresh_seconds=30, permission="payments.view_payment",
                  business=business_code)


def vat_by_band(sale) -> list[dict]:
    """A receipt's tax table: per VAT class, the amount (VAT included) and the VAT in it, at the
    rates of the sale's day. Deposits are not in it."""
    percents = tax.rates(timezone.localdate(sale.created_at))
    rows = {}
    for line in sale.lines.all():
        if line.account:
            continue
        row = rows.setdefault(line.band, {"band": line.band, "label": tax.Band(line.band).label,
                                          "percent": percents[line.band], "total": ZERO, "vat": ZERO})
        row["total"] += line.total
        row["vat"] += line.vat
    return [rows[band] for band in sorted(rows)]


def favourite_items(business, limit: int = 24, exclude=()):
    """Active items, most sold in the last 30 days first (then by name): the quick sale's grid."""
    since = timezone.now() - timedelta(days=30)
    sold = (SaleLine.objects.filter(item=OuterRef("pk"), sale__status=Sale.Status.COMPLETED, sale__created_at__gte=since)
            .values("item").annotate(total=Sum("quantity")).values("total"))
    return (Item.objects.filter(business=business, is_active=True).exclude(pk__in=list(exclude))
            .annotate(sold=Coalesce(Subquery(sold), Decimal("0"))).order_by("-sold", "name")[:limit])


def quick_sale_tiles(business, limit: int = 24) -> list[dict]:
    """The quick sale's grid: the business's own flows first (a tap opens the module's page: an LPG
    cylinder opens its refill exchange), then plain items, best sellers first. Items a flow claims
    (an LPG empty, a full cylinder) are never plain tiles."""
    tiles, claimed = [], set()
    for flow in registry.sale_flows(business.code):
        for flow_item in import_string(flow.items)(business):
            claimed.add(flow_item.item_id)
            if not flow_item.hidden:
                tiles.append({"id": flow_item.item_id, "name": flow_item.label, "unit": "",
                              "price": str(flow_item.price if flow_item.price is not None else ""), "url": flow_item.url})
    tiles += [{"id": item.pk, "name": item.name, "price": str(item.selling_price), "unit": item.unit, "url": ""}
              for item in favourite_items(business, limit, exclude=claimed)]
    return tiles


def recent_customer_phones(business, limit: int = 5) -> list[str]:
    customer_ids = (Sale.objects.filter(business=business, customer__isnull=False)
                    .order_by("-created_at").values_list("customer_id", flat=True)[:50])
    first_phone = {}
    for customer_id, phone in (CustomerPhone.objects.filter(customer_id__in=list(customer_ids)).order_by("pk")
                               .values_list("customer_id", "phone")):
        first_phone.setdefault(customer_id, phone)
    ordered = [first_phone[c] for c in dict.fromkeys(customer_ids) if c in first_phone]
    return ordered[:limit]
