"""At the counter, on a phone: ask for M-Pesa and watch the waiting screen turn into a receipt."""

import pytest

from modules.core.businesses.models import Business
from modules.core.payments import daraja
from modules.core.payments import services as payments
from tests.e2e.conftest import ARTIFACTS, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def simulator(settings, live_server):
    settings.MPESA_BASE_URL = f"{live_server.url}/simulator/daraja"
    settings.MPESA_CALLBACK_BASE_URL = live_server.url
    settings.MPESA_SIMULATOR_DELAY = 3
    yield live_server
    daraja.SESSION.close()  # a kept-alive connection would pin a live-server thread and its DB session


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
