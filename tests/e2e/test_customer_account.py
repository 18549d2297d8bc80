"""A customer's account on a 390×844 phone: a credit sale ("deni") at the counter one day, the
customer's M-Pesa payment the next day from the statement, and the statement showing both."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.customers import services as customers
from modules.core.sales.models import Sale
from tests.e2e.conftest import ARTIFACTS, log_in
from tests.e2e.test_quick_sale import simulator  # noqa: F401 - the Daraja simulator on the live server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_credit_sale_then_an_mpesa_payment_the_next_day_on_the_statement(simulator, stocked, phone):
    amina = customers.find_or_create("0712 345 670", name="Amina", business=Business.objects.get(code="water"))
    amina.credit_limit = Decimal("5000")
    amina.save()
    yesterday = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=1), time(10)))

    with mock.patch("django.utils.timezone.now", return_value=yesterday):  # the counter, yesterday at 10:00
        log_in(phone, simulator, "water_staff")
        phone.locator("[data-quick-sale-link]").first.click()
        phone.locator('[data-item="20 L bottle with water"]').click()  # 650
        phone.locator("[data-toggle-extras]").click()
        phone.locator("[data-on-credit]").click()  # asks for the customer's phone
        phone.fill("input[type=tel]", "0712 345 670")
        phone.locator("[data-on-credit]").click()
        phone.locator("[data-receipt-number]").wait_for()
        assert "Still due" in phone.locator("[data-receipt-page]").inner_text()
        phone.screenshot(path=str(ARTIFACTS / "credit-sale-receipt.png"), full_page=True)
    sale = Sale.objects.get(customer=amina)
    assert (sale.payment_method, sale.total, sale.paid_at) == ("credit", 650, None)
    assert timezone.localdate(sale.created_at) == yesterday.date()

    # today: the owner opens Amina's statement and asks her phone for the balance by M-Pesa
    phone.context.clear_cookies()  # the counter's phone hands over: the owner logs in afresh
    log_in(phone, simulator, "owner")
    phone.goto(f"{simulator.url}/admin/sales/customers/{amina.pk}/statement/?business=water")
    assert "Owes KES 650.00" in phone.locator("[data-balance=water]").inner_text()
    phone.locator("[data-take-payment] input[name=amount]").fill("650")
    phone.locator("[data-pay-mpesa]").click()
    phone.locator("[data-receipt]").wait_for(timeout=30_000)  # the waiting screen: paid, with its M-Pesa receipt
    phone.goto(f"{simulator.url}/admin/sales/customers/{amina.pk}/statement/?business=water")
    lines = phone.locator("[data-line]")
    assert lines.count() == 2
    first, second = lines.nth(0).inner_text(), lines.nth(1).inner_text()
    assert yesterday.strftime("%d %b %Y") in first and "650.00" in first and sale.receipt_number in first
    assert timezone.localdate().strftime("%d %b %Y") in second and "Paid: M-Pesa" in second
    assert phone.locator("[data-closing]").inner_text() == "0.00"
    assert "Settled" in phone.locator("[data-balance=water]").inner_text()
    assert no_sideways_scroll(phone)
    phone.screenshot(path=str(ARTIFACTS / "customer-statement.png"), full_page=True)
