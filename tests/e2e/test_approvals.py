"""Approvals on two 390×844 phones: staff ask for an expense; the owner taps the notification and
approves with one tap; the ledger has the payment and the requester is told."""

from decimal import Decimal

import pytest
from django.utils import timezone

from modules.core.approvals.models import ApprovalRequest, ExpenseRequest
from modules.core.businesses.models import Business
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account
from tests.e2e.conftest import ARTIFACTS, PHONE_DEVICE, log_in
from tests.ledger_helpers import owner_capital

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
MIN_TAP = 44


def test_staff_ask_for_an_expense_and_the_owner_approves_it_with_one_tap(live_server, demo, browser, phone):
    owner_capital(Business.objects.get(code="water"), Decimal("3000"), timezone.localdate())

    # staff, on their phone: Approvals → Ask for an expense
    log_in(phone, live_server, "water_staff")
    phone.goto(f"{live_server.url}/admin/approvals/pending/")
    phone.get_by_role("link", name="Ask for an expense").click()
    phone.fill("#id_amount", "650")
    phone.select_option("#id_category", label="Transport and fuel")
    phone.fill("#id_description", "Boda boda to the depot")
    phone.select_option("#id_method", "cash")
    phone.screenshot(path=str(ARTIFACTS / "approvals-expense-form.png"), full_page=True)
    phone.get_by_role("button", name="Save", exact=True).click()
    phone.locator('[data-status="pending"]').wait_for()
    request = ApprovalRequest.objects.get()
    assert phone.url.endswith(f"/admin/approvals/decide/{request.pk}/")
    assert phone.locator('[data-action="approve"]').count() == 0  # nobody approves their own request
    phone.screenshot(path=str(ARTIFACTS / "approvals-staff-waiting.png"), full_page=True)

    # the owner, on another phone: the dashboard widget shows it waiting, then the request's page
    owner_context = browser.new_context(**PHONE_DEVICE)
    owner = owner_context.new_page()
    try:
        log_in(owner, live_server, "owner")
        owner.locator('[data-widget="approvals.pending"] [data-pending-count="1"]').wait_for()
        owner.locator("[data-bell-button]").click()  # the bell: "Approve: Expense 1 … asked by Akinyi"
        item = owner.locator("[data-notification]").filter(has_text="Boda boda to the depot")
        owner.screenshot(path=str(ARTIFACTS / "approvals-owner-bell.png"))
        item.click()
        owner.wait_for_url(f"{live_server.url}/admin/approvals/decide/{request.pk}/")
        assert "Boda boda to the depot" in owner.content()
        approve = owner.locator('[data-action="approve"]')
        box, reject = approve.bounding_box(), owner.locator('[data-action="reject"]').bounding_box()
        assert min(box["width"], box["height"], reject["width"], reject["height"]) >= MIN_TAP, (box, reject)
        owner.screenshot(path=str(ARTIFACTS / "approvals-owner-decide.png"), full_page=True)
        approve.click()  # the one tap
        owner.locator('[data-status="approved"]').wait_for()
        assert "Approved by Wanjiru (owner)" in owner.locator("[data-audit]").inner_text()
        owner.screenshot(path=str(ARTIFACTS / "approvals-owner-approved.png"), full_page=True)
    finally:
        owner_context.close()

    # the requester hears the decision on their bell
    phone.reload()
    phone.locator("[data-bell-button]").click()
    phone.locator("[data-notification]").filter(has_text="approved by Wanjiru").wait_for()
    phone.screenshot(path=str(ARTIFACTS / "approvals-staff-told.png"))

    expense = ExpenseRequest.objects.get()
    request.refresh_from_db()
    assert expense.status == ExpenseRequest.Status.PAID
    assert request.decided_by.username == "owner" and "Chrome" in request.decision_device
    assert request.decision_ip == "127.0.0.1"
    [entry] = ledger.entries_for(expense)
    assert [(line.account.code, line.debit, line.credit) for line in entry.lines.select_related("account")
            .order_by("pk")] == [(chart.TRANSPORT, 650, 0), (chart.CASH, 0, 650)]
    cash = Account.objects.get(business__code="water", code=chart.CASH)
    assert ledger.balance(cash) == Decimal("2350")
