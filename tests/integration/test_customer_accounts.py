"""Customer accounts (issue 12 §2): credit sales within the owner's limit, payments against the
balance, credit spent or refunded, the statement (page and CSV) with a dated running balance, the
debtors ageing and the "who owes me" widget; the statement always equals the receivables
sub-ledger (a hypothesis property over random sales, payments, credits and refunds)."""

import csv
import io
import uuid
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal as D
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modules.core.businesses.models import Business
from modules.core.customers import services as customers
from modules.core.inventory.models import Item
from modules.core.ledger import services as ledger
from modules.core.payments import services as payments
from modules.core.sales import accounts
from modules.core.sales import services as sales


def biz(code):
    return Business.objects.get(code=code)


def buy(business, sku, quantity, *, method="credit", phone="0712 345 001", **kwargs):
    item = Item.objects.get(business__code=business, sku=sku)
    sale, _ = sales.create_sale(business=biz(business), client_uuid=uuid.uuid4(), method=method,
                                lines=[sales.SaleLineInput(item.pk, D(quantity))], customer_phone=phone, **kwargs)
    return sale


@contextmanager
def days_ago(days):
    moment = timezone.now() - timedelta(days=days)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield moment


@pytest.fixture
def amina(stocked):
    customer = customers.find_or_create("0712 345 001", name="Amina", business=biz("water"))
    customer.credit_limit = D("2000")
    customer.save()
    return customer


@pytest.mark.django_db
def test_a_credit_sale_is_refused_above_the_owners_limit_with_a_plain_message(amina):
    buy("water", "W-BOTTLE-20", 2)  # 1,300 owed
    with pytest.raises(ValidationError, match=r"Credit limit reached: Amina \(254712345001\) owes KES 1,300.00 and "
                                              r"may owe at most KES 2,000.00, so a credit sale of KES 1,300.00 is"):
        buy("water", "W-BOTTLE-20", 2)
    with pytest.raises(ValidationError, match="no credit limit"):
        buy("water", "W-SACHET", 1, phone="0799 000 111")
    with pytest.raises(ValidationError, match="needs the customer's phone"):
        buy("water", "W-SACHET", 1, phone="")
    buy("water", "W-BOTTLE-20", 1)  # 1,950 owed: within the limit
    assert accounts.subledger(amina)["owed"] == D("1950.00")


@pytest.mark.django_db
def test_a_credit_sale_from_the_quick_sale_opens_its_receipt_and_prompts_no_phone(amina, login):
    import json

    from modules.core.payments.models import StkRequest

    client = login("water_staff")
    body = {"uuid": str(uuid.uuid4()), "business": "water", "method": "credit", "phone": "0712 345 001",
            "lines": [{"item": Item.objects.get(business__code="water", sku="W-BOTTLE-20").pk, "quantity": 1}]}
    response = client.post(reverse("admin:sales:submit"), json.dumps(body), content_type="application/json")
    assert response.status_code == 201
    assert response.json()["next"] == reverse("admin:sales:receipt", args=[response.json()["sale"]])
    assert not StkRequest.objects.exists()  # on credit: the customer pays later, no M-Pesa prompt now
    assert accounts.subledger(amina)["owed"] == D("650.00")


@pytest.mark.django_db
def test_payments_go_to_the_oldest_sales_first_and_the_rest_becomes_credit(amina, login):
    water = biz("water")
    first, second = buy("water", "W-BOTTLE-20", 1), buy("water", "W-REFILL-20", 2)  # 650, 240
    with transaction.atomic():
        made = accounts.receive(amina, water, amount="700", method="cash")
    assert [(p.document.pk, p.applied, p.credit) for p in made] == [(first.pk, 650, 0), (second.pk, 50, 0)]
    with transaction.atomic():
        accounts.receive(amina, water, amount="250", method="mpesa", mpesa_receipt="QAB250")
    assert accounts.subledger(amina, water) == {"owed": D("0.00"), "credit": D("60.00"), "balance": D("-60.00")}
    third = buy("water", "W-REFILL-20", 1, method="mpesa")  # 120, nothing paid yet
    with transaction.atomic():
        used = accounts.apply_credit(third)
    assert (used.method, used.amount, payments.amount_due(third)) == ("credit", 60, 60)
    with pytest.raises(ValidationError, match="no credit"):
        accounts.apply_credit(third)
    with transaction.atomic():
        accounts.receive(amina, water, amount="100", method="cash")  # 60 due, 40 credit
    refund = accounts.refund_credit(amina, water, amount="40", method="cash")
    assert refund.reference.startswith("CR-")
    with pytest.raises(ValidationError, match="has KES 0.00 of credit"):
        accounts.refund_credit(amina, water, amount="1")
    assert accounts.subledger(amina)["balance"] == accounts.statement(amina)["closing"] == 0
    totals = ledger.totals("water")
    assert totals["debit"] == totals["credit"]


@pytest.mark.django_db
def test_the_statement_page_and_csv_show_a_dated_running_balance(amina, login):
    with days_ago(3):
        buy("water", "W-BOTTLE-20", 1)  # 650
    with days_ago(1), transaction.atomic():
        accounts.receive(amina, biz("water"), amount="400", method="mpesa", mpesa_receipt="QST400")
    buy("water", "W-REFILL-20", 1)  # 120 today
    client = login("water_staff")
    url = reverse("admin:sales:statement", args=[amina.pk])
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200 and "Owes KES 370.00" in body and 'data-closing>370.00' in body
    balances = [line.balance for line in page.context["account"]["lines"]]
    assert balances == [D("650.00"), D("250.00"), D("370.00")]
    days = [line.day for line in page.context["account"]["lines"]]
    today = timezone.localdate()
    assert days == [today - timedelta(days=3), today - timedelta(days=1), today]
    rows = list(csv.reader(io.StringIO(client.get(url, {"format": "csv"}).content.decode("utf-8-sig"))))
    assert rows[0] == ["Date", "Business", "Reference", "What", "Debit (KES)", "Credit (KES)", "Balance (KES)"]
    assert [row[-1] for row in rows[2:]] == ["650.00", "250.00", "370.00"]
    assert rows[3][3] == "Paid: M-Pesa QST400"
    since = client.get(url, {"start": (today - timedelta(days=1)).isoformat()}).context["account"]
    assert (since["opening"], len(since["lines"]), since["closing"]) == (D("650.00"), 2, D("370.00"))
    # another business's staff cannot open it; the owner takes a payment from the page
    assert login("laundry_staff").get(url).status_code == 403
    owner = login("owner")
    response = owner.post(url, {"business": "water", "action": "pay", "method": "cash", "amount": "370"})
    assert response.status_code == 302 and accounts.subledger(amina)["balance"] == 0
    bad = owner.post(url, {"business": "water", "action": "pay", "method": "cash", "amount": "NaN"}, follow=True)
    assert bad.status_code == 200 and "must be a number" in bad.content.decode()


@pytest.mark.django_db
def test_the_debtors_ageing_and_the_who_owes_me_widget(amina, login):
    baraka = customers.find_or_create("0722 000 002", name="Baraka", business=biz("water"))
    baraka.credit_limit = D("10000")
    baraka.save()
    for days, quantity in ((100, 1), (70, 2), (40, 3), (5, 4)):
        with days_ago(days):
            buy("water", "W-REFILL-20", quantity, phone="0722 000 002")  # 120 each
    with days_ago(10):
        buy("water", "W-BOTTLE-20", 1)  # Amina: 650, 10 days old
    rows = {row["customer"].name: row for row in accounts.ageing([biz("water")])}
    assert {k: rows["Baraka"][k] for k in ("0_30", "31_60", "61_90", "90_plus", "total")} == {
        "0_30": D("480.00"), "31_60": D("360.00"), "61_90": D("240.00"), "90_plus": D("120.00"), "total": D("1200.00")}
    assert rows["Amina"]["0_30"] == D("650.00")
    owner = login("owner")
    widget = owner.get(reverse("admin:widget", args=["sales.debtors"])).content.decode()
    assert 'data-owed="1850.00"' in widget and widget.index("Baraka") < widget.index("Amina")
    report = owner.get(reverse("admin:reports:debtors")).content.decode()
    assert "Baraka" in report and reverse("admin:sales:statement", args=[baraka.pk]) in report
    assert login("water_staff").get(reverse("admin:widget", args=["sales.debtors"])).status_code == 403


# --- the property ----------------------------------------------------------------------------------

STEPS = st.lists(st.tuples(
    st.sampled_from(["credit_sale", "cash_sale", "mpesa_sale", "pay", "overpay", "use_credit", "refund_credit",
                     "void_route", "void_cash", "void_credit", "late_mpesa"]),
    st.sampled_from(["water", "shop"]),
    st.integers(min_value=1, max_value=40),
), min_size=1, max_size=16)


@pytest.mark.django_db(transaction=True)
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=STEPS)
def test_the_statement_balance_is_the_receivables_subledger(steps):
    """Whatever happens to a customer's account, the statement built from the documents (sales,
    payments, voids, refunds) ends where the ledger's Receivables and Customer credit lines of the
    customer's entries end, per business and in total."""
    from fixtures.demo import seed
    from tests.conftest import PASSWORD

    seed(PASSWORD)
    customer = customers.find_or_create(f"07{uuid.uuid4().int % 10**8:08d}", name="Property")
    customer.credit_limit = D("1000000")
    customer.save()
    phone = customer.primary_phone
    sku = {"water": "W-SACHET", "shop": "S-MILK-500"}
    made = []
    for action, code, size in steps:
        business = biz(code)
        try:
            with transaction.atomic():
                if action.endswith("_sale"):
                    made.append(buy(code, sku[code], size % 5 + 1, method=action.split("_")[0], phone=phone))
                elif action in ("pay", "overpay"):
                    owed = accounts.subledger(customer, business)["owed"]
                    amount = max(owed, D("1")) + (size if action == "overpay" else 0)
                    accounts.receive(customer, business, amount=min(amount, D(size)) if action == "pay" else amount,
                                     method="cash")
                elif action == "use_credit" and made:
                    open_ = [s for s in made if s.business == business and payments.amount_due(s) > 0]
                    if open_:
                        accounts.apply_credit(open_[0])
                elif action == "refund_credit":
                    credit = accounts.credit_available(customer, business)
                    if credit > 0:
                        accounts.refund_credit(customer, business, amount=min(credit, D(size)), method="cash")
                elif action.startswith("void_") and made:
                    sale = made.pop(size % len(made))
                    sales.void_sale(sale, reason="property", refund=action.split("_")[1])
                elif action == "late_mpesa" and made:  # M-Pesa arriving after the sale was settled or voided
                    payments.record_payment(made[size % len(made)], method="mpesa", amount=D(size),
                                            mpesa_receipt=uuid.uuid4().hex[:12])
        except (ValidationError, ledger.LedgerError):
            pass  # refused (cash would go below zero, nothing to refund…): nothing moved
        for business in (biz("water"), biz("shop"), None):
            assert accounts.statement(customer, business=business)["closing"] == \
                accounts.subledger(customer, business)["balance"], (action, code)
    totals = ledger.totals()
    assert totals["debit"] == totals["credit"]


@pytest.mark.django_db
def test_m_pesa_credit_by_phone_and_undone_payments_agree_in_statement_and_sub_ledger(amina):
    """The inbox's money kept as credit for Amina's phone is her credit (she can spend it); a typed
    code that never arrived is owed again; the statement and the sub-ledger agree throughout."""
    from modules.core.payments import receipts

    water_ = biz("water")
    kept = receipts.book_unallocated(water_, amount="150.00", source="c2b", receipt="QCR150BBBB", memo="test")
    payments.allocate_to_credit(kept, "0712 345 001")
    assert accounts.credit_available(amina, water_) == D("150.00")
    sale = buy("water", "W-REFILL-20", 1, method="mpesa")  # 120.00
    payments.record_typed_code(sale, "QTY120CCCC")
    payments.mark_never_arrived(receipts.by_receipt("QTY120CCCC"), "not on the statement")
    assert payments.amount_due(sale) == D("120.00")
    book = accounts.statement(amina, business=water_)
    assert accounts.subledger(amina, water_) == {"owed": D("120.00"), "credit": D("150.00"),
                                                  "balance": D("-30.00")}
    assert book["closing"] == D("-30.00")
    assert [(line.what, line.debit, line.credit) for line in book["lines"]] == [
        ("M-Pesa QCR150BBBB kept as credit", D("0"), D("150.00")),
        (f"{sale.label} (M-Pesa)", D("120.00"), D("0")),
        ("Paid: M-Pesa QTY120CCCC", D("0"), D("120.00")),
        ("Undone: M-Pesa QTY120CCCC (not on the statement)", D("120.00"), D("0"))]
    assert [(row["customer"], row["total"]) for row in accounts.ageing([water_])] == [(amina, D("120.00"))]
    with transaction.atomic():
        accounts.apply_credit(sale)  # the phone's M-Pesa credit pays the sale
    assert payments.amount_due(sale) == D("0.00")
    assert accounts.subledger(amina, water_)["credit"] == D("30.00")
    assert accounts.statement(amina, business=water_)["closing"] == D("-30.00")
    # undoing the allocation takes the credit back, in both readings
    receipts.reverse_allocation(kept.allocations.get(kind="credit"), "wrong phone")
    assert accounts.subledger(amina, water_)["balance"] == accounts.statement(amina, business=water_)["closing"]
