"""The public site on a 390×844 phone: a customer checks a laundry ticket, a customer asks for a
water delivery that staff turn into a delivery in one tap, and the owner edits a business page in
Wagtail and changes a price that the site shows on the very next request."""

from decimal import Decimal

import pytest

from fixtures import public_site
from modules.core.cms.models import BusinessPage, CustomerRequest
from modules.core.inventory.models import Item
from modules.laundry import services as laundry
from modules.water.models import DeliveryOrder
from tests.e2e.conftest import ARTIFACTS, PHONE_DEVICE
from tests.e2e.test_dashboard import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page):
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px on a phone"


def console_errors(page):
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    return errors


def test_a_customer_looks_up_a_laundry_ticket(live_server, demo, phone):
    item = Item.objects.get(business__code="laundry", sku="L-WASH-KG")
    job = laundry.create_job(item.business, customer_phone="0712 480 117", lines=[laundry.JobLineInput(item.pk, 4)],
                             deposit="200")
    for _ in range(4):
        job = laundry.advance(job, expected=job.status)  # washed, dried, ironed: ready
    errors = console_errors(phone)

    phone.goto(f"{live_server.url}/laundry/")
    lookup = phone.locator("form:has(input[name=reference])")
    lookup.locator("input[name=reference]").fill("lt-0001")
    lookup.locator("input[name=phone]").fill("0117")
    lookup.get_by_role("button", name="Check").tap()
    answer = phone.get_by_role("status")
    answer.wait_for()
    text = answer.inner_text()
    assert "LT-0001" in text and "Ready" in text and "KES 400" in text, text
    no_sideways_scroll(phone)
    phone.screenshot(path=str(ARTIFACTS / "public-ticket-lookup.png"), full_page=True)

    lookup = phone.locator("form:has(input[name=reference])")
    lookup.locator("input[name=reference]").fill("LT-0001")
    lookup.locator("input[name=phone]").fill("9999")
    lookup.get_by_role("button", name="Check").tap()
    assert "We found no ticket number" in phone.get_by_role("alert").inner_text()
    assert not errors


def test_a_customer_request_becomes_a_delivery_in_one_tap(live_server, demo, phone, browser):
    phone.goto(f"{live_server.url}/water/")
    form = phone.locator("form:has(input[name=kind])")
    form.locator("select[name=item]").select_option(label="20 L refill, KES 120")
    form.locator("input[name=quantity]").fill("2")
    form.locator("input[name=name]").fill("Wambui")
    form.locator("input[name=phone]").fill("0722 000 111")
    form.locator("input[name=place]").fill("Kahawa West, blue gate opposite the church")
    no_sideways_scroll(phone)
    phone.wait_for_timeout(3_000)  # people take longer than the form's time trap
    form.get_by_role("button", name="Send request").tap()
    phone.get_by_text("Thank you, we have your request").wait_for()
    phone.screenshot(path=str(ARTIFACTS / "public-request-sent.png"), full_page=True)
    assert CustomerRequest.objects.get().status == "new"

    staff = browser.new_context(**PHONE_DEVICE).new_page()
    log_in(staff, live_server, "water_staff")
    bell = staff.locator("#bo-bell")
    bell.locator("[data-bell-count]").wait_for()
    bell.locator("[data-bell-button]").tap()
    bell.get_by_text("Website: Water delivery: 2 × 20 L refill for Wambui").tap()
    staff.locator("[data-take]").wait_for()
    no_sideways_scroll(staff)
    staff.screenshot(path=str(ARTIFACTS / "public-request-staff.png"), full_page=True)
    staff.locator("[data-take]").tap()  # the one tap
    staff.wait_for_url("**/admin/water/deliveryorder/*/change/")
    order = DeliveryOrder.objects.get()
    assert (order.customer_phone, order.status, order.area) == ("254722000111", "pending", "Kahawa West, blue gate "
                                                                "opposite the church")
    assert [(line.item.sku, line.quantity) for line in order.lines.all()] == [("W-REFILL-20", 2)]
    staff.screenshot(path=str(ARTIFACTS / "public-request-delivery.png"), full_page=True)
    staff.context.close()


def test_the_owner_edits_a_business_page_and_a_new_price_shows_within_one_request(live_server, demo, phone):
    public_site.seed()
    water = BusinessPage.objects.get(business_code="water")
    refill = Item.objects.get(business__code="water", sku="W-REFILL-20")
    phone.goto(f"{live_server.url}/water/")
    assert "KES 120" in phone.locator("table.prices").inner_text()  # cached from here on

    log_in(phone, live_server, "owner")
    phone.goto(f"{live_server.url}/cms/pages/{water.pk}/edit/")
    phone.locator("#id_intro").fill("Refills while you wait, and free delivery within 3 km.")
    phone.locator("footer [data-w-dropdown-target='toggle']").first.tap()
    with phone.expect_navigation():
        phone.locator("button[name=action-publish]").tap()
    assert "Water refill" in phone.locator(".messages").inner_text()  # Wagtail's "… has been published"

    phone.goto(f"{live_server.url}/admin/inventory/item/{refill.pk}/change/")
    phone.locator("#id_selling_price").fill("135")
    with phone.expect_navigation():
        phone.locator("button[name=_save]").first.tap()
    assert Item.objects.get(pk=refill.pk).selling_price == Decimal("135.00")

    phone.goto(f"{live_server.url}/water/")  # the very next request
    assert "free delivery within 3 km" in phone.locator(".lead").inner_text()
    assert "KES 135" in phone.locator("table.prices").inner_text()
    no_sideways_scroll(phone)
    phone.screenshot(path=str(ARTIFACTS / "public-business-page.png"), full_page=True)
