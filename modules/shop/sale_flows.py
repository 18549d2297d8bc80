"""How the quick sale treats LPG cylinders (declared in module.py as ``SaleFlow("shop.lpg", …)``).

A tap on a gas tile opens the refill exchange for that cylinder type (gas price only: one empty
in, one full out), where brand swap, cylinder + gas and deposit are one tap away. An empty is
never offered, and the sale engine refuses either item as a plain line."""

from django.urls import reverse

from modules.core.sales.flows import FlowItem

from .models import CylinderType


def quick_sale_items(business) -> list[FlowItem]:
    """Every cylinder type's two items (a type no longer sold keeps them out of the quick sale too)."""
    exchange = reverse("admin:shop:lpg")
    found = []
    for cylinder in CylinderType.objects.filter(business=business).order_by("size_kg", "brand"):
        found.append(FlowItem(cylinder.full_item_id, label=f"LPG {cylinder} refill", price=cylinder.refill_price,
                              url=f"{exchange}?type={cylinder.pk}&kind=refill", hidden=not cylinder.is_active))
        found.append(FlowItem(cylinder.empty_item_id, hidden=True))
    return found
