"""Public surface of the inventory core."""

from decimal import Decimal

from django.db.models import QuerySet

from .models import Item


def upsert_item(business, *, sku: str, name: str, price: Decimal, unit: str = "piece") -> Item:
    item, _ = Item.objects.update_or_create(
        business=business, sku=sku, defaults={"name": name, "selling_price": price, "unit": unit}
    )
    return item


def price_list(business_code: str) -> QuerySet[Item]:
    return Item.objects.filter(business__code=business_code, is_active=True).order_by("name")
