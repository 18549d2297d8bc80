"""Prices for the public site, straight from the inventory and cached under the business's live
version: an item saved in the admin bumps that version when its transaction commits (the event
``inventory.item_changed``), so the next request reads a new key and the old list is never shown.
With Redis down there is no version and every request reads PostgreSQL."""

from decimal import ROUND_HALF_UP, Decimal

from modules.core.inventory.services import price_list
from modules.core.live.services import cached_money

VAT_RATE = Decimal("0.16")
CENT = Decimal("0.01")


def customer_price(item) -> Decimal:
    """What the till charges for one unit (a price entered without VAT gets it added, as a sale does)."""
    price = item.selling_price if item.price_includes_vat else item.selling_price * (1 + VAT_RATE)
    return price.quantize(CENT, rounding=ROUND_HALF_UP)


def _per(item) -> str:
    """"per kg" under the name, unless it says so already or the unit is a piece."""
    unit = item.unit.strip()
    return "" if unit.lower() in ("", "piece", "pc") or unit.lower() in item.name.lower() else f"per {unit}"


def _rows(business_code: str) -> list[dict]:
    return [{"pk": item.pk, "name": item.name, "per": _per(item), "price": customer_price(item)}
            for item in price_list(business_code).filter(selling_price__gt=0)]


def price_rows(business_code: str) -> list[dict]:
    return cached_money(business_code, "public-prices", lambda: _rows(business_code), timeout=3600)
