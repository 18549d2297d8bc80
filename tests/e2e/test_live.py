"""Two phones: a sale on one shows on the owner's dashboard on the other within one poll."""

import time

import pytest

from tests.e2e.conftest import ARTIFACTS, PHONE_DEVICE, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def water_sales_shown(page):
    return int(page.locator('[data-widget="sales.today"] [data-business="water"] [data-sales]').inner_text())


def test_a_sale_on_one_phone_reaches_the_owners_dashboard_within_one_poll(live_server, stocked, browser, phone):
    log_in(phone, live_server, "owner")
    phone.locator('[data-widget="sales.today"] [data-business="water"]').wait_for()
    before = water_sales_shown(phone)
    polls = []
    phone.on("response", lambda r: polls.append(r.status) if "/admin/live/" in r.url else None)

    staff_context = browser.new_context(**PHONE_DEVICE)
    staff = staff_context.new_page()
    log_in(staff, live_server, "water_staff")
    staff.locator("[data-quick-sale-link]").first.click()
    staff.locator('[data-item="500 ml sachet"]').click()
    staff.get_by_role("button", name="Cash").click()
    staff.locator("[data-receipt-number]").wait_for()
    sold_at = time.monotonic()
    staff_context.close()

    deadline = sold_at + 15 + 5  # one 15 s poll interval, plus the widget's own fetch
    while water_sales_shown(phone) == before:
        assert time.monotonic() < deadline, "the sale did not reach the owner's dashboard within one poll"
        phone.wait_for_timeout(250)
    seen_after = time.monotonic() - sold_at
    assert water_sales_shown(phone) == before + 1
    assert 200 in polls
    phone.screenshot(path=str(ARTIFACTS / "live-owner-dashboard.png"), full_page=True)
    print(f"\n[live] the sale reached the owner's dashboard {seen_after:.1f} s after the receipt; polls {polls}")
