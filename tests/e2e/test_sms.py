"""SMS features with a screen, on a 390×844 phone: the owner texts a customer the balance due from
the statement, and the customer opens the short link (no login) to their statement; the owner
chooses which alerts are also texted on the notification settings page."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from modules.core.businesses.models import Business
from modules.core.customers import services as customers
from modules.core.notifications.services import texted_kinds
from modules.core.sales import services as sales
from modules.core.inventory.models import Item
from modules.core.sms.models import AlertPhone
from modules.core.sms.simulator.models import SimSms
from tests.e2e.conftest import ARTIFACTS, PHONE_DEVICE, log_in
from tests.integration.test_sms import sms_on  # noqa: F401 - SMS on, through the simulator on the live server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_owner_texts_the_balance_and_the_customer_opens_the_link(sms_on, live_server, stocked, phone, browser):
    water = Business.objects.get(code="water")
    amina = customers.find_or_create("0712 345 670", name="Amina", business=water)
    amina.credit_limit = Decimal("5000")
    amina.save()
    bottle = Item.objects.get(business=water, sku="W-BOTTLE-20")
    sales.create_sale(business=water, client_uuid="7d1c1c36-1111-4a55-9d1e-5c5b6c7d8e9f", method="credit",
                      lines=[sales.SaleLineInput(bottle.pk, Decimal(1))], customer_phone="0712 345 670")

    log_in(phone, live_server, "owner")
    phone.goto(f"{live_server.url}/admin/sales/customers/{amina.pk}/statement/")
    button = phone.locator("[data-remind=water] button")
    assert "balance due" in button.inner_text()
    button.click()
    phone.get_by_text("Balance texted to 254712345670").wait_for()
    assert no_sideways_scroll(phone)
    phone.screenshot(path=str(ARTIFACTS / "sms-statement-texted.png"), full_page=True)
    text = SimSms.objects.get().text
    assert text.startswith(f"{water.name}: your balance is KES 650.00.")

    # the customer's phone: no login, the short link from the text
    slug_path = re.search(r"/s/[A-Za-z0-9_-]+/", text).group(0)
    customer = browser.new_context(**PHONE_DEVICE)
    page = customer.new_page()
    try:
        page.goto(f"{live_server.url}{slug_path}")
        assert "/r/statement/" in page.url
        assert "Balance due: KES 650.00" in page.locator("[data-balance]").inner_text()
        assert page.locator("[data-open] tr").count() == 1
        assert no_sideways_scroll(page)
        page.screenshot(path=str(ARTIFACTS / "sms-customer-statement.png"), full_page=True)
        page.goto(f"{live_server.url}/s/notAslug/")
        assert "No such link" in page.content()
    finally:
        customer.close()


def test_the_owner_ticks_which_alerts_are_texted(sms_on, live_server, demo, phone):
    log_in(phone, live_server, "owner")
    phone.goto(f"{live_server.url}/admin/sms/alert-phone/")
    phone.fill("[data-alert-phone]", "0712 000 222")
    phone.locator("[data-alert-phone-form] button[type=submit]").click()
    phone.locator("[data-saved]").wait_for()
    phone.goto(f"{live_server.url}/admin/notifications/preferences/")
    phone.locator('[data-sms-kind="system.warning"] input').check()
    phone.locator('[data-sms-kind="payments.unallocated"] input').check()
    assert no_sideways_scroll(phone)
    phone.screenshot(path=str(ARTIFACTS / "sms-alert-settings.png"), full_page=True)
    phone.locator("[data-preferences] button[type=submit]").click()
    phone.locator("[data-saved]").wait_for()
    owner = User.objects.get(username="owner")
    assert AlertPhone.objects.get(user=owner).phone == "254712000222"
    assert texted_kinds(owner) == {"system.warning", "payments.unallocated"}
    assert phone.locator('[data-sms-kind="system.warning"] input').is_checked()
    assert not phone.locator('[data-sms-kind="approvals.requested"] input').is_checked()
