"""The quick sale on a 390×844 phone: a 1-item cash sale in ≤ 5 taps, a 2-item M-Pesa sale, the search."""

import pytest

from modules.core.sales.models import Sale
from tests.e2e.conftest import ARTIFACTS, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
MIN_TAP = 44


class Taps:
    """Counts the user's taps and checks each target is big enough for a thumb."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def tap(self, locator):
        box = locator.bounding_box()
        assert box["width"] >= MIN_TAP and box["height"] >= MIN_TAP, f"tap target {box} is under {MIN_TAP}px"
        locator.click()
        self.count += 1


@pytest.fixture
def simulator(settings, daraja_simulator):
    settings.MPESA_SIMULATOR_DELAY = 2
    return daraja_simulator


def test_a_one_item_cash_sale_takes_at_most_five_taps(live_server, stocked, phone):
    log_in(phone, live_server, "water_staff")
    taps = Taps(phone)
    taps.tap(phone.locator("[data-quick-sale-link]").first)
    taps.tap(phone.locator('[data-item="500 ml sachet"]'))
    less = phone.get_by_role("button", name="One less").locator("visible=true").first.bounding_box()
    assert less["width"] >= MIN_TAP and less["height"] >= MIN_TAP
    phone.screenshot(path=str(ARTIFACTS / "quick-sale.png"))
    taps.tap(phone.get_by_role("button", name="Cash"))
    phone.locator("[data-receipt-number]").wait_for()
    assert taps.count <= 5, f"{taps.count} taps"
    sale = Sale.objects.latest("pk")  # the demo's own history comes before it
    assert (sale.total, sale.paid_at is not None, sale.created_by.username) == (10, True, "water_staff")
    assert phone.locator("[data-receipt-number]").inner_text() == sale.receipt_number
    phone.screenshot(path=str(ARTIFACTS / "receipt.png"), full_page=True)
    print(f"\n[quick sale] 1-item cash sale from the dashboard: {taps.count} taps")


def test_a_two_item_mpesa_sale(simulator, stocked, phone):
    log_in(phone, simulator, "water_staff")
    taps = Taps(phone)
    taps.tap(phone.locator("[data-quick-sale-link]").first)
    taps.tap(phone.locator('[data-item="1 L × 12 pack"]'))
    taps.tap(phone.locator('[data-item="500 ml sachet"]'))
    taps.tap(phone.get_by_role("button", name="M-Pesa"))
    phone.fill("input[type=tel]", "0712 345 678")
    taps.count += 1  # typing the number counts as one interaction
    taps.tap(phone.get_by_role("button", name="Send M-Pesa"))
    phone.locator("[data-receipt]").wait_for(timeout=20_000)
    sale = Sale.objects.latest("pk")
    assert sale.total == 430 and sale.paid_at is not None and sale.payment_method == "mpesa"
    phone.screenshot(path=str(ARTIFACTS / "quick-sale-mpesa-paid.png"))
    print(f"\n[quick sale] 2-item M-Pesa sale from the dashboard: {taps.count} interactions")


def test_a_discounted_sale_split_between_cash_and_mpesa(simulator, stocked, phone):
    from modules.core.payments.models import Payment

    log_in(phone, simulator, "water_staff")
    phone.locator("[data-quick-sale-link]").first.click()
    phone.locator('[data-item="1 L × 12 pack"]').click()  # 420
    phone.locator('[data-item="500 ml sachet"]').click()  # 10
    phone.locator("[data-toggle-extras]").click()
    phone.locator("[data-discount]").fill("30")
    phone.locator("[data-cash-part]").fill("100")
    assert phone.locator("[data-total]").inner_text() == "KES 400.00"
    phone.get_by_role("button", name="M-Pesa KES 300.00").click()
    phone.fill("input[type=tel]", "0712 345 670")
    phone.get_by_role("button", name="M-Pesa KES 300.00").click()
    phone.locator("[data-receipt]").wait_for(timeout=20_000)
    sale = Sale.objects.latest("pk")
    assert (sale.subtotal, sale.discount, sale.total, sale.payment_method) == (430, 30, 400, "split")
    paid = Payment.objects.filter(document_type__model="sale", document_id=str(sale.pk))
    assert sorted((p.method, p.amount) for p in paid) == [("cash", 100), ("mpesa", 300)]
    assert sale.paid_at is not None
    phone.screenshot(path=str(ARTIFACTS / "quick-sale-split-paid.png"))


def test_a_discount_above_the_sale_is_refused_on_the_phone(live_server, stocked, phone):
    log_in(phone, live_server, "water_staff")
    phone.locator("[data-quick-sale-link]").first.click()
    phone.locator('[data-item="500 ml sachet"]').click()
    phone.locator("[data-toggle-extras]").click()
    phone.locator("[data-discount]").fill("50")
    phone.get_by_role("button", name="Cash").click()
    assert "more than the sale" in phone.get_by_role("alert").inner_text()
    assert not Sale.objects.filter(created_by__username="water_staff").exists()


def test_the_search_hides_the_tiles_that_do_not_match_and_the_cart_keeps_them(live_server, stocked, phone):
    log_in(phone, live_server, "water_staff")
    phone.locator("[data-quick-sale-link]").first.click()
    tiles = phone.locator("[data-item]")
    phone.locator('[data-item="500 ml sachet"]').click()  # waits for the quick sale to open
    every = tiles.count()
    phone.locator('[data-item="500 ml sachet"]').click()
    phone.get_by_placeholder("Search items").fill("SACHET")
    visible = tiles.evaluate_all("els => els.filter(e => e.offsetParent).map(e => e.dataset.item)")
    assert visible == ["500 ml sachet"] and every > 3
    phone.get_by_role("button", name="One less").click()
    assert phone.locator(".bs-qty").locator("visible=true").inner_text() == "1"
    phone.get_by_placeholder("Search items").fill("")
    assert tiles.locator("visible=true").count() == every
    assert phone.locator("[data-total]").inner_text() == "KES 10.00"
