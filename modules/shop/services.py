"""Public surface of the shop module: LPG cylinder flows. Other modules never import it; they react
to its events ("shop.lpg_recorded").

Every flow is ONE transaction: stock movements (full and empty items of a CylinderType), one
ledger entry, and the cash payment; idempotent by the phone's UUID like a quick sale.

Costing (VAT-inclusive prices, 16 %):

* An EMPTY cylinder is carried at its item's average cost, the shell's value (E). A FULL one at its
  item's average cost, shell + gas (F). Empties always move in and out at E, so E stays the shell.
* Refill exchange: full −1 at F, the customer's empty +1 at E: cost of sales F − E (the gas).
* Brand swap: like a refill, but the empty that comes in is the other brand's (its E), plus the fee.
* Cylinder + gas (outright): full −1, cost of sales F.
* Gas + deposit: full −1; the gas part F − E is cost of sales, the shell E moves to the asset
  "LPG cylinders with deposit customers" (1210); the deposit is a liability (2110), never revenue.
* Deposit return: empty +1 at E, refund in cash of the deposit the customer paid (the average of
  their open deposits for that type, so the last one clears the balance exactly), the shell comes
  back from 1210 at the value it left with; a difference from today's E goes to stock losses.
* Supplier restock: fulls +N at the order's (gas) price plus the value of the N empties handed back
  (purchasing.receive(..., exchanged=...)): Inventory rises by what is owed, one entry.
"""

import hashlib
import json
import uuid as uuid_module
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from modules.core.customers import services as customers
from modules.core.customers.models import Customer
from modules.core.inventory.models import StockLevel, StockMovement
from modules.core.inventory.services import OutOfStock, default_location, move_stock, upsert_item, value_at_cost
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.payments import services as payments
from modules.core.payments.models import Payment
from modules.core.payments.phones import normalize_phone
from modules.core.purchasing import services as purchasing
from modules.core.registry import events
from modules.core.registry.contract import AccountSpec
from modules.core.registry.refusals import Refusal
from modules.core.sales import tax

from . import models as m

BUSINESS_CODE = "shop"
CYLINDERS_OUT = "1210"
CYLINDER_DEPOSITS = "2110"
ACCOUNTS = (
    AccountSpec(CYLINDERS_OUT, "LPG cylinders with deposit customers", "asset"),
    AccountSpec(CYLINDER_DEPOSITS, "LPG cylinder deposits held", "liability"),
)
# What the LPG counter needs (the "Shop staff" role); the Accountant gets shop.view_*.
LPG_DESK = ("shop.view_cylindertype", "shop.add_cylindertype", "shop.change_cylindertype", "shop.view_swapfee",
            "shop.add_swapfee", "shop.change_swapfee", "shop.view_lpgsale", "shop.add_lpgsale")
ZERO = Decimal("0.00")
MAX_QUANTITY = 20
__all__ = ["OutOfStock", "LpgConflict", "record_lpg", "restock_exchange", "deposit_balances", "quote",
           "create_cylinder_type", "cylinder_stock"]


class LpgConflict(Refusal):
    """The UUID was already used for a different LPG transaction (HTTP 409)."""


# --- cylinder types -----------------------------------------------------------------------------

@transaction.atomic
def create_cylinder_type(business, *, size_kg: int, brand: str, refill_price, outright_price, deposit,
                         empty_price=None, shell_cost="0", full_cost="0"):
    """A size + brand with its two stock items (FULL and EMPTY), or the existing one updated.
    Idempotent: the items are keyed by SKU (S-LPG-13-KGAS-FULL / -EMPTY)."""
    brand = brand.strip()
    code = "".join(ch for ch in brand.upper() if ch.isalnum())[:10]
    if not code:
        raise ValidationError("Give the brand a name.")
    if int(size_kg) not in m.Size.values:
        raise ValidationError(f"Sizes are {', '.join(m.Size.labels)}.")
    label = f"LPG {size_kg} kg {brand}"
    full = upsert_item(business, sku=f"S-LPG-{size_kg}-{code}-FULL", name=f"{label} (full)",
                       price=Decimal(outright_price), unit="cylinder")
    empty = upsert_item(business, sku=f"S-LPG-{size_kg}-{code}-EMPTY", name=f"{label} (empty)",
                        price=Decimal(empty_price if empty_price is not None else deposit), unit="cylinder")
    for item, cost in ((full, full_cost), (empty, shell_cost)):
        if not item.movements.exists():  # the cost of stock on hand is the moving average's business
            item.cost, item.tracks_stock = Decimal(cost), True
            item.save(update_fields=["cost", "tracks_stock"])
    cylinder, _ = m.CylinderType.objects.update_or_create(
        business=business, size_kg=int(size_kg), brand=brand,
        defaults={"full_item": full, "empty_item": empty, "refill_price": Decimal(refill_price),
                  "deposit": Decimal(deposit)})
    return cylinder


def cylinder_types(business):
    return (m.CylinderType.objects.filter(business=business, is_active=True)
            .select_related("full_item", "empty_item"))


def cylinder_stock(business) -> list[dict]:
    """Fulls and empties on hand per type (all locations), with the full item's reorder level at the
    default location and whether fulls are at or below it."""
    types = list(cylinder_types(business))
    item_ids = [t.full_item_id for t in types] + [t.empty_item_id for t in types]
    on_hand = dict(StockLevel.objects.filter(item_id__in=item_ids).values("item_id")
                   .annotate(q=Sum("quantity")).values_list("item_id", "q"))
    location = default_location(business)
    reorder = dict(StockLevel.objects.filter(item_id__in=item_ids, location=location)
                   .values_list("item_id", "reorder_level"))
    rows = []
    for t in types:
        full, empty = on_hand.get(t.full_item_id, ZERO), on_hand.get(t.empty_item_id, ZERO)
        level = reorder.get(t.full_item_id, ZERO)
        rows.append({"type": t, "full": full, "empty": empty, "reorder_level": level,
                     "low": level > 0 and full <= level})
    return rows


def swap_fee(business, size_kg) -> Decimal:
    fee = m.SwapFee.objects.filter(business=business, size_kg=size_kg).values_list("fee", flat=True).first()
    return fee if fee is not None else ZERO


# --- customers' deposit cylinders -----------------------------------------------------------------

def deposit_balances(business, phone: str | None = None, *, customer=None) -> list[dict]:
    """Open deposit cylinders per customer and type: how many are out, the deposits held and the
    shell value they carry. ``phone`` (any of the customer's numbers) or ``customer`` limits it to
    one customer: the deposits are the customer's, whichever of their phones they gave."""
    rows = m.LpgSale.objects.filter(business=business, kind__in=[m.LpgSale.Kind.DEPOSIT, m.LpgSale.Kind.RETURN],
                                    voided_at=None)
    if phone:
        normalize_phone(phone)  # a number that is no phone number is refused with the usual message
        customer = customers.for_phone(phone)
        if customer is None:
            return []
    if customer is not None:
        rows = rows.filter(customer=customer)
    out_q = Q(kind=m.LpgSale.Kind.DEPOSIT)
    totals = (rows.values("customer", "cylinder_type")
              .annotate(taken=Coalesce(Sum("quantity", filter=out_q), 0),
                        back=Coalesce(Sum("quantity", filter=~out_q), 0),
                        held=Coalesce(Sum("deposit"), ZERO) - Coalesce(Sum("refund"), ZERO),
                        shells=Coalesce(Sum("shell", filter=out_q), ZERO) - Coalesce(Sum("shell", filter=~out_q), ZERO))
              .order_by("customer", "cylinder_type"))
    totals = [row for row in totals if row["taken"] - row["back"] > 0]
    types = m.CylinderType.objects.in_bulk([row["cylinder_type"] for row in totals])
    people = Customer.objects.prefetch_related("phones").in_bulk([row["customer"] for row in totals])
    return [{"customer": people[row["customer"]], "phone": people[row["customer"]].primary_phone,
             "type": types[row["cylinder_type"]], "out": row["taken"] - row["back"], "deposits": row["held"],
             "shells": row["shells"]} for row in totals]


# --- recording a transaction ----------------------------------------------------------------------

def quote(kind, cylinder_type, quantity=1, empty_type=None) -> dict:
    """The customer's price: gas (or cylinder + gas), swap fee and deposit, VAT included."""
    Kind = m.LpgSale.Kind
    quantity = int(quantity)
    gas = fee = deposit = ZERO
    if kind in (Kind.REFILL, Kind.SWAP, Kind.DEPOSIT):
        gas = cylinder_type.refill_price * quantity
    if kind == Kind.OUTRIGHT:
        gas = cylinder_type.outright_price * quantity
    if kind == Kind.SWAP:
        fee = swap_fee(cylinder_type.business, cylinder_type.size_kg) * quantity
    if kind == Kind.DEPOSIT:
        deposit = cylinder_type.deposit * quantity
    gas, fee, deposit = tax.money(gas), tax.money(fee), tax.money(deposit)
    vat = tax.split([(gas, cylinder_type.full_item.tax_band), (fee, tax.Band.STANDARD)], on=timezone.localdate(),
                    vat_registered=cylinder_type.business.vat_registered).vat
    return {"gas": gas, "swap_fee": fee, "deposit": deposit, "vat": vat, "total": gas + fee + deposit}


def fingerprint(business_code, kind, type_id, empty_type_id, quantity, phone, method) -> str:
    canonical = json.dumps({"business": business_code, "kind": kind, "type": type_id, "empty": empty_type_id,
                            "quantity": int(quantity), "phone": phone, "method": method},
                           sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _existing(client_uuid, print_):
    sale = m.LpgSale.objects.filter(client_uuid=client_uuid).first()
    if sale is not None and sale.fingerprint != print_:
        raise LpgConflict(f"LPG receipt {sale.receipt_number} was already saved with this ID but different "
                          f"contents. Start a new one instead of resending it.")
    return sale


def _next_number(business) -> int:
    m.LpgCounter.objects.get_or_create(business=business)
    counter = m.LpgCounter.objects.select_for_update().get(business=business)
    counter.last_number = F("last_number") + 1
    counter.save(update_fields=["last_number"])
    counter.refresh_from_db()
    return counter.last_number


def _validate(business, kind, cylinder_type, quantity, empty_type, method, phone):
    Kind = m.LpgSale.Kind
    if kind not in Kind.values:
        raise ValidationError(f"Unknown LPG transaction {kind!r}.")
    if method not in m.LpgSale.Method.values:
        raise ValidationError("Pay by cash or M-Pesa.")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationError(f"Give a number of cylinders from 1 to {MAX_QUANTITY}.")
    if cylinder_type is None or cylinder_type.business_id != business.pk or not cylinder_type.is_active:
        raise ValidationError("That cylinder is not sold here any more; reload the page.")
    if kind == Kind.REFILL:
        empty_type = empty_type or cylinder_type
        if empty_type.pk != cylinder_type.pk:
            raise ValidationError("The customer's empty is another brand: choose Brand swap.")
    elif kind == Kind.SWAP:
        if empty_type is None:
            raise ValidationError("Pick the brand of the customer's empty.")
        if empty_type.business_id != business.pk or empty_type.size_kg != cylinder_type.size_kg:
            raise ValidationError("A brand swap takes an empty of the same size.")
        if empty_type.pk == cylinder_type.pk:
            raise ValidationError("Same brand: that is a refill exchange, not a swap.")
    elif empty_type is not None:
        raise ValidationError(f"A {Kind(kind).label.lower()} takes no empty from the customer.")
    if kind in (Kind.DEPOSIT, Kind.RETURN) and not phone:
        raise ValidationError("Enter the customer's phone number: deposits are kept per customer.")
    if method == m.LpgSale.Method.MPESA and not phone:
        raise ValidationError("Enter the customer's M-Pesa number.")
    if kind == Kind.RETURN and method != m.LpgSale.Method.CASH:
        raise ValidationError("Deposit refunds are paid in cash.")
    return empty_type


def record_lpg(*, business, client_uuid, kind: str, cylinder_type, quantity=1, empty_type=None,
               method: str = "cash", customer_phone: str = "", user=None):
    """Record one LPG transaction; returns (lpg_sale, created). Cash is paid in the same transaction;
    for M-Pesa the caller then asks with payments.request_stk_push (outside the transaction).
    Raises ValidationError, OutOfStock, LpgConflict or ledger.LedgerError (cash would go negative)."""
    try:
        client_uuid = uuid_module.UUID(str(client_uuid))
    except ValueError as error:
        raise ValidationError("The transaction has no valid ID; reload the page and try again.") from error
    try:
        quantity = int(quantity)
    except (TypeError, ValueError) as error:
        raise ValidationError("Give a whole number of cylinders.") from error
    phone = normalize_phone(customer_phone) if customer_phone else ""
    empty_type = _validate(business, kind, cylinder_type, quantity, empty_type, method, phone)
    print_ = fingerprint(business.code, kind, cylinder_type.pk, empty_type.pk if empty_type else None, quantity,
                         phone, method)
    existing = _existing(client_uuid, print_)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            sale = _record(business, client_uuid, print_, kind, cylinder_type, quantity, empty_type, method,
                           phone, user)
    except IntegrityError:
        existing = _existing(client_uuid, print_)  # the same UUID won a race: return what it saved
        if existing is None:
            raise
        return existing, False
    events.publish("shop.lpg_recorded", business=business.code, lpg_sale_id=sale.pk, kind=kind)
    return sale, True


def _record(business, client_uuid, print_, kind, cylinder_type, quantity, empty_type, method, phone, user):
    Kind = m.LpgSale.Kind
    # One LPG posting per type at a time: deposits and returns read the customer's open balance.
    cylinder_type = (m.CylinderType.objects.select_for_update(of=("self",)).select_related("full_item", "empty_item")
                     .get(pk=cylinder_type.pk))
    if empty_type is not None and empty_type.pk != cylinder_type.pk:
        empty_type = m.CylinderType.objects.select_related("empty_item").get(pk=empty_type.pk)
    elif empty_type is not None:
        empty_type = cylinder_type
    price = quote(kind, cylinder_type, quantity, empty_type)
    refund = shell = ZERO
    if kind == Kind.RETURN:
        balance = next(iter(b for b in deposit_balances(business, phone) if b["type"].pk == cylinder_type.pk), None)
        out = balance["out"] if balance else 0
        if quantity > out:
            raise ValidationError(f"{phone} has {out} {cylinder_type} cylinder{'s' if out != 1 else ''} on deposit, "
                                  f"not {quantity}.")
        refund = tax.money(balance["deposits"] * quantity / out)
        shell = tax.money(balance["shells"] * quantity / out)
        price = {**price, "gas": ZERO, "vat": ZERO, "total": ZERO}
    elif kind == Kind.DEPOSIT:
        shell = value_at_cost(quantity, cylinder_type.empty_item.cost)
    sale = m.LpgSale.objects.create(
        business=business, number=_next_number(business), client_uuid=client_uuid, fingerprint=print_, kind=kind,
        cylinder_type=cylinder_type, empty_type=empty_type if kind != Kind.RETURN else cylinder_type,
        quantity=quantity, customer_phone=phone,
        customer=customers.find_or_create(phone, business=business) if phone else None, gas=price["gas"], swap_fee=price["swap_fee"],
        deposit=price["deposit"], refund=refund, shell=shell, vat=price["vat"], total=price["total"],
        payment_method=method, created_by=user)
    location = default_location(business)
    reason = f"LPG {sale.receipt_number}: {Kind(kind).label}"
    net = defaultdict(Decimal)  # account -> debit (positive) or credit (negative)
    if kind != Kind.RETURN:
        full = cylinder_type.full_item
        move_stock(full, location, -quantity, StockMovement.Kind.SALE, source=sale, user=user, reason=reason)
        net[chart.INVENTORY] -= value_at_cost(quantity, full.cost)
        net[chart.COST_OF_SALES] += value_at_cost(quantity, full.cost)
    comes_in = empty_type.empty_item if empty_type is not None and kind != Kind.RETURN else (
        cylinder_type.empty_item if kind == Kind.RETURN else None)
    if comes_in is not None:
        move_stock(comes_in, location, quantity, StockMovement.Kind.RETURN, source=sale, user=user, reason=reason)
        net[chart.INVENTORY] += value_at_cost(quantity, comes_in.cost)
        if kind == Kind.RETURN:  # the shell was ours all along: back from "with customers", at today's cost
            net[CYLINDERS_OUT] -= shell
            net[chart.STOCK_LOSSES] += shell - value_at_cost(quantity, comes_in.cost)
            net[CYLINDER_DEPOSITS] += refund
            net[chart.CASH] -= refund
        else:
            net[chart.COST_OF_SALES] -= value_at_cost(quantity, comes_in.cost)
    if kind == Kind.DEPOSIT:
        net[CYLINDERS_OUT] += shell
        net[chart.COST_OF_SALES] -= shell
    taxable = sale.gas + sale.swap_fee
    net[chart.RECEIVABLES] += sale.total
    net[chart.SALES] -= taxable - sale.vat
    net[chart.VAT_PAYABLE] -= sale.vat
    net[CYLINDER_DEPOSITS] -= sale.deposit
    sale.cost = net[chart.COST_OF_SALES] if kind != Kind.RETURN else net[chart.STOCK_LOSSES]
    sale.save(update_fields=["cost"])
    lines = [ledger.debit(code, amount) if amount > 0 else ledger.credit(code, -amount)
             for code, amount in net.items() if amount]
    if len(lines) >= 2:
        memo = f"LPG {sale.receipt_number}: {Kind(kind).label}, {quantity} × {cylinder_type}"
        if kind == Kind.SWAP:
            memo += f" for a {empty_type.brand} empty"
        ledger.post(business, timezone.localdate(), memo, lines, source=sale, user=user)
    if sale.total and method == m.LpgSale.Method.CASH:
        payments.record_payment(sale, method=Payment.Method.CASH, amount=sale.total, payer_phone=phone, user=user)
        sale.refresh_from_db(fields=["paid_at"])
    elif not sale.total:
        sale.mark_paid(timezone.now())
    return sale


def take_cash(sale, user=None):
    """The rest of an M-Pesa LPG transaction paid in cash instead (M-Pesa failed or was cancelled)."""
    due = payments.amount_due(sale)
    if due > 0:
        payments.record_payment(sale, method=Payment.Method.CASH, amount=due, payer_phone=sale.customer_phone,
                                user=user)
    return due


@transaction.atomic
def void_lpg(sale, *, reason: str, user=None):
    """Undo an LPG receipt: its stock movements are put back and every ledger entry of it (the
    transaction and its payments) is reversed; the original rows stay as they were. A deposit whose
    cylinder has already come back cannot be voided (void the return first)."""
    sale = m.LpgSale.objects.select_for_update().select_related("business", "cylinder_type").get(pk=sale.pk)
    if sale.voided_at:
        raise ValidationError(f"LPG receipt {sale.receipt_number} is already void.")
    m.CylinderType.objects.select_for_update().filter(pk=sale.cylinder_type_id).first()
    if sale.kind == m.LpgSale.Kind.DEPOSIT:
        out = next((b["out"] for b in deposit_balances(sale.business, customer=sale.customer)
                    if b["type"].pk == sale.cylinder_type_id), 0)
        if out < sale.quantity:
            raise ValidationError(f"The cylinder of {sale.receipt_number} has already come back: void the return "
                                  f"first.")
    note = f"Void of {sale.receipt_number}: {reason}"[:120]
    revalued = ZERO  # stock comes back at today's average cost; the reversals restore the old values
    for movement in list(StockMovement.objects.filter(source_type=ContentType.objects.get_for_model(sale),
                                                      source_id=str(sale.pk)).select_related("item", "location")):
        move_stock(movement.item, movement.location, -movement.quantity,
                   StockMovement.Kind.RETURN if movement.quantity < 0 else StockMovement.Kind.ADJUSTMENT,
                   source=sale, user=user, reason=note)
        back = -movement.quantity
        sign = 1 if back > 0 else -1
        revalued += sign * (value_at_cost(abs(back), movement.item.cost) - value_at_cost(abs(back), movement.unit_cost))
    for entry in ledger.entries_for(sale):
        if entry.reversal_of_id is None and not hasattr(entry, "reversed_by"):
            ledger.reverse(entry, memo=note, user=user)
    if revalued:  # keep Inventory equal to the valuation (quantity × average cost)
        lines = [ledger.debit(chart.INVENTORY, revalued), ledger.credit(chart.STOCK_LOSSES, revalued)] if revalued > 0 \
            else [ledger.debit(chart.STOCK_LOSSES, -revalued), ledger.credit(chart.INVENTORY, -revalued)]
        ledger.post(sale.business, timezone.localdate(), f"{note} (stock back at today's average cost)", lines,
                    source=sale, user=user)
    sale.voided_at, sale.void_reason = timezone.now(), reason[:120]
    sale.save(update_fields=["voided_at", "void_reason"])
    return sale


# --- restocking from the supplier -----------------------------------------------------------------

def restock_exchange(po, quantities: dict, location=None, *, empties: dict | None = None, user=None):
    """Receive a sent purchase order of FULL cylinders and hand the supplier the same number of our
    EMPTIES of that type (``empties`` {line_id: n} overrides the count; 0 for cylinders bought new),
    in one transaction and one posting (purchasing.receive with ``exchanged``). The order's unit
    cost is the supplier's refill (gas) price; the fulls come in at that plus the shell's value."""
    location = location or default_location(po.business)
    by_full = {t.full_item_id: t for t in m.CylinderType.objects.filter(business=po.business)
               .select_related("empty_item")}
    exchanged = {}
    for line in po.lines.all():
        received = quantities.get(line.pk, quantities.get(str(line.pk)))
        if line.item_id not in by_full or received in (None, "", 0, "0"):
            continue
        raw = (empties or {}).get(line.pk, (empties or {}).get(str(line.pk), received)) or 0
        try:
            back, received = Decimal(str(raw)), Decimal(str(received))
        except InvalidOperation:
            raise ValidationError(f"{by_full[line.item_id]}: enter numbers only.") from None
        if back > received:
            raise ValidationError(f"{by_full[line.item_id]}: {back.normalize():f} empties handed back for "
                                  f"{received.normalize():f} fulls received.")
        if back:
            exchanged[line.pk] = (by_full[line.item_id].empty_item, back)
    return purchasing.receive(po, quantities, location, user, exchanged=exchanged)


# --- figures for widgets --------------------------------------------------------------------------

def takings(business, day=None) -> dict:
    """Money taken on a day (every payment of the business: quick sales and LPG), by method, and the
    deposit refunds paid out in cash."""
    day = day or timezone.localdate()
    received = dict(Payment.objects.filter(business=business, received_at__date=day).values("method")
                    .annotate(total=Sum("amount")).values_list("method", "total"))
    refunds = m.LpgSale.objects.filter(business=business, created_at__date=day).aggregate(
        total=Coalesce(Sum("refund"), ZERO))["total"]
    cash, mpesa = received.get("cash", ZERO), received.get("mpesa", ZERO)
    return {"cash": cash, "mpesa": mpesa, "refunds": refunds, "net": cash + mpesa - refunds}


def top_lpg(business, days=7, limit=5) -> list[dict]:
    since = timezone.now() - timedelta(days=days)
    rows = (m.LpgSale.objects.filter(business=business, created_at__gte=since, voided_at=None)
            .exclude(kind=m.LpgSale.Kind.RETURN)
            .values("cylinder_type").annotate(count=Sum("quantity"), sales=Sum("gas"), n=Count("id"))
            .order_by("-count")[:limit])
    types = m.CylinderType.objects.in_bulk([row["cylinder_type"] for row in rows])
    return [{"name": f"LPG {types[row['cylinder_type']]}", "quantity": row["count"], "amount": row["sales"]}
            for row in rows]
