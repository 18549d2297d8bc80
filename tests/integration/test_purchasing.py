"""Purchasing on real PostgreSQL: orders, approval above the threshold, partial and full receiving
at moving-average cost, supplier bills and payments in the ledger, and the screens' scoping."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.inventory import services as stock
from modules.core.inventory.models import Item, Location, StockMovement
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account, JournalEntry
from modules.core.purchasing import services as purchasing
from modules.core.purchasing.models import GoodsReceipt, PurchaseOrder, Supplier, SupplierBill, SupplierPayment
from tests.ledger_helpers import owner_capital

Status = PurchaseOrder.Status


def item(business, sku):
    return Item.objects.get(business__code=business, sku=sku)


def balance(business, code):
    return ledger.balance(Account.objects.get(business__code=business, code=code))


def lines_of(entry):
    return [(line.account.code, line.debit, line.credit)
            for line in entry.lines.select_related("account").order_by("pk")]


def order(supplier, *lines, user=None):
    po = PurchaseOrder.objects.create(business=supplier.business, supplier=supplier, created_by=user)
    for it, quantity, unit_cost in lines:
        po.lines.create(item=it, quantity=Decimal(quantity), unit_cost=Decimal(unit_cost))
    return po


@pytest.fixture
def owner(demo):
    return User.objects.get(username="owner")


@pytest.fixture
def bidco(demo):
    return Supplier.objects.create(business=Business.objects.get(code="shop"), name="Bidco", phone="0712 345 678")


def test_supplier_phones_are_normalised(bidco):
    assert bidco.phone == "254712345678"
    with pytest.raises(ValidationError):
        Supplier.objects.create(business=bidco.business, name="Bad", phone="12345")


def test_partial_then_full_receiving_at_moving_average_cost(owner, bidco):
    sugar, milk = item("shop", "S-SUGAR-1KG"), item("shop", "S-MILK-500")  # average costs 160 and 52
    floor = stock.default_location(bidco.business)
    store = Location.objects.create(business=bidco.business, name="Store")
    with transaction.atomic():
        stock.move_stock(sugar, floor, 10, StockMovement.Kind.ADJUSTMENT)
    po = order(bidco, (sugar, 20, 170), (milk, 10, 50))
    sugar_line, milk_line = po.lines.order_by("pk")
    with pytest.raises(ValidationError, match="only a sent order can be received"):
        purchasing.receive(po, {sugar_line.pk: 5}, floor, owner)
    purchasing.send(po, owner)

    with pytest.raises(ValidationError, match="20 still to come, not 21"):
        purchasing.receive(po, {sugar_line.pk: 21}, floor, owner)
    first = purchasing.receive(po, {sugar_line.pk: 5, milk_line.pk: ""}, floor, owner)
    sugar.refresh_from_db()
    assert sugar.cost == Decimal("163.3333")  # (10 × 160 + 5 × 170) / 15
    assert stock.on_hand(sugar, floor) == 15
    po.refresh_from_db()
    assert po.status == Status.PARTLY_RECEIVED
    assert lines_of(ledger.entries_for(first)[0]) == [(chart.INVENTORY, 850, 0), (chart.PAYABLES, 0, 850)]

    second = purchasing.receive(po, {sugar_line.pk: "15", milk_line.pk: "10"}, store, owner)
    sugar.refresh_from_db(), milk.refresh_from_db()
    assert sugar.cost == Decimal("166.6667")  # (15 × 163.3333 + 15 × 170) / 30
    assert milk.cost == Decimal("50.0000")  # none held before: the purchase price
    assert (stock.on_hand(sugar, store), stock.on_hand(milk, store)) == (15, 10)
    receipts = StockMovement.objects.filter(kind=StockMovement.Kind.RECEIPT, source_id=str(second.pk))
    assert sorted((m.item.sku, m.quantity, m.unit_cost) for m in receipts) == [
        ("S-MILK-500", 10, 50), ("S-SUGAR-1KG", 15, 170)]
    assert second.total == Decimal("3050.00")
    assert lines_of(ledger.entries_for(second)[0]) == [(chart.INVENTORY, 3050, 0), (chart.PAYABLES, 0, 3050)]
    po.refresh_from_db()
    assert po.status == Status.RECEIVED
    assert (balance("shop", chart.PAYABLES), balance("shop", chart.INVENTORY)) == (3900, 3900)
    with pytest.raises(ValidationError, match="only a sent order can be received"):
        purchasing.receive(po, {milk_line.pk: 1}, store, owner)
    with pytest.raises(ValidationError, match="location of Shop"):
        po2 = purchasing.send(order(bidco, (sugar, 1, 1)))
        purchasing.receive(po2, {po2.lines.get().pk: 1}, stock.default_location(Business.objects.get(code="water")))


def test_orders_above_the_threshold_need_approval_before_sending(owner, bidco, login):
    sugar = item("shop", "S-SUGAR-1KG")
    big = order(bidco, (sugar, 300, 170))  # KES 51,000
    at_limit = order(bidco, (sugar, 250, 200))  # KES 50,000: not above
    assert purchasing.APPROVAL_THRESHOLD == Decimal("50000")
    assert purchasing.needs_approval(big) and not purchasing.needs_approval(at_limit)

    with pytest.raises(purchasing.ApprovalRequired, match="KES 51,000.00, above the KES 50,000 limit"):
        purchasing.send(big)
    for username in ("accountant", "shop_staff"):
        with pytest.raises(PermissionDenied):
            purchasing.approve(big, User.objects.get(username=username))
    big.refresh_from_db()
    assert big.status == Status.DRAFT

    purchasing.approve(big, owner)
    big.refresh_from_db()
    assert (big.status, big.approved_by) == (Status.APPROVED, owner) and not purchasing.needs_approval(big)
    assert purchasing.send(big).status == Status.SENT
    assert purchasing.send(at_limit).status == Status.SENT

    # the same rule from the changelist's actions
    other = order(bidco, (sugar, 300, 170))
    client = login("owner")
    changelist = reverse("admin:purchasing_purchaseorder_changelist")
    page = client.post(changelist, {"action": "send_orders", "_selected_action": [other.pk]}, follow=True)
    assert "must be approved before it is sent" in page.content.decode()
    other.refresh_from_db()
    assert other.status == Status.DRAFT
    client.post(changelist, {"action": "approve_orders", "_selected_action": [other.pk]})
    client.post(changelist, {"action": "send_orders", "_selected_action": [other.pk]})
    other.refresh_from_db()
    assert other.status == Status.SENT


def test_bills_and_payments_post_to_payables_and_the_tills(owner, bidco):
    sugar = item("shop", "S-SUGAR-1KG")
    po = purchasing.send(order(bidco, (sugar, 10, 150)))
    with pytest.raises(ValidationError, match="Nothing received"):
        purchasing.record_bill(bidco, "1500", purchase_order=po)
    purchasing.receive(po, {po.lines.get().pk: 10}, stock.default_location(bidco.business), owner)

    entries = JournalEntry.objects.count()
    with pytest.raises(ValidationError, match="must be KES 1,500.00"):
        purchasing.record_bill(bidco, "1400", purchase_order=po)
    po_bill = purchasing.record_bill(bidco, "1500", reference="INV-77", purchase_order=po, user=owner)
    assert po_bill.journal_entry is None and JournalEntry.objects.count() == entries  # receiving booked it
    transport = purchasing.record_bill(bidco, "300", reference="T-1", category=chart.TRANSPORT, user=owner)
    assert lines_of(transport.journal_entry) == [(chart.TRANSPORT, 300, 0), (chart.PAYABLES, 0, 300)]
    with pytest.raises(ValidationError, match="Pick an expense category of Shop"):
        purchasing.record_bill(bidco, "300", category=chart.BANK, user=owner)
    assert purchasing.supplier_balance(bidco) == balance("shop", chart.PAYABLES) == 1800

    owner_capital("shop", "1000", timezone.localdate())
    with pytest.raises(ledger.LedgerError, match=r"Cash would go below zero: it holds KES 1000\.00, "
                                                 r"this takes out KES 1500\.00"):
        purchasing.pay_supplier(bidco, "1500", "cash", bill=po_bill, user=owner)
    with pytest.raises(ledger.LedgerError, match="M-Pesa till would go below zero"):
        purchasing.pay_supplier(bidco, "100", "mpesa", user=owner)
    assert not SupplierPayment.objects.exists()

    by_bank = purchasing.pay_supplier(bidco, "1500", "bank", bill=po_bill, reference="EFT-9", user=owner)
    assert lines_of(by_bank.journal_entry) == [(chart.PAYABLES, 1500, 0), (chart.BANK, 0, 1500)]
    assert purchasing.bill_outstanding(po_bill) == 0
    with pytest.raises(ValidationError, match="Only KES 0.00 is left"):
        purchasing.pay_supplier(bidco, "1", "bank", bill=po_bill)
    in_cash = purchasing.pay_supplier(bidco, "300", "cash", bill=transport, user=owner)
    assert lines_of(in_cash.journal_entry) == [(chart.PAYABLES, 300, 0), (chart.CASH, 0, 300)]
    assert (balance("shop", chart.CASH), balance("shop", chart.PAYABLES), purchasing.supplier_balance(bidco)) == (
        700, 0, 0)
    assert ledger.totals("shop")["debit"] == ledger.totals("shop")["credit"]


def test_input_vat_on_bills_is_claimable_and_owed_to_the_supplier(owner, bidco):
    sugar = item("shop", "S-SUGAR-1KG")
    po = purchasing.send(order(bidco, (sugar, 10, 150)))  # orders are costed without VAT
    purchasing.receive(po, {po.lines.get().pk: 10}, stock.default_location(bidco.business), owner)
    with pytest.raises(ValidationError, match="must be KES 1,500.00 before VAT"):
        purchasing.record_bill(bidco, "1740", vat="200", purchase_order=po)
    for bad_vat in ("-1", "1740"):
        with pytest.raises(ValidationError, match="must be at least 0 and less than the bill"):
            purchasing.record_bill(bidco, "1740", vat=bad_vat, purchase_order=po)
    po_bill = purchasing.record_bill(bidco, "1740", vat="240", reference="INV-80", purchase_order=po, user=owner)
    assert lines_of(po_bill.journal_entry) == [(chart.INPUT_VAT, 240, 0), (chart.PAYABLES, 0, 240)]
    assert purchasing.unbilled_value(po) == 0 and sugar.__class__.objects.get(pk=sugar.pk).cost == 150

    rent = purchasing.record_bill(bidco, "11600", vat="1600", reference="RENT-11", category=chart.RENT, user=owner)
    assert rent.category.name == "Rent"
    assert lines_of(rent.journal_entry) == [(chart.RENT, 10000, 0), (chart.INPUT_VAT, 1600, 0),
                                            (chart.PAYABLES, 0, 11600)]
    assert balance("shop", chart.INPUT_VAT) == 1840
    assert purchasing.supplier_balance(bidco) == balance("shop", chart.PAYABLES) == 1500 + 240 + 11600
    purchasing.pay_supplier(bidco, "1740", "bank", bill=po_bill, user=owner)
    assert purchasing.bill_outstanding(po_bill) == 0
    assert ledger.totals("shop")["debit"] == ledger.totals("shop")["credit"]


def test_the_payment_form_shows_the_ledgers_refusal(bidco, login):
    client = login("owner")
    url = reverse("admin:purchasing_supplierpayment_add")
    form = {"supplier": bidco.pk, "bill": "", "method": "cash", "amount": "500", "reference": ""}
    response = client.post(url, form)
    assert response.status_code == 200
    assert "Cash would go below zero: it holds KES 0.00, this takes out KES 500.00" in response.content.decode()
    assert not SupplierPayment.objects.exists() and not JournalEntry.objects.filter(memo__contains="Bidco").exists()
    owner_capital("shop", "800", timezone.localdate())
    assert client.post(url, form).status_code == 302
    assert SupplierPayment.objects.get().amount == 500 and balance("shop", chart.CASH) == 300


def test_a_bill_without_an_order_picks_its_expense_category(bidco, login):
    client = login("owner")
    url = reverse("admin:purchasing_supplierbill_add")
    form = {"supplier": bidco.pk, "purchase_order": "", "reference": "R-1", "bill_date": timezone.localdate().isoformat(),
            "amount": "2500", "vat": "0", "category": ""}
    refused = client.post(url, form)
    assert refused.status_code == 200 and "A bill without an order needs its category." in refused.content.decode()
    assert client.post(url, {**form, "category": chart.REPAIRS}).status_code == 302
    bill = SupplierBill.objects.get()
    assert bill.category.code == chart.REPAIRS and lines_of(bill.journal_entry) == [
        (chart.REPAIRS, 2500, 0), (chart.PAYABLES, 0, 2500)]


def test_receiving_from_its_admin_page(owner, bidco, login):
    sugar = item("shop", "S-SUGAR-1KG")
    po = purchasing.send(order(bidco, (sugar, 4, 160)))
    url = reverse("admin:purchasing:receive", args=[po.pk])
    floor = stock.default_location(bidco.business)
    client = login("owner")
    assert client.get(url).status_code == 200
    response = client.post(url, {"location": floor.pk, f"line-{po.lines.get().pk}": "9"})
    assert response.status_code == 200 and "4 still to come, not 9" in response.content.decode()
    response = client.post(url, {"location": floor.pk, f"line-{po.lines.get().pk}": "4"})
    assert response.status_code == 302 and stock.on_hand(sugar, floor) == 4
    assert GoodsReceipt.objects.get(purchase_order=po).total == 640
    assert login("accountant").get(url).status_code == 403  # reads, never receives
    assert login("shop_staff").get(url).status_code == 403  # the owner buys


def test_purchasing_screens_answer_the_owner_and_refuse_staff(owner, bidco, login):
    water = Business.objects.get(code="water")
    aqua = Supplier.objects.create(business=water, name="Aqua caps")
    shop_po = order(bidco, (item("shop", "S-SUGAR-1KG"), 1, 160))
    water_po = order(aqua, (item("water", "W-SACHET"), 100, 4))
    bill = purchasing.record_bill(bidco, "50", reference="X")
    shop_pages = [reverse("admin:purchasing_supplier_change", args=[bidco.pk]),
                  reverse("admin:purchasing_purchaseorder_change", args=[shop_po.pk]),
                  reverse("admin:purchasing_supplierbill_change", args=[bill.pk])]
    assert [login("owner").get(url).status_code for url in shop_pages] == [200] * 3
    assert [login("accountant").get(url).status_code for url in shop_pages] == [200] * 3
    assert [login("shop_staff").get(url).status_code for url in shop_pages] == [403] * 3

    user = User.objects.get(username="water_staff")
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="purchasing",
                                                         codename__startswith="view_"))
    staff = login("water_staff")
    assert [staff.get(url).status_code for url in shop_pages] == [403] * 3
    assert staff.get(reverse("admin:purchasing_purchaseorder_change", args=[water_po.pk])).status_code == 200
    listing = staff.get(reverse("admin:purchasing_supplier_changelist")).content.decode()
    assert "Aqua caps" in listing and "Bidco" not in listing


def test_an_order_is_edited_only_as_a_draft(owner, bidco, login):
    po = order(bidco, (item("shop", "S-SUGAR-1KG"), 1, 160))
    url = reverse("admin:purchasing_purchaseorder_change", args=[po.pk])
    client = login("owner")
    assert b'name="note"' in client.get(url).content
    purchasing.send(po)
    assert b'name="note"' not in client.get(url).content
    assert client.post(url, {"note": "changed"}).status_code == 403
    assert client.get(reverse("admin:purchasing_purchaseorder_delete", args=[po.pk])).status_code == 403
    assert not SupplierBill.objects.exists()
