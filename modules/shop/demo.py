"""Demo data for this business (declared as the module's ``demo``; run by `manage.py seed_demo`)."""

from modules.core.inventory.services import seed_catalogue

# sku, name, price, unit, opening stock (None: a service, no stock), unit cost
CATALOGUE = [
    ("S-LPG-6-REFILL", "LPG 6 kg refill", "1250", "cylinder", None, "950"),
    ("S-LPG-13-REFILL", "LPG 13 kg refill", "2900", "cylinder", None, "2300"),
    ("S-SUGAR-1KG", "Sugar 1 kg", "190", "packet", 80, "160"),
    ("S-MILK-500", "Milk 500 ml", "65", "packet", 48, "52"),
    ("S-BREAD-400", "Bread 400 g", "70", "loaf", 30, "58"),
]


def seed(business, *, opening_stock: bool) -> None:
    seed_catalogue(business, CATALOGUE, opening_stock=opening_stock)
