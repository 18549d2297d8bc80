"""The owner's bell on a 390×844 phone: a low-stock event made by the test shows up within one poll,
with a toast; the dropdown lists it; "Mark all read" clears the count without a reload."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import transaction

from modules.core.inventory import services as stock
from modules.core.inventory.models import Item, StockLevel, StockMovement
from modules.core.notifications import services as notifications
from tests.e2e.conftest import ARTIFACTS, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def run_low_on_milk():
    milk = Item.objects.select_related("business").get(business__code="shop", sku="S-MILK-500")
    floor = stock.default_location(milk.business)
    with transaction.atomic():
        stock.move_stock(milk, floor, 10, StockMovement.Kind.ADJUSTMENT, reason="delivery")
    StockLevel.objects.filter(item=milk, location=floor).update(reorder_level=Decimal("5"))
    with transaction.atomic():  # a sale of 7 leaves 3: below the reorder level
        stock.move_stock(milk, floor, -7, StockMovement.Kind.ADJUSTMENT, reason="sale")


def test_the_owners_bell_counts_a_low_stock_event_and_marks_all_read(live_server, demo, phone):
    log_in(phone, live_server, "owner")
    bell = phone.locator("#bo-bell")
    bell.locator("[data-bell-button]").wait_for()
    assert bell.locator("[data-bell-count]").count() == 0

    run_low_on_milk()
    # No reload: the bell polls every 15 s while the page is visible.
    bell.locator("[data-bell-count]").wait_for(timeout=25_000)
    assert bell.locator("[data-bell-count]").inner_text() == "1"
    toast = phone.locator("[data-toast]")
    toast.wait_for(timeout=2_000)
    assert "Low stock: Milk 500 ml" in toast.inner_text()
    phone.screenshot(path=str(ARTIFACTS / "notifications-bell-toast.png"))

    bell.locator("[data-bell-button]").tap()
    menu = bell.locator("[data-bell-menu]")
    menu.wait_for(state="visible")
    assert "Low stock: Milk 500 ml at Shop floor, 3" in menu.inner_text()
    box = menu.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, f"the dropdown leaves the screen: {box}"
    assert bell.locator("[data-bell-read-all]").bounding_box()["height"] >= 44
    phone.screenshot(path=str(ARTIFACTS / "notifications-bell-open.png"))

    bell.locator("[data-bell-read-all]").tap()
    bell.locator("[data-bell-count]").wait_for(state="detached", timeout=5_000)
    assert notifications.unread_count(User.objects.get(username="owner")) == 0
    assert notifications.unread_count(User.objects.get(username="shop_staff")) == 1  # theirs is their own

    overflow = phone.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"
    phone.screenshot(path=str(ARTIFACTS / "notifications-bell-read.png"))

    phone.goto(f"{live_server.url}/admin/notifications/")
    row = phone.locator("[data-notification-row]")
    assert row.count() == 1 and "read" in row.inner_text()
    phone.screenshot(path=str(ARTIFACTS / "notifications-list.png"), full_page=True)

    # The session ends (e.g. logged out elsewhere): the next poll lands on the login page, which must
    # not be swapped into the header.
    Session.objects.all().delete()
    phone.wait_for_timeout(17_000)
    assert phone.locator("#bo-bell [data-bell-button]").is_visible()
    assert phone.locator("#bo-bell #id_username").count() == 0
