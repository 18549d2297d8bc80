"""Prices for the public site, straight from the inventory and cached under the business's live
version: an item saved in the admin bumps that version when its transaction commits (the event
``inventory.item_changed``), so the next request reads a new key and the old list is never shown.
With Redis down there is no version and every request reads PostgreSQL."""

from decimal import Decimal

from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.inventory.services import price_list
from modules.core.live.services import cached_money
from modules.core.tax import services as tax


def customer_price(item, percents=None, *, vat_registered: bool | None = None) -> Decimal:
    """What the till charges for one unit: a price entered without VAT gets its VAT class's rate of
    today added (by a VAT-registered business only), through the sales engine's one helper."""
    percents = percents if percents is not None else tax.rates(timezone.localdate())
    registered = item.business.vat_registered if vat_registered is None else vat_registered
    return tax.line_gross(item.selling_price, 1, price_includes_vat=item.price_includes_vat,
                          percent=percents.get(item.tax_band, tax.ZERO) if registered else tax.ZERO)


def _per(item) -> str:
    """"per kg" under the name, unless it says so already or the unit is a piece."""
    unit = item.unit.strip()
    return "" if unit.lower() in ("", "piece", "pc") or unit.lower() in item.name.lower() else f"per {unit}"


def _rows(business_code: str) -> list[dict]:
    percents = tax.rates(timezone.localdate())
    registered = Business.objects.filter(code=business_code, vat_registered=True).exists()
    return [{"pk": item.pk, "name": item.name, "per": _per(item),
             "price": customer_price(item, percents, vat_registered=registered)}
            for item in price_list(business_code).filter(selling_price__gt=0)]


def price_rows(business_code: str) -> list[dict]:
    return cached_money(business_code, "public-prices", lambda: _rows(business_code), timeout=3600)
