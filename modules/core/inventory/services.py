"""Public surface of the inventory core."""

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from modules.core.registry import events
from modules.core.registry.contract import MenuItem, Widget

from .models import Item, Location, LowStockAlert, StockLevel, StockMovement


class OutOfStock(Exception):
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
    level, _ = StockLevel.objects.get_or_create(item=item, location=location)
    levels = StockLevel.objects.filter(pk=level.pk)
    if quantity < 0 and not item.allow_negative_stock:
        levels = levels.filter(quantity__gte=-quantity)
    if not levels.update(quantity=F("quantity") + quantity):
        left = StockLevel.objects.get(pk=level.pk).quantity
        raise OutOfStock(f"Only {left.normalize():f} {item.unit} of {item.name} left at {location.name}")
    movement = StockMovement.objects.create(
        item=item, location=location, kind=kind, quantity=quantity,
        unit_cost=item.cost if unit_cost is None else unit_cost, reason=reason[:120], created_by=user,
        source_type=ContentType.objects.get_for_model(source) if source is not None else None,
        source_id=str(source.pk) if source is not None else "")
    if quantity < 0:
        _alert_if_low(level.pk)
    return movement


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


def upsert_item(business, *, sku: str, name: str, price: Decimal, unit: str = "piece") -> Item:
    item, _ = Item.objects.update_or_create(
        business=business, sku=sku, defaults={"name": name, "selling_price": price, "unit": unit}
    )
    return item


def price_list(business_code: str) -> QuerySet[Item]:
    return Item.objects.filter(business__code=business_code, is_active=True).order_by("name")


# --- declaration helpers for business modules' module.py ---------------------------------------

ITEM_DATA_ENTRY = ("inventory.view_item", "inventory.add_item", "inventory.change_item")


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
