"""The car wash's price list (declared as the module's ``demo``; run by `manage.py seed_demo`)."""

from modules.core.inventory.services import seed_catalogue

# sku, name, price, unit, opening stock (None: a service, no stock), unit cost
CATALOGUE = [
    ("CW-SALOON", "Saloon car, outside and inside", "300", "car", None, "60"),
    ("CW-MATATU", "Matatu / van", "600", "vehicle", None, "120"),
    ("CW-ENGINE", "Engine wash", "500", "car", None, "80"),
    ("CW-FRESH", "Air freshener", "250", "piece", "24", "120"),
]


def seed(business, *, opening_stock: bool, activity: bool = False) -> None:
    seed_catalogue(business, CATALOGUE, opening_stock=opening_stock)
