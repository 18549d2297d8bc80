"""The owner, on a 390×844 phone, banks the day's cash from the dashboard, then counts the drawer:
the cash-up shows no difference. Every tap is counted (issue 12: at most 6 for the deposit)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account
from modules.core.money import services as money
from modules.core.money.models import Movement, OpeningBalances
from modules.core.reports.models import CashUp
from tests.e2e.conftest import ARTIFACTS, log_in
from tests.ledger_helpers import cash_sale

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class Taps:
    """Clicks through a counter, so the test states how many taps a person makes."""

    def __init__(self):
        self.count = 0

    def __call__(self, locator):
        self.count += 1
        locator.click()


def test_the_owner_banks_the_days_cash_from_the_dashboard_and_the_cash_up_balances(live_server, demo, phone):
    today = timezone.localdate()
    money.move("water", "float_in", "500", user=None)  # the morning float the owner lent the drawer
    cash_sale("water", "2320", today)
    cash_sale("water", "580", today)
    log_in(phone, live_server, "owner")
    tap = Taps()

    widget = phone.locator('[data-widget="money.tills"]')
    bank_it = widget.locator('[data-bank="water"]')
    bank_it.wait_for()
    assert "3,400.00" in widget.locator('[data-till="water"]').inner_text()  # the float is in the drawer too
    widget.scroll_into_view_if_needed()
    widget.screenshot(path=str(ARTIFACTS / "money-dashboard-tills.png"))
    tap(bank_it)
    phone.wait_for_url("**/admin/money/move/?kind=bank_deposit&business=water&amount=2900.00")
    amount = phone.locator("input[name=amount]")
    assert amount.input_value() == "2900.00"  # the takings: the drawer less the owner's float
    phone.screenshot(path=str(ARTIFACTS / "money-deposit-form.png"), full_page=True)
    tap(phone.locator("[data-save]"))
    phone.wait_for_url("**/admin/money/movement/*/")
    deposit_taps = tap.count

    deposit = Movement.objects.get(kind="bank_deposit")
    assert deposit.status == "posted" and deposit.amount == Decimal("2900.00")
    cash = Account.objects.get(business__code="water", code=chart.CASH)
    bank = Account.objects.get(business__code="water", code=chart.BANK)
    assert ledger.balance(cash) == Decimal("500.00") and ledger.balance(bank) == Decimal("2900.00")
    phone.screenshot(path=str(ARTIFACTS / "money-deposit-done.png"), full_page=True)

    tap(phone.locator("[data-cashup-link]"))
    phone.wait_for_url("**/admin/reports/cash-up/?business=water")
    form = phone.locator("[data-cashup-form]")
    counted = form.locator("input[name=counted]")
    tap(counted)
    counted.fill("500")
    tap(form.locator("button[type=submit]"))
    phone.wait_for_url("**/admin/reports/cash-up/?business=water*")
    row = phone.locator('[data-report="cash_up"] tbody tr').first
    assert "Balanced (no difference)" in row.inner_text()
    phone.screenshot(path=str(ARTIFACTS / "money-cash-up-balanced.png"), full_page=True)
    cashup = CashUp.objects.get(business__code="water", day=today)
    assert (cashup.expected, cashup.counted, cashup.variance) == (Decimal("500.00"), Decimal("500.00"), 0)

    assert deposit_taps <= 6, f"{deposit_taps} taps to bank the cash from the dashboard"
    print(f"\ntaps: bank deposit from the dashboard {deposit_taps}, then the cash-up {tap.count - deposit_taps} "
          f"(total {tap.count})")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_owner_checks_an_opening_balances_csv_then_posts_it(live_server, demo, phone, tmp_path):
    filled = tmp_path / "opening-balances-water.csv"
    filled.write_text("code,name,balance\r\n1000,Cash,3500\r\n1020,Bank,120000\r\n2000,Payables,40000\r\n")
    bank = Account.objects.get(business__code="water", code=chart.BANK)
    bank_before = ledger.balance(bank)
    log_in(phone, live_server, "owner")
    phone.goto(f"{live_server.url}/admin/money/opening/?business=water")
    upload = phone.locator("[data-opening-csv]")
    upload.locator("input[type=file]").set_input_files(str(filled))
    upload.locator("button[type=submit]").click()
    preview = phone.locator("[data-opening-preview]")
    preview.wait_for()
    assert "nothing is posted yet" in preview.inner_text() and "83,500.00" in preview.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.screenshot(path=str(ARTIFACTS / "money-opening-csv-checked.png"), full_page=True)
    assert not OpeningBalances.objects.exists()
    form = phone.locator("[data-opening-form] form:has([data-save])")
    form.locator("input[name=as_of]").fill("2026-10-31")
    form.locator("[data-save]").click()
    phone.wait_for_url("**/admin/money/opening/?business=water")
    opening = OpeningBalances.objects.get()
    assert opening.entry.date.isoformat() == "2026-10-31" and opening.business.code == "water"
    assert ledger.balance(bank) - bank_before == Decimal("120000.00")
