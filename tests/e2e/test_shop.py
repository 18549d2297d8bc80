"""An LPG refill exchange on a 390×844 phone: from the dashboard, pick 13 kg K-Gas, Refill, Cash;
the receipt shows one full fewer and one empty more, and so do the stock levels and the ledger."""

import pytest

from modules.core.inventory.models import StockLevel
from modules.core.ledger import services as ledger
from modules.shop.models import CylinderType, LpgSale
from tests.e2e.conftest import ARTIFACTS, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
MIN_TAP = 44


def levels(cylinder):
    return tuple(int(StockLevel.objects.filter(item=item).values_list("quantity", flat=True).first() or 0)
                 for item in (cylinder.full_item, cylinder.empty_item))


def tap(locator):
    box = locator.bounding_box()
    assert box["width"] >= MIN_TAP and box["height"] >= MIN_TAP, f"tap target {box} is under {MIN_TAP}px"
    locator.click()


def test_an_lpg_refill_exchange_paid_in_cash(live_server, stocked, phone):
    kgas = CylinderType.objects.select_related("full_item", "empty_item").get(size_kg=13, brand="K-Gas")
    before = levels(kgas)
    receipts_before = LpgSale.objects.count()
    log_in(phone, live_server, "shop_staff")
    widget = phone.locator('[data-widget="shop.lpg_stock"]')
    widget.get_by_text("13 kg K-Gas").first.wait_for()
    phone.screenshot(path=str(ARTIFACTS / "shop-dashboard.png"), full_page=True)
    tap(widget.locator("[data-lpg-link]"))

    tile = phone.locator('[data-cylinder="13 kg K-Gas"]')
    assert tile.locator("[data-full]").inner_text() == str(before[0])
    assert tile.locator("[data-empty]").inner_text() == str(before[1])
    tap(tile)
    tap(phone.locator('[data-kind="refill"]'))
    assert phone.locator("[data-total]").first.inner_text().replace("\u00a0", " ") == "KES 2,900"
    phone.screenshot(path=str(ARTIFACTS / "shop-lpg-exchange.png"))
    tap(phone.get_by_role("button", name="Cash"))

    receipt = phone.locator("[data-lpg-receipt]")
    receipt.wait_for()
    sale = LpgSale.objects.order_by("-pk").first()
    assert LpgSale.objects.count() == receipts_before + 1
    assert (sale.kind, sale.total, sale.payment_method, sale.paid_at is not None) == ("refill", 2900, "cash", True)
    shown = phone.locator('[data-stock="13 kg K-Gas"]')
    after = (before[0] - 1, before[1] + 1)
    assert (int(shown.locator("[data-full]").inner_text()), int(shown.locator("[data-empty]").inner_text())) == after
    assert levels(kgas) == after
    assert receipt.locator("[data-receipt-number]").inner_text() == sale.receipt_number
    totals = ledger.totals("shop")
    assert totals["debit"] == totals["credit"]
    phone.screenshot(path=str(ARTIFACTS / "shop-lpg-receipt.png"), full_page=True)
