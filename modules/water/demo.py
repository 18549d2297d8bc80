"""Demo data for this business (declared as the module's ``demo``; run by `manage.py seed_demo`)."""

from modules.core.inventory.services import seed_catalogue

# sku, name, price, unit, opening stock (None: a service, no stock), unit cost
CATALOGUE = [
    ("W-REFILL-20", "20 L refill", "120", "bottle", None, "25"),
    ("W-BOTTLE-20", "20 L bottle with water", "650", "bottle", 40, "380"),
    ("W-PACK-500x24", "500 ml × 24 pack", "480", "pack", 60, "300"),
    ("W-PACK-1Lx12", "1 L × 12 pack", "420", "pack", 50, "260"),
    ("W-SACHET", "500 ml sachet", "10", "sachet", 1000, "4"),
]


def seed(business, *, opening_stock: bool) -> None:
    seed_catalogue(business, CATALOGUE, opening_stock=opening_stock)
