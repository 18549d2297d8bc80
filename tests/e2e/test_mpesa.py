"""At the counter, on a phone: ask for M-Pesa and watch the waiting screen turn into a receipt."""

import pytest

from modules.core.businesses.models import Business
from modules.core.payments import services as payments
from tests.e2e.conftest import ARTIFACTS, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def simulator(settings, daraja_simulator):
    settings.MPESA_SIMULATOR_DELAY = 3
    return daraja_simulator


def test_waiting_screen_shows_the_receipt(simulator, demo, phone):
    invoice = payments.issue_invoice(Business.objects.get(code="water"), description="2 × 20 L refill", amount="240")
    log_in(phone, simulator, "water_staff")
    phone.goto(f"{simulator.url}/admin/payments/invoice/{invoice.pk}/mpesa/")
    phone.fill("input[name=phone]", "0712 345 678")
    phone.get_by_role("button", name="Send M-Pesa request").click()
    phone.get_by_text("Waiting for M-Pesa…").wait_for()
    phone.screenshot(path=str(ARTIFACTS / "mpesa-waiting.png"))
    receipt = phone.locator("[data-receipt]")
    receipt.wait_for(timeout=15_000)  # the screen polls every 2.5 s; the simulated customer pays after 3 s
    assert len(receipt.inner_text()) == 10
    phone.screenshot(path=str(ARTIFACTS / "mpesa-paid.png"))


def test_a_cancelled_prompt_offers_retry_or_cash(simulator, demo, phone):
    invoice = payments.issue_invoice(Business.objects.get(code="water"), description="Refill", amount="120")
    log_in(phone, simulator, "water_staff")
    phone.goto(f"{simulator.url}/admin/payments/invoice/{invoice.pk}/mpesa/")
    phone.fill("input[name=phone]", "0712345671")  # the simulated customer cancels
    phone.get_by_role("button", name="Send M-Pesa request").click()
    phone.get_by_text("Cancelled by the customer").wait_for(timeout=15_000)
    phone.screenshot(path=str(ARTIFACTS / "mpesa-cancelled.png"))
    phone.get_by_role("button", name="Take KES 120.00 cash").click()
    phone.wait_for_url("**/admin/payments/invoice/")
    invoice.refresh_from_db()
    assert invoice.paid_at is not None


def test_a_till_payment_lands_in_the_inbox_and_is_allocated_in_one_tap(simulator, demo, phone, settings):
    """A walk-in pays the till from their phone; nothing on the bill names them, so the owner gets a
    suggestion in the M-Pesa inbox and allocates it with one tap, on a phone."""
    import hashlib

    from modules.core.payments.models import MpesaReceipt, MpesaSetting

    shop = Business.objects.get(code="shop")
    MpesaSetting.objects.create(business=shop, kind="till", shortcode="300584", till_number="5170231", passkey="p")
    bill = payments.issue_invoice(shop, description="13 kg gas refill", amount="3050")
    confirmation = {"TransactionType": "Buy Goods", "TransID": "RKT7Q2M9W6", "TransTime": "20261120101500",
                    "TransAmount": "3050.00", "BusinessShortCode": "5170231", "BillRefNumber": "",
                    "MSISDN": hashlib.sha256(b"254712345678").hexdigest(), "FirstName": "AMINA"}
    import requests

    answer = requests.post(f"{simulator.url}/payments/c2b/{settings.MPESA_CALLBACK_TOKEN}/confirmation/",
                           json=confirmation, timeout=30)
    assert answer.json()["ResultCode"] == 0
    log_in(phone, simulator, "owner")
    phone.goto(f"{simulator.url}/admin/payments/inbox/")
    phone.get_by_role("link", name="RKT7Q2M9W6 · Shop and LPG gas").click()  # the bell names it too
    phone.screenshot(path=str(ARTIFACTS / "mpesa-inbox-receipt.png"))
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.locator("[data-allocate-suggested]").click()
    phone.locator('[data-receipt-page][data-state="allocated"]').wait_for()
    bill.refresh_from_db()
    assert bill.paid_at is not None and MpesaReceipt.objects.get().state == "allocated"
