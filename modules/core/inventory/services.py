"""Public surface of the inventory core."""

from decimal import Decimal

from django.db.models import QuerySet

from modules.core.registry.contract import MenuItem, Widget

from .models import Item


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
