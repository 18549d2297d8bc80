"""Inventory's notification: an item running low (``stock.low``), to the business's staff and the
owner. Declared in module.py (the kind and a durable subscription); notifications only delivers it."""

from decimal import Decimal

from django.urls import reverse

from modules.core.notifications import services as notifications

from .kinds import LOW_STOCK
from .models import StockLevel


def on_stock_low(*, business, item_id, location_id, quantity, **_):
    """``stock.low`` from inventory: the business's staff and the owner."""
    level = StockLevel.objects.select_related("item", "location").filter(item_id=item_id,
                                                                        location_id=location_id).first()
    if level is None:
        return
    left = Decimal(quantity).normalize()
    notifications.send(LOW_STOCK, to=[*notifications.staff_roles(business), "Owner"], business=business,
                  message=f"Low stock: {level.item.name} at {level.location.name}, {left:f} {level.item.unit} left",
                  link=reverse("admin:inventory_item_change", args=[level.item_id]), obj=level)
