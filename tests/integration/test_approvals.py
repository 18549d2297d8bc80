"""Approvals on real PostgreSQL: expense requests paid into the ledger on approval, purchase orders,
stock counts and transfers held until approved, exactly-once decisions under 100 concurrent clicks,
rejections that stop the document, the audit trail, the phone pages, notifications and exports."""

import threading
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from fixtures.demo import seed
from modules.core.approvals import services as approvals
from modules.core.approvals.models import ApprovalRequest, ExpenseRequest
from modules.core.approvals.resources import ApprovalRequestResource, ExpenseRequestResource
from modules.core.businesses.models import Business
from modules.core.inventory import approvals as stock_approvals
from modules.core.inventory import services as stock
from modules.core.inventory.models import Item, Location, StockCount, StockMovement, TransferRequest
from modules.core.inventory.resources import TransferRequestResource
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account, JournalEntry
from modules.core.ledger.services import LedgerError
from modules.core.purchasing import services as purchasing
from modules.core.purchasing.models import PurchaseOrder, Supplier
from modules.core.registry import registry
from modules.core.registry.contract import ApprovalRule
from modules.core.registry.refusals import Refusal
from tests.conftest import PASSWORD
from tests.ledger_helpers import owner_capital

Status = ApprovalRequest.Status
PHONE = "Mozilla/5.0 (Linux; Android 14; TECNO KL4) AppleWebKit/537.36 Chrome/131 Mobile Safari/537.36"


def user(name):
    return User.objects.get(username=name)


def balance(business, code):
    return ledger.balance(Account.objects.get(business__code=business, code=code))


def lines_of(entry):
    return [(line.account.code, line.debit, line.credit)
            for line in entry.lines.select_related("account").order_by("pk")]


def trial_balance_ok():
    rows = ledger.trial_balance()
    return sum(r["debit"] for r in rows) == sum(r["credit"] for r in rows)


def grant(username, app_label, *codenames):
    user(username).user_permissions.add(*Permission.objects.filter(content_type__app_label=app_label,
                                                                   codename__in=codenames))


def item(business, sku):
    return Item.objects.get(business__code=business, sku=sku)


def put(it, quantity, location=None):
    with transaction.atomic():
        stock.move_stock(it, location or stock.default_location(it.business), quantity,
                         StockMovement.Kind.ADJUSTMENT)


def cash_in(code, amount):
    owner_capital(Business.objects.get(code=code), Decimal(amount), timezone.localdate())


# --- rules and roles -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_rules_are_declared_by_the_modules_owning_the_documents(demo):
    rules = {r.document: r for r in registry.approval_rules()}
    assert rules["approvals.ExpenseRequest"].threshold == "0"
    assert rules["purchasing.PurchaseOrder"].permission == "purchasing.approve_purchaseorder"
    assert Decimal(rules["inventory.StockCount"].threshold) == 5000
    assert rules["inventory.TransferRequest"].on_approved == "modules.core.inventory.approvals.execute_transfer"
    assert approvals.required(ExpenseRequest, "1") and not approvals.required(StockCount, "4999.99")
    assert approvals.required("purchasing.PurchaseOrder", "50000.01")
    assert not approvals.required("purchasing.PurchaseOrder", "50000")
    staff = user("shop_staff")
    assert staff.has_perm("approvals.add_expenserequest") and not staff.has_perm("approvals.decide_approvalrequest")
    accountant = user("accountant")
    assert accountant.has_perm("approvals.view_expenserequest")
    assert not accountant.has_perm("approvals.add_expenserequest")
    # transfer requests are inventory's document: its staff permissions, the accountant's inventory.view_*
    assert staff.has_perm("inventory.add_transferrequest") and accountant.has_perm("inventory.view_transferrequest")
    assert not accountant.has_perm("inventory.add_transferrequest")
    assert [u.username for u in approvals.approvers(Business.objects.get(code="shop"))] == ["owner"]


# --- expenses ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_staff_expense_waits_for_the_owner_then_is_paid_and_posted(demo):
    cash_in("water", 2000)
    staff, owner = user("water_staff"), user("owner")
    expense = approvals.request_expense("water", "450", staff, description="Fuel for the van",
                                        category=chart.TRANSPORT)
    request = approvals.latest(expense)
    assert (expense.status, request.status, request.amount, request.requested_by) == (
        ExpenseRequest.Status.PENDING, Status.PENDING, Decimal("450"), staff)
    assert approvals.status_for(expense) == "pending" and not approvals.is_approved(expense)
    assert not ledger.entries_for(expense) and balance("water", chart.CASH) == 2000

    with pytest.raises(PermissionDenied):  # staff may not decide
        approvals.approve(request, staff)
    with pytest.raises(PermissionDenied):  # accountants read only
        approvals.approve(request, user("accountant"))

    approvals.approve(request, owner, comment="OK, keep the receipt", ip="41.90.64.7", device=PHONE)

    expense.refresh_from_db()
    request.refresh_from_db()
    assert expense.status == ExpenseRequest.Status.PAID and approvals.is_approved(expense)
    assert (request.decided_by, request.decision_ip, request.decision_device, request.comment) == (
        owner, "41.90.64.7", PHONE, "OK, keep the receipt")
    assert request.decided_at is not None
    [entry] = ledger.entries_for(expense)
    assert expense.journal_entry == entry
    assert lines_of(entry) == [(chart.TRANSPORT, 450, 0), (chart.CASH, 0, 450)]  # the category's own account
    assert balance("water", chart.CASH) == 1550 and balance("water", chart.TRANSPORT) == 450
    assert trial_balance_ok()
    with pytest.raises(approvals.AlreadyDecided, match="already approved by Wanjiru"):
        approvals.approve(request, owner)
    assert JournalEntry.objects.filter(memo__startswith="Expense").count() == 1


@pytest.mark.django_db
def test_an_m_pesa_expense_the_till_cannot_cover_stays_pending_with_the_reason(demo):
    staff, owner = user("shop_staff"), user("owner")
    expense = approvals.request_expense("shop", "800", staff, description="Shelf repair",
                                        method=ExpenseRequest.Method.MPESA)
    request = approvals.latest(expense)
    with pytest.raises(LedgerError, match="M-Pesa.* would go below zero"):
        approvals.approve(request, owner)
    request.refresh_from_db(), expense.refresh_from_db()
    assert (request.status, request.decided_by, expense.status) == (Status.PENDING, None, ExpenseRequest.Status.PENDING)
    assert not JournalEntry.objects.exists()


@pytest.mark.django_db
def test_the_owners_own_expense_is_paid_at_once_and_staff_only_ask_for_their_business(demo):
    cash_in("laundry", 1000)
    expense = approvals.request_expense("laundry", "300", user("owner"), description="Detergent")
    request = approvals.latest(expense)
    assert expense.status == ExpenseRequest.Status.PAID
    assert (request.status, request.decided_by, request.comment) == (Status.APPROVED, user("owner"),
                                                                       approvals.SELF_APPROVED)
    assert balance("laundry", chart.CASH) == 700
    with pytest.raises(PermissionDenied):
        approvals.request_expense("shop", "100", user("laundry_staff"), description="Not mine")
    with pytest.raises(approvals.ApprovalError, match="more than 0"):
        approvals.request_expense("laundry", "-5", user("laundry_staff"), description="Negative")
    with pytest.raises(approvals.ApprovalError, match="Pick an expense category of Laundry"):
        approvals.request_expense("laundry", "50", user("laundry_staff"), description="Soap", category="9999")
    assert ExpenseRequest.objects.count() == 1


@pytest.mark.django_db
def test_a_rejected_expense_is_never_paid_and_requesters_cannot_decide_their_own(demo):
    cash_in("shop", 5000)
    staff, owner = user("shop_staff"), user("owner")
    expense = approvals.request_expense("shop", "1200", staff, description="New scale")
    request = approvals.latest(expense)
    grant("shop_staff", "approvals", "decide_approvalrequest")  # even an approver may not decide their own
    staff = user("shop_staff")
    with pytest.raises(PermissionDenied, match="your own request"):
        approvals.approve(request, staff)

    approvals.reject(request, owner, comment="Buy it next month", ip="10.0.0.9", device=PHONE)
    expense.refresh_from_db()
    assert expense.status == ExpenseRequest.Status.REJECTED and approvals.status_for(expense) == "rejected"
    with pytest.raises(approvals.AlreadyDecided, match="already rejected"):
        approvals.approve(request, owner)
    with pytest.raises(approvals.ApprovalRejected):  # asking again for the same document is refused
        approvals.request_approval(expense, expense.amount, user("shop_staff"))
    assert not JournalEntry.objects.filter(memo__startswith="Expense").exists()
    assert balance("shop", chart.CASH) == 5000


@pytest.mark.django_db
def test_a_rule_with_a_second_approver_needs_two_different_people(demo, monkeypatch):
    cash_in("water", 1000)
    strict = ApprovalRule("approvals.ExpenseRequest", threshold="0", second_approver=True,
                          on_approved="modules.core.approvals.hooks.pay_expense")
    monkeypatch.setattr(approvals, "rule_for", lambda document: strict)
    owner = user("owner")
    partner = User.objects.create_user("partner", password=PASSWORD, is_staff=True)
    partner.groups.add(*owner.groups.all())
    expense = approvals.request_expense("water", "200", user("water_staff"), description="Taps")
    request = approvals.latest(expense)
    assert request.needs_second
    approvals.approve(request, owner, ip="41.90.1.1", device=PHONE)
    request.refresh_from_db()
    assert (request.status, request.first_approved_by, request.first_ip) == (Status.PENDING, owner, "41.90.1.1")
    assert not ledger.entries_for(expense)
    with pytest.raises(PermissionDenied, match="different person"):
        approvals.approve(request, owner)
    assert [r.pk for r in approvals.pending_for_user(owner)] == []
    assert [r.pk for r in approvals.pending_for_user(partner)] == [request.pk]
    approvals.approve(request, partner)
    request.refresh_from_db(), expense.refresh_from_db()
    assert (request.status, request.decided_by, expense.status) == (Status.APPROVED, partner,
                                                                     ExpenseRequest.Status.PAID)
    assert balance("water", chart.CASH) == 800
    assert [(d.action, d.user, d.ip) for d in request.decisions.all()] == [
        ("first_approval", owner, "41.90.1.1"), ("approved", partner, None)]


# --- exactly once --------------------------------------------------------------------------------

def _connection_slots(wanted):
    """Concurrent sessions the server can still give this test (max_connections is often 100)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_connections')::int - current_setting("
                       "'superuser_reserved_connections')::int - (SELECT count(*) FROM pg_stat_activity "
                       "WHERE backend_type = 'client backend')")
        free = cursor.fetchone()[0]
    return max(10, min(wanted, free - 5))


@pytest.mark.django_db(transaction=True)
def test_a_hundred_concurrent_approve_clicks_make_one_decision_and_one_payment():
    seed(PASSWORD, opening_stock=False)
    cash_in("water", 10000)
    expense = approvals.request_expense("water", "750", user("water_staff"), description="Pump repair")
    request = approvals.latest(expense)
    owner = user("owner")
    clicks = 100
    # Every click is its own thread and database session, released together. Sessions beyond what
    # the server allows (max_connections) queue for a slot, as they would for a web worker.
    sessions = _connection_slots(clicks)
    slots = threading.BoundedSemaphore(sessions)
    connection.close()
    barrier = threading.Barrier(clicks, timeout=60)
    won, lost, errors = [], [], []

    def click(n):
        try:
            barrier.wait()
            with slots:
                try:
                    won.append(approvals.approve(request, owner, comment=f"click {n}", ip="41.90.64.7", device=PHONE))
                except approvals.AlreadyDecided as error:
                    lost.append(str(error))
                finally:
                    connection.close()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=click, args=(n,)) for n in range(clicks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors[:3]
    assert len(won) == 1 and len(lost) == clicks - 1
    assert all("already approved by Wanjiru" in message for message in lost)
    request.refresh_from_db(), expense.refresh_from_db()
    assert request.status == Status.APPROVED and request.comment == won[0].comment
    assert [(d.action, d.comment) for d in request.decisions.all()] == [("approved", won[0].comment)]
    assert expense.status == ExpenseRequest.Status.PAID
    assert len(ledger.entries_for(expense)) == 1
    assert balance("water", chart.CASH) == Decimal("9250")
    assert trial_balance_ok()
    print(f"\n[approvals] {clicks} concurrent approve clicks over {sessions} database sessions: "
          f"1 decision, {len(lost)} told it was already approved, 1 journal entry")


# --- purchase orders -----------------------------------------------------------------------------

@pytest.fixture
def bidco(demo):
    return Supplier.objects.create(business=Business.objects.get(code="shop"), name="Bidco", phone="0712345678")


def big_order(supplier):
    po = PurchaseOrder.objects.create(business=supplier.business, supplier=supplier)
    po.lines.create(item=item("shop", "S-SUGAR-1KG"), quantity=Decimal("400"), unit_cost=Decimal("150"))
    return po  # KES 60,000


@pytest.mark.django_db
def test_a_big_purchase_order_is_sendable_only_after_its_request_is_approved(bidco):
    po = big_order(bidco)
    staff, owner = user("shop_staff"), user("owner")
    request = approvals.request_approval(po, po.total, staff, "Sugar for December")
    assert request.status == Status.PENDING and purchasing.needs_approval(po)
    with pytest.raises(purchasing.ApprovalRequired, match="waiting for the owner"):
        purchasing.send(po, owner)
    approvals.approve(request, owner, ip="41.90.1.1", device=PHONE)
    po.refresh_from_db()
    assert (po.status, po.approved_by) == (PurchaseOrder.Status.APPROVED, owner)
    assert not purchasing.needs_approval(po)
    assert purchasing.send(po, owner).status == PurchaseOrder.Status.SENT


@pytest.mark.django_db
def test_a_rejected_purchase_order_cannot_be_approved_or_sent(bidco):
    po = big_order(bidco)
    owner = user("owner")
    request = approvals.request_approval(po, po.total, user("shop_staff"))
    approvals.reject(request, owner, comment="Too much sugar")
    with pytest.raises(purchasing.ApprovalRequired, match="rejected"):
        purchasing.send(po, owner)
    with pytest.raises(approvals.ApprovalRejected):
        purchasing.approve(po, owner)
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.DRAFT


@pytest.mark.django_db
def test_the_owner_approving_from_the_order_list_records_an_approval_request(bidco):
    po = big_order(bidco)
    owner = user("owner")
    purchasing.approve(po, owner)
    request = approvals.latest(po)
    assert (request.status, request.decided_by, request.amount) == (Status.APPROVED, owner, Decimal("60000"))
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.APPROVED and approvals.is_approved(po)


# --- stock counts --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_count_with_a_big_variance_waits_for_approval_and_approving_posts_it(demo):
    sugar, floor = item("shop", "S-SUGAR-1KG"), stock.default_location(Business.objects.get(code="shop"))
    put(sugar, 100)
    grant("shop_staff", "inventory", "post_stockcount")
    staff, owner = user("shop_staff"), user("owner")
    count = stock.start_count(floor, staff)
    line = count.lines.get(item=sugar)
    stock.record_counted(count, {line.pk: "60"})  # 40 short × KES 160 = 6,400 ≥ 5,000

    with pytest.raises(approvals.ApprovalPending, match="Request #"):
        stock.post_count(count, staff)
    request = approvals.latest(count)  # the request outlived the refusal
    assert (request.status, request.amount, request.requested_by) == (Status.PENDING, Decimal("6400"), staff)
    count.refresh_from_db()
    assert count.status == StockCount.Status.DRAFT and stock.on_hand(sugar, floor) == 100
    with pytest.raises(approvals.ApprovalPending, match="waiting for approval"):
        stock.post_count(count, owner)  # decided on its request's page, not around it

    approvals.approve(request, owner)
    count.refresh_from_db()
    assert (count.status, count.posted_by) == (StockCount.Status.POSTED, staff)
    assert stock.on_hand(sugar, floor) == 60
    assert lines_of(ledger.entries_for(count)[0]) == [(chart.STOCK_LOSSES, 6400, 0), (chart.INVENTORY, 0, 6400)]
    assert trial_balance_ok()


@pytest.mark.django_db
def test_small_variances_post_at_once_and_a_rejected_count_cannot_be_posted(demo):
    sugar, floor = item("shop", "S-SUGAR-1KG"), stock.default_location(Business.objects.get(code="shop"))
    put(sugar, 100)
    grant("shop_staff", "inventory", "post_stockcount")
    staff, owner = user("shop_staff"), user("owner")
    small = stock.start_count(floor, staff)
    stock.record_counted(small, {small.lines.get(item=sugar).pk: "99"})  # KES 160 short
    assert stock.post_count(small, staff) is not None and approvals.latest(small) is None

    big = stock.start_count(floor, staff)
    stock.record_counted(big, {big.lines.get(item=sugar).pk: "9"})
    with pytest.raises(approvals.ApprovalPending):
        stock.post_count(big, staff)
    approvals.reject(approvals.latest(big), owner, comment="Count again")
    for who in (staff, owner):
        with pytest.raises(approvals.ApprovalRejected):
            stock.post_count(big, who)
    big.refresh_from_db()
    assert big.status == StockCount.Status.DRAFT and stock.on_hand(sugar, floor) == 99


# --- transfers -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_staff_transfers_wait_for_approval_and_approving_moves_the_stock(demo):
    sugar = item("shop", "S-SUGAR-1KG")
    floor = stock.default_location(sugar.business)
    store = Location.objects.create(business=sugar.business, name="Store")
    put(sugar, 10)
    staff, owner = user("shop_staff"), user("owner")
    with pytest.raises(approvals.ApprovalRequired, match="Transfer requests"):
        stock.transfer_stock(sugar, floor, store, 4, staff)

    asked = stock_approvals.request_transfer(sugar, floor, store, "4", staff, note="For the weekend")
    request = approvals.latest(asked)
    assert (asked.status, asked.value, request.status) == (TransferRequest.Status.PENDING, Decimal("640"),
                                                           Status.PENDING)
    assert stock.on_hand(sugar, store) == 0
    approvals.approve(request, owner)
    asked.refresh_from_db()
    assert asked.status == TransferRequest.Status.DONE and asked.transfer is not None
    assert (stock.on_hand(sugar, floor), stock.on_hand(sugar, store)) == (6, 4)
    assert asked.transfer.created_by == staff

    by_owner = stock_approvals.request_transfer(sugar, store, floor, "1", owner)  # the owner's own: done at once
    assert by_owner.status == TransferRequest.Status.DONE and stock.on_hand(sugar, store) == 3

    too_many = stock_approvals.request_transfer(sugar, floor, store, "50", staff)
    with pytest.raises(stock.OutOfStock, match="Only 7"):
        approvals.approve(approvals.latest(too_many), owner)
    assert approvals.latest(too_many).status == Status.PENDING  # nothing decided, nothing moved
    with pytest.raises(Refusal, match="same business"):
        stock_approvals.request_transfer(sugar, floor, stock.default_location(Business.objects.get(code="water")), 1,
                                         staff)


@pytest.mark.django_db
def test_staff_ask_for_a_transfer_from_the_approvals_page(login):
    sugar = item("shop", "S-SUGAR-1KG")
    floor = stock.default_location(sugar.business)
    store = Location.objects.create(business=sugar.business, name="Store")
    put(sugar, 10)
    staff = login("shop_staff")
    add = reverse("admin:inventory_transferrequest_add")
    page = staff.get(reverse("admin:approvals:pending")).content.decode()
    assert f'href="{add}">Ask for a transfer<' in page
    assert f'href="{reverse("admin:approvals_expenserequest_add")}">Ask for an expense<' in page
    response = staff.post(add, {"item": sugar.pk, "from_location": floor.pk, "to_location": store.pk,
                                "quantity": "3", "note": "Weekend"})
    asked = TransferRequest.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:approvals:decide", args=[approvals.latest(asked).pk])
    assert (asked.status, asked.value, stock.on_hand(sugar, store)) == (TransferRequest.Status.PENDING,
                                                                        Decimal("480"), 0)
    listed = staff.get(reverse("admin:inventory_transferrequest_changelist")).content.decode()
    assert "Transfer request" in listed and "Waiting for approval" in listed
    assert "Ask for" not in login("accountant").get(reverse("admin:approvals:pending")).content.decode()


# --- pages ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_owner_approves_from_the_phone_page_and_the_audit_is_shown(login):
    cash_in("water", 1000)
    client = login("water_staff")
    response = client.post(reverse("admin:approvals_expenserequest_add"), {
        "business": Business.objects.get(code="water").pk, "amount": "250", "category": chart.AIRTIME,
        "description": "Airtime for M-Pesa line", "method": "cash"})
    expense = ExpenseRequest.objects.get()
    request = approvals.latest(expense)
    url = reverse("admin:approvals:decide", args=[request.pk])
    assert response.status_code == 302 and response.url == url
    page = client.get(url).content.decode()
    assert "Airtime for M-Pesa line" in page and 'data-action="approve"' not in page  # not for the requester
    assert 'data-action="cancel"' in page

    for other in ("shop_staff", "laundry_staff"):
        assert login(other).get(url).status_code == 403
        assert login(other).post(url, {"decision": "approve"}).status_code == 403
    assert login("accountant").get(url).status_code == 200
    assert 'data-action="approve"' not in login("accountant").get(url).content.decode()

    owner = login("owner")
    pending = owner.get(reverse("admin:approvals:pending")).content.decode()
    assert f'data-request="{request.pk}"' in pending and 'data-waiting="1"' in pending
    widget = owner.get(reverse("admin:widget", args=["approvals.pending"])).content.decode()
    assert 'data-pending-count="1"' in widget
    page = owner.get(url).content.decode()
    assert 'data-action="approve"' in page and 'data-action="reject"' in page
    response = owner.post(url, {"decision": "approve", "comment": "Fine"}, REMOTE_ADDR="41.90.64.7",
                          HTTP_USER_AGENT=PHONE, follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and 'data-status="approved"' in page
    assert "41.90.64.7" in page and "TECNO KL4" in page and "Fine" in page
    expense.refresh_from_db()
    assert expense.status == ExpenseRequest.Status.PAID and balance("water", chart.CASH) == 750
    again = owner.post(url, {"decision": "approve"}, follow=True).content.decode()
    assert "already approved" in again and len(ledger.entries_for(expense)) == 1
    assert 'data-pending-count="0"' in owner.get(reverse("admin:widget", args=["approvals.pending"])).content.decode()


@pytest.mark.django_db
def test_a_payment_the_till_cannot_cover_is_shown_clearly_on_the_page(login):
    expense = approvals.request_expense("shop", "900", user("shop_staff"), description="Padlock")
    url = reverse("admin:approvals:decide", args=[approvals.latest(expense).pk])
    page = login("owner").post(url, {"decision": "approve"}, follow=True).content.decode()
    assert "Not done: Cash would go below zero" in page and 'data-status="pending"' in page


@pytest.mark.django_db
def test_expense_lists_are_scoped_to_the_business(login):
    water = approvals.request_expense("water", "100", user("water_staff"), description="Water expense")
    shop = approvals.request_expense("shop", "100", user("shop_staff"), description="Shop expense")
    client = login("water_staff")
    listing = client.get(reverse("admin:approvals_expenserequest_changelist")).content.decode()
    assert "Water expense" in listing and "Shop expense" not in listing
    assert client.get(reverse("admin:approvals_expenserequest_change", args=[shop.pk])).status_code == 403
    assert client.get(reverse("admin:approvals_expenserequest_change", args=[water.pk])).status_code == 200
    history = client.get(reverse("admin:approvals_approvalrequest_changelist")).content.decode()
    assert "Water expense" in history and "Shop expense" not in history
    shop_request = approvals.latest(shop)
    assert client.get(reverse("admin:approvals_approvalrequest_change", args=[shop_request.pk])).status_code == 403
    form = client.post(reverse("admin:approvals_expenserequest_add"), {
        "business": Business.objects.get(code="shop").pk, "amount": "5", "category": chart.OPERATING_EXPENSES,
        "description": "Sneaky", "method": "cash"})
    assert form.status_code == 200 and not ExpenseRequest.objects.filter(description="Sneaky").exists()


# --- notifications -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_approvers_are_notified_of_requests_and_requesters_of_decisions(demo, django_capture_on_commit_callbacks):
    from modules.core.notifications.models import Notification

    cash_in("laundry", 1000)
    staff, owner = user("laundry_staff"), user("owner")
    with django_capture_on_commit_callbacks(execute=True):
        expense = approvals.request_expense("laundry", "120", staff, description="Hangers")
    request = approvals.latest(expense)
    [asked] = Notification.objects.filter(kind="approvals.requested")
    assert asked.recipient == owner and "Hangers" in asked.message
    assert asked.link == reverse("admin:approvals:decide", args=[request.pk])
    with django_capture_on_commit_callbacks(execute=True):
        approvals.approve(request, owner, comment="Go")
    [told] = Notification.objects.filter(kind="approvals.decided")
    assert told.recipient == staff and "approved by Wanjiru" in told.message


# --- exports -------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_requests_export_for_the_accountant(demo):
    cash_in("water", 500)
    expense = approvals.request_expense("water", "100", user("water_staff"), description="Soap")
    approvals.approve(approvals.latest(expense), user("owner"), ip="41.90.64.7", device=PHONE)
    sugar = item("shop", "S-SUGAR-1KG")
    put(sugar, 2)
    store = Location.objects.create(business=sugar.business, name="Store")
    stock_approvals.request_transfer(sugar, stock.default_location(sugar.business), store, 1, user("shop_staff"))
    requests_csv = ApprovalRequestResource().export().csv
    assert "approvals.expenserequest" in requests_csv and "41.90.64.7" in requests_csv and "owner" in requests_csv
    expenses_csv = ExpenseRequestResource().export().csv
    assert "Soap" in expenses_csv and ",paid," in expenses_csv
    assert "S-SUGAR-1KG" in TransferRequestResource().export().csv


@pytest.mark.django_db
def test_save_and_post_on_the_count_page_sends_the_request_and_the_owner_sees_the_variance(login):
    sugar, floor = item("shop", "S-SUGAR-1KG"), stock.default_location(Business.objects.get(code="shop"))
    put(sugar, 100)
    grant("shop_staff", "inventory", "view_stockcount", "change_stockcount", "post_stockcount")
    count = stock.start_count(floor, user("shop_staff"))
    url = reverse("admin:inventory_stockcount_change", args=[count.pk])
    lines = list(count.lines.all())
    data = {"note": "", "lines-TOTAL_FORMS": len(lines), "lines-INITIAL_FORMS": len(lines), "lines-MIN_NUM_FORMS": 0,
            "lines-MAX_NUM_FORMS": 1000, "inventory_stockcount_save_and_post": ""}
    for i, line in enumerate(lines):
        data |= {f"lines-{i}-id": line.pk, f"lines-{i}-count": count.pk,
                 f"lines-{i}-counted": "50" if line.item_id == sugar.pk else ""}
    page = login("shop_staff").post(url, data, follow=True).content.decode()
    request = approvals.latest(count)
    assert request is not None and f"Request #{request.pk} was sent" in page  # it outlived the refusal
    count.refresh_from_db()
    assert count.status == StockCount.Status.DRAFT and count.lines.get(item=sugar).counted == 50

    owner = login("owner")
    decide = reverse("admin:approvals:decide", args=[request.pk])
    page = owner.get(decide).content.decode()
    assert "Stock count" in page and "KES 8,000.00" in page and "Short" in page
    owner.post(decide, {"decision": "approve"})
    count.refresh_from_db()
    assert count.status == StockCount.Status.POSTED and stock.on_hand(sugar, floor) == 50


@pytest.mark.django_db
def test_the_decide_page_summarises_a_purchase_order_and_a_transfer(bidco, login):
    po = big_order(bidco)
    po_request = approvals.request_approval(po, po.total, user("shop_staff"))
    sugar = item("shop", "S-SUGAR-1KG")
    put(sugar, 5)
    store = Location.objects.create(business=sugar.business, name="Store")
    asked = stock_approvals.request_transfer(sugar, stock.default_location(sugar.business), store, 2,
                                             user("shop_staff"))
    owner = login("owner")
    page = owner.get(reverse("admin:approvals:decide", args=[po_request.pk])).content.decode()
    assert "Bidco" in page and "400 × Sugar 1 kg" in page and "KES 60,000.00" in page
    page = owner.get(reverse("admin:approvals:decide", args=[approvals.latest(asked).pk])).content.decode()
    assert "Store" in page and "Stock transfer" in page
    assert login("water_staff").get(reverse("admin:approvals:decide", args=[po_request.pk])).status_code == 403
