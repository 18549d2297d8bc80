"""Public surface of the inventory core."""

from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from modules.core.approvals import services as approvals
from modules.core.businesses.models import Business
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.registry import events
from modules.core.registry.contract import MenuItem, Widget
from modules.core.registry.refusals import Refusal

from .models import (Item, Location, LowStockAlert, PriceChangeRequest, StockCount, StockCountLine, StockLevel,
                     StockMovement, Transfer)

ZERO = Decimal("0")
CENT = Decimal("0.01")


class OutOfStock(Refusal):
    """Not enough on hand; the message is for the person at the counter."""


def default_location(business) -> Location:
    location = Location.objects.filter(business=business, is_default=True).first()
    if location is None:
        location, _ = Location.objects.get_or_create(business=business, name="Shop floor",
                                                     defaults={"is_default": True})
    return location


def on_hand(item, location) -> Decimal:
    level = StockLevel.objects.filter(item=item, location=location).values_list("quantity", flat=True).first()
    return level if level is not None else Decimal("0")


def move_stock(item, location, quantity, kind, *, reason="", source=None, unit_cost=None, user=None):
    """Change stock and record why, inside the caller's transaction. Taking out more than is on hand
    raises OutOfStock unless the item allows negative stock: the conditional UPDATE
    (``… WHERE quantity >= n``) makes that true under any concurrency."""
    if not connection.in_atomic_block:
        raise RuntimeError("move_stock() must run inside the caller's transaction.atomic() block")
    if not item.tracks_stock:
        return None
    quantity = Decimal(quantity)
    guarded = quantity < 0 and not item.allow_negative_stock
    moved = _update_level(item, location, quantity, guarded)  # the usual case: one round trip
    if moved is None:  # no level yet, or too little on hand
        level, _ = StockLevel.objects.get_or_create(item=item, location=location)
        levels = StockLevel.objects.filter(pk=level.pk)
        if guarded:
            levels = levels.filter(quantity__gte=-quantity)
        if not levels.update(quantity=F("quantity") + quantity):
            left = StockLevel.objects.get(pk=level.pk).quantity
            raise OutOfStock(f"Only {left.normalize():f} {item.unit} of {item.name} left at {location.name}")
        moved = (level.pk, None, None)
    movement = StockMovement.objects.create(
        item=item, location=location, kind=kind, quantity=quantity,
        unit_cost=item.cost if unit_cost is None else unit_cost, reason=reason[:120], created_by=user,
        source_type=ContentType.objects.get_for_model(source) if source is not None else None,
        source_id=str(source.pk) if source is not None else "")
    level_pk, left, reorder_level = moved
    if quantity < 0 and (left is None or 0 < reorder_level and left <= reorder_level):
        _alert_if_low(level_pk)
    return movement


def _update_level(item, location, quantity, guarded) -> tuple | None:
    """UPDATE the item's level at the location by ``quantity`` (only while enough is on hand when
    ``guarded``: the row lock and the condition make that true under any concurrency); (id, new
    quantity, reorder level), or None when no row matched."""
    table = connection.ops.quote_name(StockLevel._meta.db_table)
    with connection.cursor() as cursor:
        # bandit: only the model's own quoted table name is formatted in; every value is a parameter
        cursor.execute(f"UPDATE {table} SET quantity = quantity + %s WHERE item_id = %s AND location_id = %s"  # nosec B608
                       + (" AND quantity >= %s" if guarded else "") + " RETURNING id, quantity, reorder_level",
                       [quantity, item.pk, location.pk, *([-quantity] if guarded else [])])
        return cursor.fetchone()


def _alert_if_low(level_pk):
    level = StockLevel.objects.select_related("item", "location").get(pk=level_pk)
    if level.reorder_level <= 0 or level.quantity > level.reorder_level:
        return
    try:
        with transaction.atomic():
            LowStockAlert.objects.create(item=level.item, location=level.location, day=timezone.localdate(),
                                         quantity=level.quantity)
    except IntegrityError:
        return  # already alerted today
    events.publish("stock.low", business=level.item.business.code, item_id=level.item_id,
                   location_id=level.location_id, quantity=str(level.quantity))


def upsert_item(business, *, sku: str, name: str, price: Decimal, unit: str = "piece", **fields) -> Item:
    item, _ = Item.objects.update_or_create(
        business=business, sku=sku, defaults={"name": name, "selling_price": price, "unit": unit, **fields}
    )
    return item


@transaction.atomic
def receive_opening_stock(item, quantity, location=None, *, user=None):
    """Stock counted in on day one: an ADJUSTMENT movement valued at the item's cost, posted
    Dr Inventory / Cr Owner's equity. Returns the ledger entry (None when nothing is worth money)."""
    location = location or default_location(item.business)
    move_stock(item, location, quantity, StockMovement.Kind.ADJUSTMENT, reason="Opening stock", source=item,
               user=user)
    value = value_at_cost(quantity, item.cost)
    if not value:
        return None
    return ledger.post(item.business, timezone.localdate(), f"Opening stock: {item.name} at {location.name}",
                       [ledger.debit(chart.INVENTORY, value), ledger.credit(chart.OWNER_EQUITY, value)],
                       source=item, user=user)


def seed_catalogue(business, rows, *, opening_stock: bool) -> dict[str, Item]:
    """Demo helper for modules' demo.py: rows of (sku, name, price, unit, opening qty or None for a
    service, unit cost). Idempotent: opening stock is only received into an item with no movements."""
    items = {}
    for sku, name, price, unit, stock, cost in rows:
        items[sku] = item = upsert_item(business, sku=sku, name=name, price=Decimal(price), unit=unit,
                                        cost=Decimal(cost), tracks_stock=stock is not None)
        if opening_stock and stock and not item.movements.exists():
            receive_opening_stock(item, stock)
    return items


def price_list(business_code: str) -> QuerySet[Item]:
    return Item.objects.filter(business__code=business_code, is_active=True).order_by("name")


def value_at_cost(quantity, unit_cost) -> Decimal:
    """KES value of a quantity at a unit cost, rounded to the cent."""
    return (Decimal(quantity) * Decimal(unit_cost)).quantize(CENT, rounding=ROUND_HALF_UP)


# --- transfers ---------------------------------------------------------------------------------

def transfer_needs_approval(item, quantity, user) -> bool:
    """True when this user may not move this much stock without an approval (the
    inventory.TransferRequest rule; None = trusted code)."""
    rule = approvals.rule_for("inventory.TransferRequest")
    if user is None or rule is None:
        return False
    return (value_at_cost(quantity, item.cost) >= approvals.threshold(rule)
            and not approvals.may_decide(user, item.business, rule))


def check_transfer(item, from_location, to_location) -> None:
    """What a transfer (made now or asked for) must be: between two locations of the item's business."""
    if from_location.pk == to_location.pk:
        raise Refusal("Pick two different locations.")
    if not item.business_id == from_location.business_id == to_location.business_id:
        raise Refusal("The item and both locations must belong to the same business.")
    if not item.tracks_stock:
        raise Refusal(f"{item.name} does not track stock.")


@transaction.atomic
def transfer_stock(item, from_location, to_location, quantity, user=None, *, note="", approval=None) -> Transfer:
    """Move stock between two locations of one business: TRANSFER_OUT then TRANSFER_IN, all or
    nothing (OutOfStock if the source holds too little). No money moves: it stays Inventory.

    Approvals: when the inventory.TransferRequest rule covers this value and ``user`` may not
    approve, this refuses with ApprovalRequired: ask through ``approvals.request_transfer`` (this
    module's; admin: Stock → Transfer requests), whose approval calls back here with ``approval``."""
    quantity = Decimal(quantity)
    if (approval is None or approval.status != approval.Status.APPROVED) and \
            transfer_needs_approval(item, quantity, user):
        raise approvals.ApprovalRequired(
            f"Moving {quantity.normalize():f} {item.unit} of {item.name} needs the owner's approval: "
            f"ask for it under Stock → Transfer requests.")
    if quantity <= 0:
        raise ValidationError("Transfer a quantity above 0.")
    check_transfer(item, from_location, to_location)
    transfer = Transfer.objects.create(business_id=item.business_id, item=item, from_location=from_location,
                                       to_location=to_location, quantity=quantity, note=note, created_by=user)
    move_stock(item, from_location, -quantity, StockMovement.Kind.TRANSFER_OUT, reason=f"To {to_location.name}",
               source=transfer, user=user)
    move_stock(item, to_location, quantity, StockMovement.Kind.TRANSFER_IN, reason=f"From {from_location.name}",
               source=transfer, user=user)
    return transfer


# --- physical counts ---------------------------------------------------------------------------

def _draft(count) -> StockCount:
    """The count, locked; refuses one that is already posted."""
    count = StockCount.objects.select_for_update(of=("self",)).select_related("business", "location").get(pk=count.pk)
    if count.status != StockCount.Status.DRAFT:
        raise ValidationError(f"{count} is already posted.")
    return count


@transaction.atomic
def start_count(location, user=None, *, note="") -> StockCount:
    """A draft count of every stocked item of the location's business, expected = on hand now."""
    count = StockCount.objects.create(business_id=location.business_id, location=location, note=note,
                                      created_by=user)
    levels = dict(StockLevel.objects.filter(location=location).values_list("item_id", "quantity"))
    items = Item.objects.filter(business_id=location.business_id, tracks_stock=True).filter(
        Q(is_active=True) | Q(pk__in=list(levels)))
    StockCountLine.objects.bulk_create(
        StockCountLine(count=count, item=item, expected=levels.get(item.pk, ZERO)) for item in items)
    return count


@transaction.atomic
def record_counted(count, counted: dict) -> None:
    """Enter counted quantities on a draft count: {line_id: quantity}; None clears a line."""
    count = _draft(count)
    lines = {line.pk: line for line in count.lines.all()}
    for line_id, quantity in counted.items():
        line = lines.get(int(line_id))
        if line is None:
            raise ValidationError(f"Line {line_id} is not part of {count}.")
        line.counted = None if quantity in (None, "") else Decimal(quantity)
        if line.counted is not None and line.counted < 0:
            raise ValidationError(f"{line.item.name}: a counted quantity cannot be below 0.")
    StockCountLine.objects.bulk_update(lines.values(), ["counted"])


def count_variance(count) -> dict:
    """What posting would do: counted lines that differ, valued at average cost (the cost saved at
    posting once posted); shortage and surplus totals in KES."""
    rows = []
    for line in count.lines.select_related("item").exclude(counted=None):
        if line.variance:
            cost = line.item.cost if line.unit_cost is None else line.unit_cost
            rows.append({"line": line, "item": line.item, "variance": line.variance,
                         "value": value_at_cost(line.variance, cost)})
    return {"rows": rows, "shortage": sum((-r["value"] for r in rows if r["value"] < 0), ZERO),
            "surplus": sum((r["value"] for r in rows if r["value"] > 0), ZERO)}


def post_count(count, user=None):
    """Post a count (``_post_count``) once the approvals gate lets it: a variance (shortage plus
    surplus, at average cost) at or above the inventory.StockCount rule's threshold, posted by
    someone who may not approve, sends an approval request and raises ApprovalPending; approving
    the request posts the count. A rejected count cannot be posted (ApprovalRejected)."""
    if count.status == StockCount.Status.DRAFT:
        variance = count_variance(count)
        approvals.gate(count, variance["shortage"] + variance["surplus"], user,
                       reason=f"Stock count at {count.location.name}")
    return _post_count(count, user)


@transaction.atomic
def _post_count(count, user=None):
    """Bring every counted item to its counted figure with ADJUSTMENT movements (down as well as up)
    and post ONE entry: shortages Dr Stock losses / Cr Inventory, surpluses Dr Inventory /
    Cr Stock losses, at average cost. Expected figures are refreshed to what is on hand at posting,
    so sales made since the count started are not counted twice. Returns the entry (None when
    nothing differed)."""
    count = _draft(count)
    lines = list(count.lines.exclude(counted=None).order_by("item_id"))
    items = {item.pk: item for item in Item.objects.select_for_update()  # cost is stable while we value
             .filter(pk__in=[line.item_id for line in lines]).order_by("pk")}
    levels = {level.item_id: level for level in StockLevel.objects.select_for_update().filter(
        location=count.location, item_id__in=list(items)).order_by("item_id")}
    shortage = surplus = ZERO
    for line in lines:
        item = items[line.item_id]
        line.expected = levels[item.pk].quantity if item.pk in levels else ZERO
        line.unit_cost = item.cost
        difference = line.counted - line.expected
        if not difference:
            continue
        move_stock(item, count.location, difference, StockMovement.Kind.ADJUSTMENT, reason=f"Stock count {count.pk}",
                   source=count, unit_cost=item.cost, user=user)
        value = value_at_cost(abs(difference), item.cost)
        if difference < 0:
            shortage += value
        else:
            surplus += value
    StockCountLine.objects.bulk_update(lines, ["expected", "unit_cost"])
    count.status, count.posted_by, count.posted_at = StockCount.Status.POSTED, user, timezone.now()
    count.save(update_fields=["status", "posted_by", "posted_at"])
    entry_lines = []
    if shortage:
        entry_lines += [ledger.debit(chart.STOCK_LOSSES, shortage), ledger.credit(chart.INVENTORY, shortage)]
    if surplus:
        entry_lines += [ledger.debit(chart.INVENTORY, surplus), ledger.credit(chart.STOCK_LOSSES, surplus)]
    if not entry_lines:
        return None
    return ledger.post(count.business, timezone.localdate(), f"Stock count {count.pk} at {count.location.name}",
                       entry_lines, source=count, user=user)


# --- valuation ---------------------------------------------------------------------------------

def valuation(business=None) -> dict:
    """Stock on hand at average cost per item and location, with totals per business and overall.
    ``business``: a Business, its code, or None for every business (consolidated).

    Beside them, the books' figure: ``books`` is each business's Inventory balance in the ledger and
    ``difference`` what it differs by. Each movement was posted at the average cost of its day
    rounded to the cent, so quantity × today's average cost drifts from the books by cents; the
    pages show that difference rather than hide it (anything bigger than cents is a fault)."""
    levels = (StockLevel.objects.filter(item__tracks_stock=True).exclude(quantity=0)
              .select_related("item__business", "location")
              .order_by("item__business__code", "item__name", "location__name"))
    businesses = Business.objects.order_by("code")
    if business is not None:
        business = business if isinstance(business, Business) else Business.objects.get(code=business)
        levels, businesses = levels.filter(item__business=business), businesses.filter(pk=business.pk)
    rows, by_business = [], {}
    for level in levels:
        value = value_at_cost(level.quantity, level.item.cost)
        rows.append({"business": level.item.business, "item": level.item, "location": level.location,
                     "quantity": level.quantity, "unit_cost": level.item.cost, "value": value})
        by_business[level.item.business] = by_business.get(level.item.business, ZERO) + value
    ledger_balances = ledger.balances_by_business(chart.INVENTORY)
    books = {each: ledger_balances.get(each.pk, ZERO) for each in businesses
             if each in by_business or ledger_balances.get(each.pk)}
    difference = {each: value - by_business.get(each, ZERO) for each, value in books.items()}
    return {"rows": rows, "by_business": by_business, "total": sum(by_business.values(), ZERO), "books": books,
            "difference": difference, "books_total": sum(books.values(), ZERO)}


# --- changing what the books depend on ------------------------------------------------------------

class PriceChangeError(Refusal):
    pass


def request_price_change(item, user, *, reason: str, **changes) -> PriceChangeRequest:
    """Ask for a new price, cost or stock rule of ``item`` (``selling_price=…, cost=…,
    tracks_stock=…, allow_negative_stock=…``). It waits for the owner (the approvals rule
    ``inventory.PriceChangeRequest``); for someone who may approve it, it applies at once."""
    unknown = set(changes) - set(PriceChangeRequest.FIELDS)
    if unknown:
        raise PriceChangeError(f"Not something to ask for: {', '.join(sorted(unknown))}.")
    if not reason.strip():
        raise PriceChangeError("Say why the price should change.")
    asked = PriceChangeRequest(business_id=item.business_id, item=item, reason=reason.strip()[:120],
                               requested_by=user, **changes)
    if not asked.changes():
        raise PriceChangeError(f"That is what {item.name} has now: nothing to change.")
    asked.save()
    approvals.request_approval(asked, ZERO, user, asked.reason)
    asked.refresh_from_db()
    return asked


def apply_price_change(asked, request):
    """The approval's follow-up: the item takes the new values (its history records them)."""
    asked = PriceChangeRequest.objects.select_for_update(of=("self",)).select_related("item").get(pk=asked.pk)
    if asked.status != PriceChangeRequest.Status.PENDING:
        raise PriceChangeError(f"{asked} is {asked.get_status_display().lower()}: it cannot be applied.")
    item = Item.objects.select_for_update().get(pk=asked.item_id)
    asked.item = item
    changes = asked.changes()
    for name, value in changes.items():
        setattr(item, name, value)
    if changes:
        item.version = F("version") + 1  # an editor who opened the item before is told it changed
        item.save(update_fields=[*changes, "version", "updated_at"])
    asked.status = PriceChangeRequest.Status.DONE
    asked.save(update_fields=["status"])


# --- declaration helpers for business modules' module.py ---------------------------------------

ITEM_DATA_ENTRY = ("inventory.view_item", "inventory.add_item", "inventory.change_item",
                   "inventory.view_pricechangerequest", "inventory.add_pricechangerequest")  # the owner approves
# Counting and moving stock in their own business; posting a count (moves money) stays with the owner.
STOCK_DESK = ("inventory.view_stocklevel", "inventory.view_stockmovement", "inventory.view_location",
              "inventory.view_stockcount", "inventory.add_stockcount", "inventory.change_stockcount",
              "inventory.view_transfer")  # staff ask to move stock with a transfer request (module.py)


def items_menu_item(business_code: str, title: str, icon: str) -> MenuItem:
    """A sidebar entry for one business's items and prices."""
    return MenuItem(title, f"/admin/inventory/item/?business__code__exact={business_code}", icon,
                    "inventory.view_item")


def price_list_widget(business_code: str, title: str) -> Widget:
    """A dashboard widget with one business's live price list."""
    return Widget(
        key=f"{business_code}.prices",
        title=title,
        callable="modules.core.inventory.widgets.price_list",
        template="inventory/widget_price_list.html",
        refresh_seconds=15,
        permission="inventory.view_item",
        business=business_code,
    )
