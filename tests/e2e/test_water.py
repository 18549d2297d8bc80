"""Water on a 390×844 phone: a refill sale through the quick sale, a production batch from the
list to posted, the shortage message, and a bottle deposit."""

from decimal import Decimal

import pytest

from modules.core.businesses.models import Business
from modules.core.inventory.models import Item, StockMovement
from modules.core.inventory.services import default_location, on_hand
from modules.core.sales.models import Sale
from modules.water.models import BottleMovement, ProductionBatch, Recipe
from tests.e2e.conftest import ARTIFACTS, log_in
from tests.e2e.test_quick_sale import Taps

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page):
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"


def test_a_water_refill_sale_on_a_phone(live_server, stocked, phone):
    log_in(phone, live_server, "water_staff")
    taps = Taps(phone)
    taps.tap(phone.locator("[data-quick-sale-link]").first)
    taps.tap(phone.locator('[data-item="20 L refill"]'))
    taps.tap(phone.locator('[data-item="20 L refill"]'))
    taps.tap(phone.get_by_role("button", name="Cash"))
    phone.locator("[data-receipt-number]").wait_for()
    sale = Sale.objects.get()
    assert (sale.total, sale.paid_at is not None, phone.locator("[data-sale-total]").inner_text()) == (
        Decimal("240.00"), True, "240.00")
    assert not StockMovement.objects.filter(item__sku="W-REFILL-20").exists()  # a refill is a service
    phone.screenshot(path=str(ARTIFACTS / "water-refill-receipt.png"), full_page=True)
    phone.goto(f"{live_server.url}/admin/")
    phone.locator('[data-widget="water.takings"] [data-takings="240.00"]').wait_for()
    phone.screenshot(path=str(ARTIFACTS / "water-dashboard.png"), full_page=True)
    print(f"\n[water] 2-refill cash sale from the dashboard: {taps.count} taps")


def test_a_production_batch_from_the_list_to_posted_on_a_phone(live_server, stocked, phone):
    water = Business.objects.get(code="water")
    recipe = Recipe.objects.get(business=water, product__sku="W-PACK-500x24")
    batch = ProductionBatch.objects.create(business=water, recipe=recipe, planned_quantity=20)
    log_in(phone, live_server, "water_staff")
    phone.goto(f"{live_server.url}/admin/water/productionbatch/")
    phone.screenshot(path=str(ARTIFACTS / "water-batches.png"), full_page=True)
    taps = Taps(phone)
    taps.tap(phone.locator("[data-batch-link]").first)
    phone.locator(f'[data-batch-page="{batch.pk}"]').wait_for()
    assert phone.get_by_text("Preforms 500 ml").is_visible()
    no_sideways_scroll(phone)
    phone.screenshot(path=str(ARTIFACTS / "water-batch-planned.png"), full_page=True)
    taps.tap(phone.get_by_role("button", name="Start batch"))
    phone.locator('[data-status="running"]').wait_for()
    phone.fill("input[name=produced]", "19")
    phone.fill("input[name=rejects]", "1")
    taps.tap(phone.get_by_role("button", name="Post batch"))
    phone.locator("[data-posted]").wait_for()
    batch.refresh_from_db()
    assert (batch.status, batch.quantity_produced, batch.rejects, batch.operator) == ("posted", 19, 1, "Akinyi")
    assert on_hand(Item.objects.get(sku="W-PACK-500x24"), default_location(water)) == 79
    assert batch.wastage_cost == Decimal("111.20")  # one pack's materials
    phone.screenshot(path=str(ARTIFACTS / "water-batch-posted.png"), full_page=True)

    short = ProductionBatch.objects.create(business=water, planned_quantity=500,
                                           recipe=Recipe.objects.get(business=water, product__sku="W-BOTTLE-20"))
    phone.goto(f"{live_server.url}/admin/water/batches/{short.pk}/run/")
    message = phone.locator("[data-shortages]").inner_text()
    assert "Not enough Caps 20 L for 500 bottles of 20 L bottle with water (need 500, have 320)" in message
    assert phone.get_by_role("button", name="Start batch").is_disabled()
    no_sideways_scroll(phone)
    phone.screenshot(path=str(ARTIFACTS / "water-batch-shortage.png"), full_page=True)


def test_a_bottle_deposit_on_a_phone(live_server, stocked, phone):
    log_in(phone, live_server, "water_staff")
    phone.goto(f"{live_server.url}/admin/water/bottles/")
    form = phone.locator("[data-deposit-form]")
    form.locator("input[name=phone]").fill("0712 345 678")
    form.locator("input[name=name]").fill("Mama Njeri")
    form.locator("input[name=bottles]").fill("2")
    Taps(phone).tap(form.get_by_role("button", name="Cash"))
    phone.locator('[data-balance][data-held="2"]').wait_for()
    assert phone.locator("[data-deposit-held]").inner_text() == "KES 1,000.00"
    assert BottleMovement.objects.get().amount == Decimal("1000.00")
    no_sideways_scroll(phone)
    phone.screenshot(path=str(ARTIFACTS / "water-bottles.png"), full_page=True)


def test_a_delivery_sent_out_and_paid_in_cash_on_a_phone(live_server, stocked, phone):
    from modules.water import services

    water = Business.objects.get(code="water")
    order = services.create_delivery(water, phone="0733 123 450", name="Hotel Savanna", area="Westlands",
                                     address="Back gate, Mpaka Rd", lines=[(Item.objects.get(sku="W-PACK-1Lx12"), 2)])
    log_in(phone, live_server, "water_staff")
    phone.goto(f"{live_server.url}/admin/water/deliveryorder/")
    taps = Taps(phone)
    taps.tap(phone.locator("[data-delivery-link]").first)
    phone.fill("input[name=driver]", "Juma")
    taps.tap(phone.get_by_role("button", name="Out for delivery"))
    phone.locator('[data-status="out"]').wait_for()
    taps.tap(phone.get_by_role("button", name="Cash"))
    phone.locator('[data-status="delivered"]').wait_for()
    order.refresh_from_db()
    assert order.sale.total == Decimal("840.00") and order.sale.paid_at is not None
    assert phone.locator("[data-receipt-number]").inner_text() == "W-000001"
    no_sideways_scroll(phone)
    phone.screenshot(path=str(ARTIFACTS / "water-delivery-delivered.png"), full_page=True)
