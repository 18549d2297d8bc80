"""On a phone: staff see an item's price and cost read-only and ask the owner for a new price; the
owner approves it and the item's history page shows the old and new price."""

from decimal import Decimal

import pytest

from modules.core.inventory.models import Item, PriceChangeRequest
from tests.e2e.conftest import ARTIFACTS, PHONE_DEVICE, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sideways_overflow(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


def test_staff_ask_the_owner_approves_and_the_history_shows_old_and_new(live_server, demo, browser):
    bread = Item.objects.get(business__code="shop", sku="S-BREAD-400")
    staff = browser.new_context(**PHONE_DEVICE).new_page()
    errors = []
    staff.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(staff, live_server, "shop_staff")
    staff.goto(f"{live_server.url}/admin/inventory/item/{bread.pk}/change/")
    assert staff.locator("#id_name").count() == 1 and staff.locator("#id_selling_price").count() == 0
    assert "70.00" in staff.locator("#content").inner_text()  # the price, read-only
    assert sideways_overflow(staff) <= 0

    staff.goto(f"{live_server.url}/admin/inventory/pricechangerequest/add/?item={bread.pk}")
    staff.locator("#id_selling_price").fill("75")
    staff.locator("#id_reason").fill("Supplier put bread up")
    with staff.expect_navigation():
        staff.locator("button[name=_save]").first.tap()
    assert "sent to the owner for approval" in staff.locator("#content, .messages, body").first.inner_text()
    assert sideways_overflow(staff) <= 0
    staff.context.close()

    owner = browser.new_context(**PHONE_DEVICE).new_page()
    owner.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(owner, live_server, "owner")
    asked = PriceChangeRequest.objects.get(item=bread)
    from modules.core.approvals import services as approvals

    owner.goto(f"{live_server.url}/admin/approvals/decide/{approvals.latest(asked).pk}/")
    assert "70.00 → 75.00" in owner.locator("body").inner_text()
    with owner.expect_navigation():
        owner.locator("button[value=approve]").tap()
    assert Item.objects.get(pk=bread.pk).selling_price == Decimal("75.00")

    owner.goto(f"{live_server.url}/admin/inventory/item/{bread.pk}/history/")
    changes = owner.locator("[data-field-history]").inner_text()
    assert "70.00 → 75.00" in changes and "owner" in changes
    assert sideways_overflow(owner) <= 0
    owner.screenshot(path=str(ARTIFACTS / "item-history-owner.png"), full_page=True)
    assert errors == []
    owner.context.close()
