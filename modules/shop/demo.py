"""Demo data for this business (declared as the module's ``demo``; run by `manage.py seed_demo`).
Idempotent: items and cylinder types are upserted every run; stock and activity only once, and only
with ``opening_stock`` (the tests' ``demo`` fixture passes False and expects no stock, no ledger)."""

import uuid
from decimal import Decimal

from django.db import transaction

from modules.core.inventory.models import Item, StockLevel
from modules.core.inventory.services import default_location, receive_opening_stock, seed_catalogue
from modules.core.purchasing import services as purchasing
from modules.core.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier

from . import services
from .models import CylinderType, LpgSale, SwapFee

# sku, name, price, unit, opening stock (None: a service, no stock), unit cost
CATALOGUE = [
    ("S-SUGAR-1KG", "Sugar 1 kg", "190", "packet", 80, "160"),
    ("S-MILK-500", "Milk 500 ml", "65", "packet", 48, "52"),
    ("S-BREAD-400", "Bread 400 g", "70", "loaf", 30, "58"),
    ("S-OIL-1L", "Cooking oil 1 L", "390", "bottle", 24, "330"),
    ("S-FLOUR-2KG", "Maize flour 2 kg", "180", "packet", 40, "150"),
    ("S-BURNER-6", "6 kg burner and grill", "850", "piece", 6, "600"),
]

# Gas sold as a plain service, without its cylinders moving: replaced by the cylinder types (the
# quick sale opens their refill exchange), so never offered again.
RETIRED = ("S-LPG-6-REFILL", "S-LPG-13-REFILL")

# size, brand, refill, cylinder + gas, deposit, shell cost, full cost (shell + gas),
# opening full, opening empty, reorder level for fulls
CYLINDERS = [
    (6, "K-Gas", "1250", "3800", "2000", "1900", "2850", 12, 6, 4),
    (6, "Total", "1300", "3900", "2000", "1950", "2950", 8, 4, 3),
    (6, "Pro Gas", "1200", "3600", "1800", "1800", "2750", 5, 3, 3),
    (13, "K-Gas", "2900", "6800", "3500", "3400", "5700", 10, 5, 4),
    (13, "Total", "3000", "7000", "3500", "3500", "5850", 6, 3, 3),
    (13, "Pro Gas", "2850", "6500", "3300", "3200", "5500", 3, 2, 4),
    (50, "K-Gas", "10500", "19500", "8000", "7500", "16200", 2, 1, 2),
]
SWAP_FEES = {6: "100", 13: "200", 50: "500"}
# kind, size, brand, customer's empty brand, quantity, phone
ACTIVITY = [
    ("refill", 13, "K-Gas", None, 1, ""),
    ("refill", 6, "K-Gas", None, 2, ""),
    ("swap", 13, "Total", "Pro Gas", 1, ""),
    ("outright", 6, "Pro Gas", None, 1, "0722 000 310"),
    ("deposit", 13, "K-Gas", None, 1, "0711 222 333"),
    ("refill", 6, "Total", None, 1, ""),
]


def seed(business, *, opening_stock: bool, activity: bool = False) -> None:
    seed_catalogue(business, CATALOGUE, opening_stock=opening_stock)
    Item.objects.filter(business=business, sku__in=RETIRED).update(is_active=False)
    location = default_location(business)
    types = {}
    for size, brand, refill, outright, deposit, shell, full_cost, full, empty, reorder in CYLINDERS:
        cylinder = CylinderType.objects.filter(business=business, size_kg=size, brand=brand).first()
        if cylinder is None:  # the owner's later price changes survive the next `make run`
            cylinder = services.create_cylinder_type(business, size_kg=size, brand=brand, refill_price=refill,
                                                     outright_price=outright, deposit=deposit, shell_cost=shell,
                                                     full_cost=full_cost)
        types[(size, brand)] = cylinder
        StockLevel.objects.get_or_create(item=cylinder.full_item, location=location,
                                         defaults={"reorder_level": Decimal(reorder)})
        for item, quantity in ((cylinder.full_item, full), (cylinder.empty_item, empty)):
            if opening_stock and not item.movements.exists():
                receive_opening_stock(item, quantity, location)
    for size, fee in SWAP_FEES.items():
        SwapFee.objects.get_or_create(business=business, size_kg=size, defaults={"fee": Decimal(fee)})
    if activity and not LpgSale.objects.filter(business=business).exists():
        _activity(business, types)


@transaction.atomic
def _activity(business, types):
    """A morning at the counter, and a K-Gas delivery on its way (sent, to receive under LPG restock)."""
    for kind, size, brand, empty_brand, quantity, phone in ACTIVITY:
        services.record_lpg(business=business, client_uuid=uuid.uuid4(), kind=kind, cylinder_type=types[(size, brand)],
                            empty_type=types[(size, empty_brand)] if empty_brand else None, quantity=quantity,
                            customer_phone=phone)
    supplier, _ = Supplier.objects.get_or_create(business=business, name="K-Gas depot, Industrial Area",
                                                 defaults={"phone": "0733 100 200"})
    if not supplier.orders.exists():
        po = PurchaseOrder.objects.create(business=business, supplier=supplier, note="Weekly K-Gas refill swap")
        for (size, brand), quantity, gas_price in (((6, "K-Gas"), 6, "950"), ((13, "K-Gas"), 5, "2300")):
            PurchaseOrderLine.objects.create(order=po, item=types[(size, brand)].full_item, quantity=quantity,
                                             unit_cost=Decimal(gas_price))
        purchasing.send(po)
