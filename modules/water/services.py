"""Public surface of the water module: production from recipes, returnable bottles, deliveries.

Other modules never import it; they react to its events ("water.batch_posted", "water.dispatched",
"water.delivered").

Money:
* A production batch moves value inside Inventory (raw materials out, finished goods in, both in
  1200 Inventory), so the good units need no entry; the materials spoilt in rejects are a loss:
  Dr Stock losses / Cr Inventory.
* A bottle deposit: Dr Receivables / Cr Bottle deposits (a liability), then the payment (cash or
  M-Pesa, payments core) Dr Cash or M-Pesa till / Cr Receivables. A refund: Dr Bottle deposits /
  Cr Cash (cash cannot go below zero).
* A delivery is sold on delivery through sales.create_sale (stock, sales, VAT, cost of sales and
  the cash payment in one transaction; M-Pesa through an STK push on the sale).
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from modules.core.customers import services as customers
from modules.core.customers.models import Customer
from modules.core.inventory.models import Item, StockLevel, StockMovement
from modules.core.inventory.services import OutOfStock, default_location, move_stock, on_hand, value_at_cost
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.payments import services as payments
from modules.core.payments.models import Payment
from modules.core.customers.phones import normalize_phone
from modules.core.registry import events
from modules.core.registry.refusals import Refusal
from modules.core.sales import services as sales
from modules.core.tax import services as tax

BUSINESS_CODE = "water"
BOTTLE_DEPOSITS = "2110"  # declared in module.py as a liability of the water business
DEPOSIT_PER_BOTTLE = Decimal("500")
ZERO = Decimal("0")
CENT = Decimal("0.01")
COST_PLACES = Decimal("0.0001")
METHODS = ("cash", "mpesa")
DELIVERY_METHODS = ("cash", "mpesa", "credit")  # credit: on the customer's account, within their limit


class WaterError(Refusal):
    """A water step refused; the message is written for the person who tried it."""


def _quantity(value, what) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        raise WaterError(f"{what}: {value!r} is not a number.") from None
    if not number.is_finite() or number < 0:
        raise WaterError(f"{what} cannot be below 0.")
    return number


def _bottles(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise WaterError(f"Bottles: {value!r} is not a whole number.") from None


def _n(value: Decimal) -> str:
    """1,500 / 0.5: a quantity as people write it."""
    value = Decimal(value).normalize()
    return f"{value:,f}" if value == value.to_integral() else f"{value:f}"


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _plural(unit: str, quantity) -> str:
    return unit if Decimal(quantity) == 1 or unit.endswith("s") or unit in ("kg", "m", "l") else f"{unit}s"


# --- production --------------------------------------------------------------------------------

def requirements(recipe, quantity, location=None) -> list[dict]:
    """What ``quantity`` units of the recipe's product consume, beside what is on hand."""
    location = location or default_location(recipe.business)
    rows = []
    for line in recipe.lines.select_related("material"):
        need = line.quantity * Decimal(quantity)
        have = on_hand(line.material, location)
        rows.append({"material": line.material, "per_unit": line.quantity, "need": need, "have": have,
                     "short": line.material.tracks_stock and need > have,
                     "cost": value_at_cost(need, line.material.cost)})
    return rows


def shortages(recipe, quantity, location=None) -> list[str]:
    """One message per short material: "Not enough Caps 20 L for 500 bottles (need 500, have 320)"."""
    product = recipe.product
    return [f"Not enough {row['material'].name} for {_n(quantity)} {_plural(product.unit, quantity)} of "
            f"{product.name} (need {_n(row['need'])}, have {_n(row['have'])})"
            for row in requirements(recipe, quantity, location) if row["short"]]


def _locked_batch(batch):
    from .models import ProductionBatch

    return (ProductionBatch.objects.select_for_update(of=("self",))
            .select_related("business", "recipe__product", "location").get(pk=batch.pk))


def _location(batch):
    return batch.location or default_location(batch.business)


@transaction.atomic
def start_batch(batch, user=None, *, operator=None):
    """Planned -> Running, only if every material is there for the planned quantity."""
    from .models import ProductionBatch

    batch = _locked_batch(batch)
    if batch.status != ProductionBatch.Status.PLANNED:
        raise WaterError(f"{batch} is {batch.get_status_display().lower()}: only a planned batch can start.")
    short = shortages(batch.recipe, batch.planned_quantity, _location(batch))
    if short:
        raise WaterError(short)
    batch.status = ProductionBatch.Status.RUNNING
    batch.started_at = timezone.now()
    batch.operator = (operator or batch.operator or _name(user))[:60]
    batch.save(update_fields=["status", "started_at", "operator"])
    return batch


def post_batch(batch, *, produced, rejects=0, user=None, ended_at=None):
    """Finish a batch: CONSUME the materials for produced + rejects units, PRODUCE the good units
    valued at the material cost of good units (moving-average cost of the product updated), and
    post the rejects' material cost as a stock loss. All or nothing; a posted batch is returned
    as it is (posting twice moves nothing twice)."""
    with transaction.atomic():
        return _post_batch(batch, produced, rejects, user, ended_at)


def _post_batch(batch, produced, rejects, user, ended_at):
    from .models import ProductionBatch

    batch = _locked_batch(batch)
    if batch.status == ProductionBatch.Status.POSTED:
        return batch
    produced, rejects = _quantity(produced, "Good units"), _quantity(rejects or 0, "Rejects")
    made = produced + rejects
    if made <= 0:
        raise WaterError("Enter the good units made (and any rejects).")
    recipe, product, location = batch.recipe, batch.recipe.product, _location(batch)
    if not product.tracks_stock:
        raise WaterError(f"{product.name} does not track stock, so it cannot be produced.")
    lines = list(recipe.lines.select_related("material"))
    if not lines:
        raise WaterError(f"{recipe} has no materials.")
    # Lock every item whose cost we read or write, in one order, so two batches cannot deadlock.
    items = {item.pk: item for item in Item.objects.select_for_update()
             .filter(pk__in=[line.material_id for line in lines] + [product.pk]).order_by("pk")}
    short = shortages(recipe, made, location)
    if short:
        raise WaterError(short)
    total = ZERO
    for line in lines:
        material = items[line.material_id]
        quantity = line.quantity * made
        total += value_at_cost(quantity, material.cost)
        try:
            move_stock(material, location, -quantity, StockMovement.Kind.CONSUME, source=batch, user=user,
                       unit_cost=material.cost, reason=f"Batch {batch.pk}: {_n(made)} × {product.name}")
        except OutOfStock as error:
            raise WaterError(error.messages) from None
    good = tax.money(total * produced / made)
    wastage = total - good
    product = items[product.pk]
    unit_cost = None
    if produced:
        unit_cost = (good / produced).quantize(COST_PLACES, rounding=ROUND_HALF_UP)
        held = max(StockLevel.objects.filter(item=product).aggregate(q=Coalesce(Sum("quantity"), ZERO))["q"], ZERO)
        product.cost = ((held * product.cost + good) / (held + produced)).quantize(COST_PLACES, rounding=ROUND_HALF_UP)
        product.save(update_fields=["cost", "updated_at"])
        move_stock(product, location, produced, StockMovement.Kind.PRODUCE, source=batch, user=user,
                   unit_cost=unit_cost, reason=f"Batch {batch.pk}")
    ended_at = ended_at or timezone.now()
    if wastage:
        ledger.post(batch.business, timezone.localdate(ended_at),
                    f"Batch {batch.pk}: {_n(rejects)} rejected {product.name}",
                    [ledger.debit(chart.STOCK_LOSSES, wastage), ledger.credit(chart.INVENTORY, wastage)],
                    source=batch, user=user)
    batch.status = ProductionBatch.Status.POSTED
    batch.quantity_produced, batch.rejects = produced, rejects
    batch.material_cost, batch.wastage_cost, batch.unit_cost = total, wastage, unit_cost
    batch.started_at = batch.started_at or ended_at
    batch.ended_at = ended_at
    batch.operator = (batch.operator or _name(user))[:60]
    batch.posted_by, batch.posted_at = user, timezone.now()
    batch.save()
    events.publish("water.batch_posted", business=batch.business.code, batch_id=batch.pk)
    return batch


def production_today(business, day=None) -> list[dict]:
    """Per active recipe: good units posted today against the recipe's daily target."""
    from .models import ProductionBatch, Recipe

    day = day or timezone.localdate()
    made = dict(ProductionBatch.objects.filter(business=business, status=ProductionBatch.Status.POSTED,
                                               ended_at__date=day)
                .values_list("recipe").annotate(total=Sum("quantity_produced")).values_list("recipe", "total"))
    rows = []
    for recipe in Recipe.objects.filter(business=business, is_active=True).select_related("product"):
        done = made.get(recipe.pk) or ZERO
        target = recipe.daily_target
        rows.append({"recipe": recipe, "made": done, "target": target,
                     "percent": min(int(done * 100 / target), 100) if target else None})
    return rows


# --- returnable bottles ------------------------------------------------------------------------

def _phone(phone) -> str:
    try:
        return normalize_phone(phone)
    except (ValueError, ValidationError) as error:
        raise WaterError(f"{phone!r} is not a Kenyan phone number.") from error


def bottle_balance(business, phone) -> dict:
    """Bottles out (lent), returned and still held by one customer (whichever of their numbers is
    given), with the deposit held (KES, paid deposits less refunds)."""
    from .models import BottleMovement

    number = _phone(phone)
    customer = customers.for_phone(number)
    movements = (BottleMovement.objects.filter(business=business, customer=customer) if customer
                 else BottleMovement.objects.none())
    totals = movements.aggregate(
        out=Coalesce(Sum("bottles", filter=Q(kind=BottleMovement.Kind.ISSUE)), 0),
        returned=Coalesce(Sum("bottles", filter=Q(kind=BottleMovement.Kind.RETURN)), 0),
        paid=Coalesce(Sum("amount", filter=Q(kind=BottleMovement.Kind.ISSUE, paid_at__isnull=False)), ZERO),
        unpaid=Coalesce(Sum("amount", filter=Q(kind=BottleMovement.Kind.ISSUE, paid_at__isnull=True)), ZERO),
        refunded=Coalesce(Sum("amount", filter=Q(kind=BottleMovement.Kind.RETURN)), ZERO))
    name = (customer.name if customer else "") or (
        movements.exclude(customer_name="").values_list("customer_name", flat=True).first() or "")
    return {"phone": number, "name": name, "out": totals["out"],
            "returned": totals["returned"], "held": totals["out"] - totals["returned"],
            "deposit_held": totals["paid"] - totals["refunded"], "unpaid": totals["unpaid"]}


def bottle_balances(business, *, phone_contains="", limit=50) -> list[dict]:
    """Customers with bottles still out, most first."""
    from .models import BottleMovement

    movements = BottleMovement.objects.filter(business=business)
    if phone_contains:
        movements = movements.filter(customer__phones__phone__contains=phone_contains)
    rows = (movements.values("customer")
            .annotate(out=Coalesce(Sum("bottles", filter=Q(kind=BottleMovement.Kind.ISSUE)), 0),
                      returned=Coalesce(Sum("bottles", filter=Q(kind=BottleMovement.Kind.RETURN)), 0))
            .order_by("customer"))
    people = Customer.objects.prefetch_related("phones").in_bulk([r["customer"] for r in rows])
    result = [{"phone": people[r["customer"]].primary_phone, "customer": people[r["customer"]], "out": r["out"],
               "returned": r["returned"], "held": r["out"] - r["returned"]} for r in rows]
    return sorted(result, key=lambda r: (-r["held"], r["phone"]))[:limit]


def bottles_out(business) -> int:
    from .models import BottleMovement

    totals = BottleMovement.objects.filter(business=business).aggregate(
        out=Coalesce(Sum("bottles", filter=Q(kind=BottleMovement.Kind.ISSUE)), 0),
        back=Coalesce(Sum("bottles", filter=Q(kind=BottleMovement.Kind.RETURN)), 0))
    return totals["out"] - totals["back"]


def _lock_customer(business, phone, name=""):
    """One bottle change per customer at a time (the customer's row is locked); returns them."""
    customer = customers.find_or_create(phone, name=name, business=business)
    return Customer.objects.select_for_update().get(pk=customer.pk)


def take_deposit(business, phone, bottles, *, method="cash", per_bottle=DEPOSIT_PER_BOTTLE, name="", user=None):
    """Lend ``bottles`` returnable bottles against a deposit. Cash is taken in the same transaction;
    for M-Pesa the caller then asks with payments.request_stk_push(movement, phone) (outside a
    transaction) and the deposit counts as paid once M-Pesa confirms."""
    from .models import BottleMovement

    phone = _phone(phone)
    bottles = _bottles(bottles)
    if bottles <= 0:
        raise WaterError("Lend at least one bottle.")
    if method not in METHODS:
        raise WaterError(f"Take the deposit in cash or M-Pesa, not {method!r}.")
    amount = (Decimal(per_bottle) * bottles).quantize(CENT)
    if amount <= 0:
        raise WaterError("The deposit must be more than KES 0.")
    with transaction.atomic():
        customer = _lock_customer(business, phone, name)
        movement = BottleMovement.objects.create(business=business, customer=customer, customer_phone=phone,
                                                 customer_name=name[:80],
                                                 kind=BottleMovement.Kind.ISSUE, bottles=bottles, amount=amount,
                                                 method=method, created_by=user)
        ledger.post(business, timezone.localdate(), f"Deposit for {bottles} bottle(s) lent to {phone}",
                    [ledger.debit(chart.RECEIVABLES, amount), ledger.credit(BOTTLE_DEPOSITS, amount)],
                    source=movement, user=user)
        if method == "cash":
            payments.record_payment(movement, method=Payment.Method.CASH, amount=amount, payer_phone=phone, user=user)
            movement.refresh_from_db()
    return movement


def refund_deposit(business, phone, bottles, *, user=None):
    """The customer brings ``bottles`` back: refund their deposit for them in cash, at the average
    deposit they paid per bottle still held. Cash cannot go below zero (LedgerError)."""
    from .models import BottleMovement

    phone = _phone(phone)
    bottles = _bottles(bottles)
    if bottles <= 0:
        raise WaterError("Return at least one bottle.")
    with transaction.atomic():
        customer = _lock_customer(business, phone)
        balance = bottle_balance(business, phone)
        if bottles > balance["held"]:
            raise WaterError(f"{phone} holds {balance['held']} bottle(s) of ours, not {bottles}.")
        amount = tax.money(balance["deposit_held"] * bottles / balance["held"])
        movement = BottleMovement.objects.create(business=business, customer=customer, customer_phone=phone,
                                                 customer_name=balance["name"], kind=BottleMovement.Kind.RETURN,
                                                 bottles=bottles, amount=amount, method="cash", created_by=user,
                                                 paid_at=timezone.now())
        if amount:
            ledger.post(business, timezone.localdate(), f"Deposit refund: {bottles} bottle(s) back from {phone}",
                        [ledger.debit(BOTTLE_DEPOSITS, amount), ledger.credit(chart.CASH, amount)],
                        source=movement, user=user)
    return movement


# --- deliveries --------------------------------------------------------------------------------

def _locked_order(order):
    from .models import DeliveryOrder

    return DeliveryOrder.objects.select_for_update(of=("self",)).select_related("business").get(pk=order.pk)


@transaction.atomic
def create_delivery(business, *, phone, area, lines, name="", address="", driver="", deliver_on=None, note="",
                    user=None):
    """``lines``: [(item, quantity)] of the business's active items."""
    from .models import DeliveryLine, DeliveryOrder

    if not lines:
        raise WaterError("Add at least one item to deliver.")
    order = DeliveryOrder.objects.create(business=business, customer_phone=_phone(phone), customer_name=name,
                                         customer=customers.find_or_create(phone, name=name, business=business),
                                         area=area, address=address, driver=driver, note=note, created_by=user,
                                         deliver_on=deliver_on or timezone.localdate())
    for item, quantity in lines:
        if item.business_id != business.pk:
            raise WaterError(f"{item} is not sold by {business.name}.")
        DeliveryLine.objects.create(order=order, item=item, quantity=_quantity(quantity, item.name) or 1)
    return order


@transaction.atomic
def dispatch(order, *, driver="", user=None):
    """Pending -> Out for delivery, with the driver who takes it."""
    from .models import DeliveryOrder

    order = _locked_order(order)
    if order.status != DeliveryOrder.Status.PENDING:
        raise WaterError(f"{order} is {order.get_status_display().lower()}: only a pending delivery goes out.")
    if driver:
        order.driver = driver[:60]
    if not order.driver:
        raise WaterError("Who is driving? Enter the driver.")
    order.status, order.dispatched_at = DeliveryOrder.Status.OUT, timezone.now()
    order.save(update_fields=["status", "driver", "dispatched_at"])
    events.publish("water.dispatched", business=order.business.code, delivery_id=order.pk)
    return order


def deliver(order, *, method, user=None):
    """Delivered and paid on delivery, or on credit: the sale is made with the order's UUID (stock,
    ledger and cash in one transaction), so delivering twice sells once. For M-Pesa the caller then
    asks with payments.request_stk_push(order.sale, phone); on credit ("deni", within the
    customer's limit) the customer pays later against their account."""
    from .models import DeliveryOrder

    if method not in DELIVERY_METHODS:
        raise WaterError("Paid in cash, by M-Pesa, or on credit?")
    with transaction.atomic():
        order = _locked_order(order)
        if order.status == DeliveryOrder.Status.DELIVERED:
            return order
        if order.status not in (DeliveryOrder.Status.PENDING, DeliveryOrder.Status.OUT):
            raise WaterError(f"{order} is {order.get_status_display().lower()}.")
        lines = [sales.SaleLineInput(line.item_id, line.quantity) for line in order.lines.all()]
        try:
            sale, _ = sales.create_sale(business=order.business, client_uuid=order.client_uuid, lines=lines,
                                        method=method, customer_phone=order.customer_phone,
                                        customer_name=order.customer_name, user=user, kind="delivery",
                                        build=lambda sale: sales.Built(document=order))
        except (sales.OutOfStock, sales.SaleConflict) as error:
            raise WaterError(error.messages) from None
        order.status, order.sale, order.payment_method = DeliveryOrder.Status.DELIVERED, sale, method
        order.closed_at = timezone.now()
        order.save(update_fields=["status", "sale", "payment_method", "closed_at"])
    events.publish("water.delivered", business=order.business.code, delivery_id=order.pk)
    return DeliveryOrder.objects.select_related("business", "sale").get(pk=order.pk)


@transaction.atomic
def fail(order, *, reason, user=None):
    from .models import DeliveryOrder

    order = _locked_order(order)
    if order.status not in (DeliveryOrder.Status.PENDING, DeliveryOrder.Status.OUT):
        raise WaterError(f"{order} is {order.get_status_display().lower()}.")
    if not reason.strip():
        raise WaterError("Say why the delivery failed (nobody home, wrong address…).")
    order.status, order.failed_reason, order.closed_at = DeliveryOrder.Status.FAILED, reason[:120], timezone.now()
    order.save(update_fields=["status", "failed_reason", "closed_at"])
    return order


def pending_deliveries(business):
    from .models import DeliveryOrder

    return (DeliveryOrder.objects.filter(business=business, status__in=[DeliveryOrder.Status.PENDING,
                                                                        DeliveryOrder.Status.OUT])
            .order_by("deliver_on", "created_at"))
