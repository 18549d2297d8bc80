"""A laundry job on a 390×844 phone: drop-off with a cash deposit, one tap per status on the board,
then the balance in cash and the hand-over."""

from decimal import Decimal

import pytest

from fixtures.demo import seed
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account
from modules.laundry.models import Job
from tests.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS, log_in
from tests.e2e.test_quick_sale import Taps

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def balance(code):
    return ledger.balance(Account.objects.get(business__code="laundry", code=code))


def no_sideways_scroll(page):
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px on a phone"


def test_a_laundry_job_from_drop_off_to_collection(live_server, demo, phone):
    log_in(phone, live_server, "laundry_staff")
    phone.locator('[data-widget="laundry.by_status"] [data-updated]').wait_for()
    taps = Taps(phone)

    # Drop-off: 5 kg wash & fold (750) + 2 shirts (240) = KES 990, KES 300 cash now
    phone.goto(f"{live_server.url}/admin/laundry/board/")
    taps.tap(phone.locator("[data-new-job]"))
    phone.fill("input[name=phone]", "0712 480 117")
    phone.fill("input[name=name]", "Achieng Odhiambo")
    phone.fill('[data-qty="L-WASH-KG"]', "5")
    phone.fill('[data-qty="L-SHIRT"]', "2")
    phone.fill("textarea[name=notes]", "Ink stain on the blue shirt pocket")
    phone.fill("input[name=deposit]", "300")
    no_sideways_scroll(phone)
    phone.screenshot(path=str(ARTIFACTS / "laundry-drop-off.png"), full_page=True)
    taps.tap(phone.locator("[data-save-job]"))
    phone.locator("[data-ticket-number]").wait_for()
    assert phone.locator("[data-ticket-number]").inner_text() == "LT-0001"
    assert phone.locator("[data-ticket-due]").inner_text() == "690.00"
    phone.screenshot(path=str(ARTIFACTS / "laundry-ticket.png"), full_page=True)
    job = Job.objects.get()
    assert (job.total, balance(chart.CASH), balance(chart.RECEIVABLES)) == (
        Decimal("990.00"), Decimal("300.00"), Decimal("690.00"))

    # The board: one tap per status, Received → Washing → Drying → Ironing/Folding → Ready
    phone.goto(f"{live_server.url}/admin/laundry/board/")
    for expected in ["washing", "drying", "finishing", "ready"]:
        taps.tap(phone.locator('[data-advance="LT-0001"]'))
        phone.locator(f'[data-column="{expected}"] [data-job="LT-0001"]').wait_for()
        if expected == "drying":
            no_sideways_scroll(phone)
            phone.screenshot(path=str(ARTIFACTS / "laundry-board.png"), full_page=True)
    job.refresh_from_db()
    assert job.status == "ready" and job.events.filter(kind="status").count() == 4

    # Pickup: the board says the balance comes first; take it in cash, then hand over
    taps.tap(phone.locator('[data-job="LT-0001"] [data-collect]'))
    phone.locator("[data-job-page]").wait_for()
    assert phone.locator("[data-due]").inner_text() == "690.00"
    taps.tap(phone.locator("[data-take-cash]"))
    phone.locator('[data-due]:has-text("0.00")').wait_for()
    taps.tap(phone.locator("[data-advance]"))
    phone.locator('[data-status="collected"]').wait_for()
    no_sideways_scroll(phone)
    phone.screenshot(path=str(ARTIFACTS / "laundry-collected.png"), full_page=True)

    job.refresh_from_db()
    assert job.status == "collected" and job.paid_at is not None
    assert balance(chart.CASH) == Decimal("990.00") and balance(chart.RECEIVABLES) == 0
    assert balance(chart.SALES) + balance(chart.VAT_PAYABLE) == Decimal("990.00")
    totals = ledger.totals("laundry")
    assert totals["debit"] == totals["credit"]
    timeline = phone.locator("[data-timeline] li").all_inner_texts()
    assert len(timeline) == 8 and all("Mwangi" in line for line in timeline), timeline
    print(f"\n[laundry] drop-off to collection: {taps.count} taps")


def test_the_owner_sees_the_demo_board_with_overdue_jobs_highlighted(live_server, db, phone):
    seed(PASSWORD, activity=True)  # the demo `make run` shows
    log_in(phone, live_server, "owner")
    phone.goto(f"{live_server.url}/admin/laundry/board/")
    overdue = phone.locator("[data-job][data-overdue]")
    overdue.first.wait_for()
    assert overdue.count() >= 1
    border = overdue.first.evaluate("node => getComputedStyle(node).borderLeftColor")
    assert border == "rgb(220, 38, 38)", border
    assert phone.locator('[data-column="ready"] [data-uncollected]').count() >= 1  # waiting a week
    for status in ["received", "washing", "drying", "finishing", "ready"]:
        assert phone.locator(f'[data-column="{status}"] [data-job]').count() >= 1, status
    no_sideways_scroll(phone)
    phone.screenshot(path=str(ARTIFACTS / "laundry-board-demo.png"), full_page=True)

    phone.goto(f"{live_server.url}/admin/laundry/job/?status__exact=ready")
    first = phone.locator("#result_list a", has_text="LT-").first
    box = first.bounding_box()
    assert box["height"] >= 44, box
    no_sideways_scroll(phone)
    phone.screenshot(path=str(ARTIFACTS / "laundry-jobs-list.png"), full_page=True)
    first.click()
    phone.locator("[data-job-page]").wait_for()
