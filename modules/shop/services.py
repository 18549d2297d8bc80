"""Public surface of the shop module: LPG cylinder flows. Other modules never import it; they react
to its events ("shop.lpg_recorded").

A refill, brand swap, outright sale or deposit is a SALE through the core engine
(modules.core.sales: receipt number, idempotency by the phone's UUID, VAT per band, the revenue
entry, the cash payment, voids): this module gives it its lines and adds, in the same transaction,
its own part (the empty coming in, the shell going out on deposit) and its LPG receipt record. A
deposit return is a cash refund, recorded here in one transaction. Quick sales never sell a
cylinder item as a plain line: the module's ``SaleFlow`` (sale_flows.py) claims them.

Costing (VAT-inclusive prices):

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

import uuid as uuid_module
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
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
from modules.core.customers.phones import normalize_phone
from modules.core.purchasing import services as purchasing
from modules.core.registry import events
from modules.core.registry.contract import AccountSpec
from modules.core.sales import services as sales
from modules.core.tax import services as tax

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


LpgConflict = sales.SaleConflict  # the UUID was already used for a different transaction (HTTP 409)


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


def _existing_return(client_uuid, print_):
    """A deposit return is a refund, not a sale: its replay is recognised by its own UUID."""
    found = m.LpgSale.objects.filter(client_uuid=client_uuid).first()
    if found is not None and found.fingerprint != print_:
        raise LpgConflict(f"LPG receipt {found.receipt_number} was already saved with this ID but different "
                          f"contents. Start a new one instead of resending it.")
    return found


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
    """Record one LPG transaction; returns (lpg_sale, created). A refill, swap, outright sale or
    deposit is a sale through the core engine (receipt number, idempotency, VAT, revenue entry,
    cash payment, void); this module adds its flow: the customer's empty coming in, the shell
    going out on deposit. For M-Pesa the caller then asks with payments.request_stk_push(lpg.sale)
    (outside the transaction). A deposit return is a cash refund recorded here.
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
    if kind == m.LpgSale.Kind.RETURN:
        lpg, created = _record_return(business, client_uuid, cylinder_type, quantity, phone, user)
    else:
        sale, created = sales.create_sale(
            business=business, client_uuid=client_uuid, lines=_sale_lines(kind, cylinder_type, quantity),
            method=method, customer_phone=phone, user=user, kind="lpg", flow_items=True,
            fingerprint_extra={"lpg": kind, "type": cylinder_type.pk, "empty": empty_type.pk if empty_type else None},
            build=lambda sale: _build(sale, kind, cylinder_type, empty_type, quantity, phone, method, user))
        lpg = m.LpgSale.objects.select_related("sale").get(sale=sale)
    if created:
        events.publish("shop.lpg_recorded", business=business.code, lpg_sale_id=lpg.pk, kind=kind)
    return lpg, created


def _sale_lines(kind, cylinder_type, quantity) -> list:
    """What the customer pays for: the gas (the full cylinder at the refill price; at its own,
    outright, price for cylinder + gas), a brand swap fee, a deposit (a liability, no VAT)."""
    Kind = m.LpgSale.Kind
    full = cylinder_type.full_item
    lines = [sales.SaleLineInput(full.pk, quantity) if kind == Kind.OUTRIGHT
             else sales.SaleLineInput(full.pk, quantity, unit_price=cylinder_type.refill_price)]
    if kind == Kind.SWAP:
        lines.append(sales.SaleLineInput(None, quantity, unit_price=swap_fee(cylinder_type.business, cylinder_type.size_kg),
                                         description=f"Brand swap fee, {cylinder_type.get_size_kg_display()}",
                                         band=tax.Band.STANDARD))
    if kind == Kind.DEPOSIT:
        lines.append(sales.SaleLineInput(None, quantity, unit_price=cylinder_type.deposit,
                                         description=f"Cylinder deposit, {cylinder_type}", account=CYLINDER_DEPOSITS))
    return lines


def _build(sale, kind, cylinder_type, empty_type, quantity, phone, method, user) -> sales.Built:
    """The LPG side of the sale, in its transaction: the customer's empty comes in (refill, swap),
    or our shell goes out with them on deposit; the receipt's own record."""
    Kind = m.LpgSale.Kind
    if kind == Kind.DEPOSIT:  # one deposit or return per type at a time: they read the customer's balance
        cylinder_type = m.CylinderType.objects.select_for_update(of=("self",)).get(pk=cylinder_type.pk)
    full, reason = cylinder_type.full_item, f"LPG {sale.receipt_number}: {Kind(kind).label}"
    cost, shell, extra = value_at_cost(quantity, full.cost), ZERO, []
    if kind in (Kind.REFILL, Kind.SWAP):
        comes_in = (empty_type or cylinder_type).empty_item
        move_stock(comes_in, sale.location, quantity, StockMovement.Kind.RETURN, source=sale, user=user, reason=reason)
        value = value_at_cost(quantity, comes_in.cost)
        extra += [ledger.debit(chart.INVENTORY, value), ledger.credit(chart.COST_OF_SALES, value)]
        cost -= value
    if kind == Kind.DEPOSIT:  # the shell leaves stock but stays ours, with the customer
        shell = value_at_cost(quantity, cylinder_type.empty_item.cost)
        extra += [ledger.debit(CYLINDERS_OUT, shell), ledger.credit(chart.COST_OF_SALES, shell)]
        cost -= shell
    amounts = {"gas": ZERO, "swap_fee": ZERO, "deposit": ZERO}
    for line in sale.lines.all():
        key = "deposit" if line.account else "gas" if line.item_id else "swap_fee"
        amounts[key] += line.line_total
    lpg = m.LpgSale.objects.create(
        business=sale.business, sale=sale, client_uuid=sale.client_uuid, fingerprint=sale.fingerprint, kind=kind,
        cylinder_type=cylinder_type, empty_type=empty_type, quantity=quantity, customer_phone=phone,
        # bandit: `shell` is the cylinder shell deposit, not a subprocess flag
        customer=sale.customer, refund=ZERO, shell=shell, vat=sale.vat, total=sale.total, cost=cost,  # nosec B604
        payment_method=method, created_by=user, **amounts)
    memo = f"LPG {sale.receipt_number}: {Kind(kind).label}, {quantity} × {cylinder_type}"
    if kind == Kind.SWAP:
        memo += f" for a {empty_type.brand} empty"
    return sales.Built(document=lpg, lines=extra, memo=memo)


def _record_return(business, client_uuid, cylinder_type, quantity, phone, user):
    """A deposit cylinder comes back: the empty is ours again (back from "with customers", at
    today's cost: any difference is a stock loss) and the customer's deposit is refunded in cash."""
    print_ = sales.fingerprint(business.code, [], 0, phone, "cash", None,
                               {"lpg": m.LpgSale.Kind.RETURN, "type": cylinder_type.pk, "quantity": quantity})
    existing = _existing_return(client_uuid, print_)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return _refund_deposit(business, client_uuid, print_, cylinder_type, quantity, phone, user), True
    except IntegrityError:
        existing = _existing_return(client_uuid, print_)  # the same UUID won a race
        if existing is None:
            raise
        return existing, False


def _refund_deposit(business, client_uuid, print_, cylinder_type, quantity, phone, user):
    cylinder_type = (m.CylinderType.objects.select_for_update(of=("self",)).select_related("empty_item")
                     .get(pk=cylinder_type.pk))
    balance = next(iter(b for b in deposit_balances(business, phone) if b["type"].pk == cylinder_type.pk), None)
    out = balance["out"] if balance else 0
    if quantity > out:
        raise ValidationError(f"{phone} has {out} {cylinder_type} cylinder{'s' if out != 1 else ''} on deposit, "
                              f"not {quantity}.")
    refund = tax.money(balance["deposits"] * quantity / out)
    shell = tax.money(balance["shells"] * quantity / out)
    lpg = m.LpgSale.objects.create(
        business=business, client_uuid=client_uuid, fingerprint=print_, kind=m.LpgSale.Kind.RETURN,
        cylinder_type=cylinder_type, empty_type=cylinder_type, quantity=quantity, customer_phone=phone,
        # bandit: `shell` is the cylinder shell deposit, not a subprocess flag
        customer=balance["customer"], gas=ZERO, refund=refund, shell=shell, vat=ZERO, total=ZERO,  # nosec B604
        payment_method=m.LpgSale.Method.CASH, created_by=user)
    empty = cylinder_type.empty_item
    move_stock(empty, default_location(business), quantity, StockMovement.Kind.RETURN, source=lpg, user=user,
               reason=f"LPG {lpg.receipt_number}: deposit cylinder returned")
    back_at = value_at_cost(quantity, empty.cost)
    net = defaultdict(Decimal, {chart.INVENTORY: back_at, CYLINDERS_OUT: -shell, chart.STOCK_LOSSES: shell - back_at,
                                CYLINDER_DEPOSITS: refund, chart.CASH: -refund})
    lpg.cost = net[chart.STOCK_LOSSES]
    lpg.save(update_fields=["cost"])
    lines = [ledger.debit(code, value) if value > 0 else ledger.credit(code, -value) for code, value in net.items()
             if value]
    if len(lines) >= 2:
        ledger.post(business, timezone.localdate(), f"LPG {lpg.receipt_number}: deposit cylinder returned, "
                    f"{quantity} × {cylinder_type}", lines, source=lpg, user=user)
    return lpg


def take_cash(lpg, user=None):
    """The rest of an M-Pesa LPG sale paid in cash instead (M-Pesa failed or was cancelled)."""
    due = payments.amount_due(lpg.sale) if lpg.sale_id else ZERO
    if due > 0:
        payments.record_payment(lpg.sale, method=Payment.Method.CASH, amount=due, payer_phone=lpg.customer_phone,
                                user=user)
    return due


def void_lpg(lpg, *, reason: str, user=None):
    """Undo an LPG receipt. A sale is voided by the sale engine (stock back, entries reversed, paid
    money back by its route); the receipt refuses while a deposit's cylinder is back (void the
    return first). A deposit return is undone here the same way (sales.reverse_records)."""
    if lpg.sale_id:
        sales.void_sale(lpg.sale, reason=reason, user=user)
        lpg.refresh_from_db()
        return lpg
    with transaction.atomic():
        lpg = m.LpgSale.objects.select_for_update().select_related("business").get(pk=lpg.pk)
        if lpg.voided_at:
            raise ValidationError(f"LPG receipt {lpg.receipt_number} is already void.")
        m.CylinderType.objects.select_for_update().filter(pk=lpg.cylinder_type_id).first()
        sales.reverse_records(lpg, lpg.business, note=f"Void of {lpg.receipt_number}: {reason}", user=user)
        lpg.voided_at, lpg.void_reason = timezone.now(), reason[:120]
        lpg.save(update_fields=["voided_at", "void_reason"])
    return lpg


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
