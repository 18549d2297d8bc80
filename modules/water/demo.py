"""Demo data for this business (declared as the module's ``demo``; run by `manage.py seed_demo`).

Always (idempotent): the catalogue, the raw materials (inactive items: never on the quick sale or
the price list) and the recipes. With opening stock: the stock counted in. Demo ACTIVITY (batches,
deposits, deliveries, refill sales) only with ``activity`` (`manage.py seed_demo`, so `make run`).
"""

import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from modules.core.inventory.services import receive_opening_stock, seed_catalogue, upsert_item
from modules.core.sales import services as sales

from . import services
from .models import ProductionBatch, Recipe, RecipeLine

# sku, name, price, unit, opening stock (None: a service, no stock), unit cost
CATALOGUE = [
    ("W-REFILL-20", "20 L refill", "120", "bottle", None, "25"),
    ("W-BOTTLE-20", "20 L bottle with water", "650", "bottle", 40, "380"),
    ("W-PACK-500x24", "500 ml × 24 pack", "480", "pack", 60, "300"),
    ("W-PACK-1Lx12", "1 L × 12 pack", "420", "pack", 50, "260"),
    ("W-SACHET", "500 ml sachet", "10", "sachet", 1000, "4"),
]

# Raw materials: sku, name, unit, opening stock, unit cost (KES). Caps 20 L are short on purpose:
# a 500-bottle batch shows "Not enough Caps 20 L for 500 bottles … (have 320)".
MATERIALS = [
    ("W-RM-PREFORM-500", "Preforms 500 ml", "piece", 30000, "3.20"),
    ("W-RM-PREFORM-1L", "Preforms 1 L", "piece", 12000, "5.50"),
    ("W-RM-CAP-28", "Caps 28 mm", "piece", 40000, "0.60"),
    ("W-RM-CAP-20L", "Caps 20 L", "piece", 320, "8.00"),
    ("W-RM-LABEL-500", "Labels 500 ml", "piece", 30000, "0.40"),
    ("W-RM-LABEL-1L", "Labels 1 L", "piece", 12000, "0.55"),
    ("W-RM-LABEL-20L", "Labels 20 L", "piece", 1000, "6.00"),
    ("W-RM-BOTTLE-20L", "Empty 20 L bottles", "piece", 600, "250.00"),
    ("W-RM-SHRINK", "Shrink film", "kg", 200, "260.00"),
    ("W-RM-SACHET-FILM", "Sachet film", "kg", 150, "380.00"),
]

# recipe name, product sku, daily target, [(material sku, quantity per unit)]
RECIPES = [
    ("500 ml × 24 pack", "W-PACK-500x24", 100,
     [("W-RM-PREFORM-500", "24"), ("W-RM-CAP-28", "24"), ("W-RM-LABEL-500", "24"), ("W-RM-SHRINK", "0.040")]),
    ("1 L × 12 pack", "W-PACK-1Lx12", 60,
     [("W-RM-PREFORM-1L", "12"), ("W-RM-CAP-28", "12"), ("W-RM-LABEL-1L", "12"), ("W-RM-SHRINK", "0.030")]),
    ("20 L bottle with water", "W-BOTTLE-20", 20,
     [("W-RM-BOTTLE-20L", "1"), ("W-RM-CAP-20L", "1"), ("W-RM-LABEL-20L", "1")]),
    ("500 ml sachets", "W-SACHET", 3000, [("W-RM-SACHET-FILM", "0.004")]),
]


def seed(business, *, opening_stock: bool, activity: bool = False) -> None:
    items = seed_catalogue(business, CATALOGUE, opening_stock=opening_stock)
    for sku, name, unit, stock, cost in MATERIALS:
        items[sku] = item = upsert_item(business, sku=sku, name=name, price=Decimal("0"), unit=unit,
                                        cost=Decimal(cost), tracks_stock=True, is_active=False)
        if opening_stock and not item.movements.exists():
            receive_opening_stock(item, stock)
    for name, product, target, lines in RECIPES:
        recipe, created = Recipe.objects.get_or_create(business=business, name=name, defaults={
            "product": items[product], "daily_target": target})
        if created:
            RecipeLine.objects.bulk_create(RecipeLine(recipe=recipe, material=items[sku], quantity=Decimal(q))
                                           for sku, q in lines)
    if activity and not ProductionBatch.objects.filter(business=business).exists():
        _activity(business, items)


def _at(days_ago, hour, minute=0):
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _activity(business, items):
    recipes = {r.product.sku: r for r in Recipe.objects.filter(business=business).select_related("product")}
    # Two past days of production, then today: one posted, one running, one too big for the caps.
    plan = [(2, "W-PACK-500x24", 100, 98, 2, "Kamau"), (2, "W-SACHET", 3000, 2950, 50, "Achieng"),
            (2, "W-BOTTLE-20", 20, 20, 0, "Kamau"), (1, "W-PACK-1Lx12", 60, 59, 1, "Achieng"),
            (1, "W-PACK-500x24", 100, 100, 0, "Kamau"), (1, "W-BOTTLE-20", 20, 19, 1, "Kamau"),
            (0, "W-PACK-500x24", 80, 78, 2, "Kamau"), (0, "W-SACHET", 2000, 1985, 15, "Achieng")]
    for days_ago, sku, planned, good, rejects, operator in plan:
        batch = ProductionBatch.objects.create(business=business, recipe=recipes[sku], planned_quantity=planned,
                                               operator=operator, note="Demo")
        ProductionBatch.objects.filter(pk=batch.pk).update(started_at=_at(days_ago, 7, 30))
        services.post_batch(batch, produced=good, rejects=rejects, ended_at=min(_at(days_ago, 11), timezone.now()))
    running = ProductionBatch.objects.create(business=business, recipe=recipes["W-PACK-1Lx12"], planned_quantity=60,
                                             operator="Achieng", note="Demo")
    services.start_batch(running)
    ProductionBatch.objects.create(business=business, recipe=recipes["W-BOTTLE-20"], planned_quantity=500,
                                   operator="Kamau", note="Demo: a big order waiting for caps")

    # Returnable bottles: deposits in cash, one bottle brought back.
    for phone, name, bottles in [("0712 400 101", "Mama Njeri", 2), ("0722 400 202", "Hotel Savanna", 6),
                                 ("0733 400 303", "Brian Ouma", 1), ("0711 400 404", "St. Mary's school", 10)]:
        services.take_deposit(business, phone, bottles, name=name)
    services.refund_deposit(business, "0733 400 303", 1)

    # Refills over the counter (cash), then deliveries in every state.
    for n, quantity in enumerate([3, 1, 2, 5]):
        sales.create_sale(business=business, client_uuid=uuid.uuid5(uuid.NAMESPACE_URL, f"demo-water-refill-{n}"),
                          lines=[sales.SaleLineInput(items["W-REFILL-20"].pk, Decimal(quantity))], method="cash")
    deliveries = [
        ("0712 400 101", "Mama Njeri", "Kilimani", "Hse 14, Argwings Kodhek Rd", [("W-REFILL-20", 2)], "delivered"),
        ("0722 400 202", "Hotel Savanna", "Westlands", "Back gate, Mpaka Rd", [("W-PACK-500x24", 5)], "out"),
        ("0711 400 404", "St. Mary's school", "Lavington", "Main gate", [("W-BOTTLE-20", 4)], "pending"),
        ("0745 400 505", "Wambui", "Kileleshwa", "Apt 3B, Laikipia Rd", [("W-PACK-1Lx12", 2)], "pending"),
        ("0710 400 606", "Otieno", "South B", "Block C", [("W-SACHET", 50)], "failed"),
    ]
    for phone, name, area, address, lines, status in deliveries:
        order = services.create_delivery(business, phone=phone, name=name, area=area, address=address,
                                         lines=[(items[sku], q) for sku, q in lines])
        if status in ("out", "delivered", "failed"):
            services.dispatch(order, driver="Juma")
        if status == "delivered":
            services.deliver(order, method="cash")
        elif status == "failed":
            services.fail(order, reason="Nobody home, phone off")
