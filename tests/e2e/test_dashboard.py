"""The owner, on a 390×844 phone, logs in and watches the dashboard refresh itself via htmx."""

from decimal import Decimal

import pytest

from modules.core.inventory.models import Item
from tests.e2e.conftest import ARTIFACTS, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_owner_dashboard_refreshes_live_on_a_phone(live_server, demo, phone):
    log_in(phone, live_server, "owner")
    water = phone.locator('[data-widget="water.prices"]')
    water.get_by_text("20 L refill").wait_for()
    for key in ["water.prices", "laundry.prices", "shop.prices", "system"]:
        phone.locator(f'[data-widget="{key}"] [data-updated]').wait_for()
    assert phone.locator('[data-widget="system"]').get_by_text("Workers alive").is_visible()

    first_update = water.locator("[data-updated]").get_attribute("datetime")
    refill = Item.objects.get(sku="W-REFILL-20")
    refill.selling_price = Decimal("135.00")
    refill.save()
    # The page polls /admin/live/ every 15 s; the save moved the water version, so the widget reloads.
    water.get_by_text("KES 135.00").wait_for(timeout=25_000)
    assert water.locator("[data-updated]").get_attribute("datetime") != first_update

    overflow = phone.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the dashboard scrolls sideways by {overflow}px on a phone"
    phone.screenshot(path=str(ARTIFACTS / "dashboard-owner.png"), full_page=True)


def test_staff_sees_only_their_business(live_server, demo, phone):
    log_in(phone, live_server, "water_staff")
    phone.locator('[data-widget="water.prices"] [data-updated]').wait_for()
    widgets = phone.locator("[data-widget]").evaluate_all("nodes => nodes.map(n => n.dataset.widget)")
    assert widgets[0] == "sales.quick" and "water.prices" in widgets and "payments.waiting" in widgets
    assert not [w for w in widgets if w == "sales.today" or w.split(".")[0] in ("laundry", "shop", "system")]
    phone.goto(f"{live_server.url}/admin/inventory/item/")
    body = phone.locator("#content").inner_text()
    assert "20 L refill" in body and "LPG" not in body
    assert f"{Item.objects.filter(business__code='water').count()} items" in phone.inner_text("body")
    phone.screenshot(path=str(ARTIFACTS / "items-water-staff.png"), full_page=True)
