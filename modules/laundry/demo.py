"""Demo data for this business (declared as the module's ``demo``; run by `manage.py seed_demo`)."""

from modules.core.inventory.services import seed_catalogue

# sku, name, price, unit, opening stock (None: a service, no stock), unit cost
CATALOGUE = [
    ("L-WASH-KG", "Wash & fold, per kg", "150", "kg", None, "40"),
    ("L-SUIT", "Suit, dry clean", "600", "piece", None, "150"),
    ("L-DUVET", "Duvet", "800", "piece", None, "200"),
    ("L-IRON", "Ironing only, per item", "50", "piece", None, "10"),
]


def seed(business, *, opening_stock: bool) -> None:
    seed_catalogue(business, CATALOGUE, opening_stock=opening_stock)
