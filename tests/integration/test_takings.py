"""Takings = money received, by any route, the same figure on every page (issue 11 §2).

One day of the three businesses made through the real services: a quick sale, a laundry deposit
and balance, an LPG refill exchange, a water delivery on credit and a later partial payment, a
shop customer who pays over and spends the credit. Every page's figures equal the hand-computed
table below; a hypothesis property ties takings to the ledger's till debits on any day."""

import uuid
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal as D
from unittest import mock

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modules.core.businesses.models import Business
from modules.core.customers import services as customers
from modules.core.inventory.models import Item
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import JournalLine
from modules.core.payments import services as payments
from modules.core.payments.models import Payment
from modules.core.reports import cashup as cashups
from modules.core.reports import services as reports
from modules.core.sales import accounts, takings
from modules.core.sales import services as sales
from modules.laundry import services as laundry
from modules.shop import services as shop
from modules.shop.models import CylinderType
from modules.water import services as water

# --- the day, by hand ------------------------------------------------------------------------------
# water:   quick sale 2 × 20 L refill (120)            = 240.00 cash      VAT 33.10
#          delivery 20 L bottle 650 + 2 refills 240     = 890.00 on credit VAT 89.66 + 33.10
#          the customer pays 500.00 of it by bank later that day
# laundry: 6 kg wash & fold (150/kg)                    = 900.00           VAT 124.14
#          deposit 300.00 cash at drop-off, balance 600.00 by M-Pesa at collection
# shop:    LPG refill exchange 13 kg K-Gas              = 2,900.00 M-Pesa  VAT 400.00
#          sugar 190.00, the customer sends 200.00 by M-Pesa: 10.00 kept as their credit
#          milk 65.00: 55.00 cash and the 10.00 credit                    VAT 26.21 and 8.97
TAKINGS = {  # business: cash, M-Pesa, bank, credit applied, total, left as credit
    "water": (D("240.00"), D("0.00"), D("500.00"), D("0.00"), D("740.00"), D("0.00")),
    "laundry": (D("300.00"), D("600.00"), D("0.00"), D("0.00"), D("900.00"), D("0.00")),
    "shop": (D("55.00"), D("3090.00"), D("0.00"), D("10.00"), D("3155.00"), D("10.00")),
}
SALES = {  # business: sales, gross, VAT, net of VAT (= the ledger's revenue for the day)
    "water": (2, D("1130.00"), D("155.86"), D("974.14")),
    "laundry": (1, D("900.00"), D("124.14"), D("775.86")),
    "shop": (3, D("3155.00"), D("435.18"), D("2719.82")),
}
BY_ITEM = {  # (business, item): quantity, amount
    ("Water refill and packaging", "20 L refill"): (D("4"), D("480.00")),
    ("Water refill and packaging", "20 L bottle with water"): (D("1"), D("650.00")),
    ("Laundry", "Wash & fold, per kg"): (D("6"), D("900.00")),
    ("Shop and LPG gas", "LPG 13 kg K-Gas (full)"): (D("1"), D("2900.00")),
    ("Shop and LPG gas", "Sugar 1 kg"): (D("1"), D("190.00")),
    ("Shop and LPG gas", "Milk 500 ml"): (D("1"), D("65.00")),
}
BY_METHOD = {  # (business, method): sales, sales total, taken
    ("Water refill and packaging", "Cash"): (1, D("240.00"), D("240.00")),
    ("Water refill and packaging", "Bank"): (0, D("0.00"), D("500.00")),
    ("Water refill and packaging", "Credit sale (deni)"): (1, D("890.00"), D("0.00")),
    ("Laundry", "Cash"): (1, D("900.00"), D("300.00")),
    ("Laundry", "M-Pesa"): (0, D("0.00"), D("600.00")),
    ("Shop and LPG gas", "Cash"): (1, D("65.00"), D("55.00")),
    ("Shop and LPG gas", "M-Pesa"): (2, D("3090.00"), D("3090.00")),
    ("Shop and LPG gas", "Customer credit applied"): (0, D("0.00"), D("10.00")),
}
CASH_UP = {"water": (D("240.00"), D("0.00")), "laundry": (D("300.00"), D("600.00")),  # expected cash, M-Pesa
           "shop": (D("55.00"), D("3100.00"))}  # the shop's till holds the 10.00 kept as credit too


def biz(code):
    return Business.objects.get(code=code)


def item(sku):
    return Item.objects.get(sku=sku)


def line(sku, quantity):
    return sales.SaleLineInput(item(sku).pk, D(quantity))


def mpesa(document, amount, receipt):
    """What the M-Pesa callback does once Daraja confirms (payments.handle_callback)."""
    with transaction.atomic():
        return payments.record_payment(document, method="mpesa", amount=amount, mpesa_receipt=receipt,
                                       payer_phone="254712345670")


def the_day():
    water_, laundry_, shop_ = biz("water"), biz("laundry"), biz("shop")
    sales.create_sale(business=water_, client_uuid=uuid.uuid4(), lines=[line("W-REFILL-20", 2)], method="cash")
    job = laundry.create_job(laundry_, customer_phone="0712 480 110",
                             lines=[laundry.JobLineInput(item("L-WASH-KG").pk, D("6"))], deposit="300")
    mpesa(job.sale, "600.00", "QLB600")
    kgas = CylinderType.objects.get(business=shop_, size_kg=13, brand="K-Gas")
    gas, _ = shop.record_lpg(business=shop_, client_uuid=uuid.uuid4(), kind="refill", cylinder_type=kgas,
                             method="mpesa", customer_phone="0722 000 310")
    mpesa(gas.sale, "2900.00", "QLG2900")
    office = customers.find_or_create("0733 555 001", name="Kilimani office", business=water_)
    office.credit_limit = D("2000")
    office.save()
    order = water.create_delivery(water_, phone="0733 555 001", area="Kilimani",
                                  lines=[(item("W-BOTTLE-20"), 1), (item("W-REFILL-20"), 2)])
    water.deliver(order, method="credit")
    with transaction.atomic():
        accounts.receive(office, water_, amount="500", method="bank")
    sugar, _ = sales.create_sale(business=shop_, client_uuid=uuid.uuid4(), lines=[line("S-SUGAR-1KG", 1)],
                                 method="mpesa", customer_phone="0744 100 200")
    mpesa(sugar, "200.00", "QSU200")  # sent 200 for a 190 bill: 10 kept as the customer's credit
    milk, _ = sales.create_sale(business=shop_, client_uuid=uuid.uuid4(), lines=[line("S-MILK-500", 1)],
                                method="cash", cash_amount="55", customer_phone="0744 100 200")
    accounts.apply_credit(milk)


def test_every_page_shows_the_same_takings_as_the_hand_computed_table(stocked, login):
    the_day()
    today = timezone.localdate()
    businesses = [biz(code) for code in ("water", "laundry", "shop")]
    owner = login("owner")

    # the Today widget: takings per business and in total
    context = owner.get(reverse("admin:widget", args=["sales.today"])).context
    figures = {business.code: f for business, f in context["rows"]}
    for code, (cash, mpesa_, bank, credit, total, kept) in TAKINGS.items():
        got = figures[code]
        assert (got["cash"], got["mpesa"], got["bank"], got["credit"], got["total"], got["left_as_credit"]) == (
            cash, mpesa_, bank, credit, total, kept), code
        assert got["sales"] == SALES[code][0]
        assert got["revenue"] == SALES[code][3]  # the ledger's revenue for the day
    assert context["total"]["total"] == D("4795.00")
    # each business's own takings widget
    for code in TAKINGS:
        widget = owner.get(reverse("admin:widget", args=[f"{code}.takings"]))
        assert f'data-takings="{TAKINGS[code][4]}"' in widget.content.decode()

    # daily sales: one row per business, and the day's total
    table = reports.daily_sales(businesses, today, today, consolidated=True)
    rows = {r["business"]: r for r in table.rows if r["_class"] == ""}
    for business in businesses:
        row = rows[business.name]
        cash, mpesa_, bank, credit, total, _ = TAKINGS[business.code]
        count, gross, vat, net = SALES[business.code]
        assert (row["taken"], row["cash"], row["mpesa"], row["bank"], row["credit"]) == (
            total, cash, mpesa_, bank, credit), business.code
        assert (row["count"], row["gross"], row["vat"], row["net"], row["voided"]) == (count, gross, vat, net, 0)
    total_row = table.rows[-1]
    assert (total_row["taken"], total_row["count"], total_row["net"]) == (D("4795.00"), 6, D("4469.82"))

    # sales by item: laundry services and LPG are there beside the quick-sale items
    table = reports.sales_by_item(businesses, today, today, consolidated=True)
    got = {(r["business"], r["item"]): (r["quantity"], r["amount"]) for r in table.rows if r["_class"] == ""}
    assert got == BY_ITEM
    assert table.rows[-1]["amount"] == D("5185.00")

    # sales by payment method: sales as rung up beside the money taken per route
    table = reports.sales_by_payment_method(businesses, today, today, consolidated=True)
    got = {(r["business"], r["method"]): (r["sales"], r["sales_total"], r["taken"])
           for r in table.rows if r["_class"] == ""}
    assert got == BY_METHOD
    assert table.rows[-1]["taken"] == D("4795.00")

    # the cash-up: expected cash and M-Pesa from the ledger
    table = cashups.cash_ups(businesses, today, today)
    for row in table.rows:
        business = next(b for b in businesses if b.name == row["business"])
        assert (row["expected"], row["mpesa_expected"]) == CASH_UP[business.code], business.code

    # the P&L's revenue for the month so far is the day's net of VAT
    table = reports.profit_and_loss_by_month(businesses, today, today, consolidated=True)
    revenue = {r["business"]: r["total"] for r in table.rows if r["line"] == "Total revenue"}
    assert revenue == {"Water refill and packaging": D("974.14"), "Laundry": D("775.86"),
                       "Shop and LPG gas": D("2719.82"), "All businesses": D("4469.82")}

    # and the pages themselves render those rows for the owner
    page = owner.get(reverse("admin:reports:daily_sales"), {"start": today, "end": today}).content.decode()
    assert "4,795.00" in page


# --- the property ----------------------------------------------------------------------------------

@contextmanager
def on_day(offset):
    """Everything in the block happens ``offset`` days from today (payments, entries, sales)."""
    moment = timezone.now() + timedelta(days=offset)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield moment


ACTIONS = st.lists(st.tuples(
    st.integers(min_value=-2, max_value=0),  # the day
    st.sampled_from(["cash", "mpesa", "bank", "over", "credit", "later", "void"]),
    st.integers(min_value=1, max_value=5),  # how many sachets (KES 10 each)
), min_size=1, max_size=14)


@pytest.mark.django_db(transaction=True)
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(actions=ACTIONS)
def test_takings_are_the_till_debits_of_customer_receipts_on_any_day(actions):
    """For any day: cash + M-Pesa + bank takings = the debits to Cash, M-Pesa and Bank from customer
    receipts that day, less what was paid over (kept as credit); with the credit spent that day,
    that is every route's takings."""
    from fixtures.demo import seed
    from tests.conftest import PASSWORD

    seed(PASSWORD)
    water_ = biz("water")
    customer = customers.find_or_create("0712 000 999", business=water_)
    customer.credit_limit = D("100000")
    customer.save()
    sachet = item("W-SACHET")
    open_ = []
    for offset, action, quantity in sorted(actions, key=lambda a: a[0]):
        with on_day(offset):
            with transaction.atomic():
                method = {"cash": "cash", "mpesa": "mpesa", "bank": "credit", "over": "credit",
                          "credit": "credit", "later": "credit", "void": "cash"}[action]
                sale, _ = sales.create_sale(business=water_, client_uuid=uuid.uuid4(), method=method,
                                            lines=[sales.SaleLineInput(sachet.pk, D(quantity))],
                                            customer_phone="0712000999")
                due = payments.amount_due(sale)
                if action == "mpesa":
                    payments.record_payment(sale, method="mpesa", amount=due, mpesa_receipt=uuid.uuid4().hex[:10])
                elif action == "bank":
                    payments.record_payment(sale, method="bank", amount=due)
                elif action == "over":
                    payments.record_payment(sale, method="cash", amount=due + 5)
                elif action == "credit" and accounts.credit_available(customer, water_) > 0:
                    accounts.apply_credit(sale)
                elif action == "later":
                    open_.append(sale)
                elif action == "void":
                    sales.void_sale(sale, reason="property", refund="credit")
                if open_ and action == "bank":  # a part of an older unpaid sale
                    payments.record_payment(open_[0], method="bank", amount=payments.amount_due(open_[0]) or 1)
    till = [chart.CASH, chart.MPESA, chart.BANK]
    for offset in range(-2, 1):
        day = timezone.localdate() + timedelta(days=offset)
        figures = takings.for_day(water_, day)
        receipts = JournalLine.objects.filter(entry__payment__isnull=False, entry__date=day,
                                              account__code__in=till, debit__gt=0)
        debits = sum(receipts.values_list("debit", flat=True), D("0"))
        assert figures["cash"] + figures["mpesa"] + figures["bank"] + figures["left_as_credit"] == debits
        applied = sum(Payment.objects.filter(business=water_, journal_entry__date=day)
                      .values_list("applied", flat=True), D("0"))
        assert figures["total"] == applied
        assert ledger.totals("water")["debit"] == ledger.totals("water")["credit"]


# --- M-Pesa money that waited in the inbox, kept as credit, or was undone --------------------------
# yesterday: QIN300AAAA (300.00) and QCR150BBBB (150.00) reach the M-Pesa till, unknown: the inbox
# today:     QIN300AAAA pays a 240.00 sale (60.00 kept as credit); QCR150BBBB becomes the phone's
#            credit; a 120.00 sale paid by a typed code QTY120CCCC that never arrived (undone);
#            a 240.00 cash sale
INBOX_TAKINGS = {  # day offset: cash, M-Pesa, total, left as credit; = that day's till debits
    -1: (D("0.00"), D("240.00"), D("240.00"), D("210.00")),  # 450.00 reached the till
    0: (D("240.00"), D("0.00"), D("240.00"), D("0.00")),  # 240.00 cash; the typed 120.00 reversed
}


def customer_money_debits(business, day):
    """Till debits of customer money on ``day`` per the ledger: payments and inbox receipts that
    stand allocated, less entries reversed since."""
    from modules.core.ledger.models import JournalEntry
    from modules.core.payments.models import Allocation, MpesaReceipt

    reversed_ = JournalEntry.objects.filter(reversal_of__isnull=False).values("reversal_of")
    allocated = Allocation.objects.filter(kind__in=["document", "credit"], reversed_by__isnull=True).values("receipt")
    arrivals = MpesaReceipt.objects.filter(pk__in=allocated, journal_entry__payment__isnull=True).values("journal_entry")
    lines = (JournalLine.objects.filter(entry__business=business, entry__date=day, debit__gt=0,
                                        account__code__in=[chart.CASH, chart.MPESA, chart.BANK])
             .exclude(entry__in=reversed_))
    money = lines.filter(entry__payment__isnull=False) | lines.filter(entry__in=arrivals)
    return sum(money.values_list("debit", flat=True), D("0"))


def test_inbox_money_counts_once_on_the_day_it_reached_the_till_and_undone_money_not_at_all(stocked):
    from modules.core.payments import receipts

    water_ = biz("water")
    with on_day(-1):
        waited = receipts.book_unallocated(water_, amount="300.00", source="c2b", receipt="QIN300AAAA", memo="test")
        kept = receipts.book_unallocated(water_, amount="150.00", source="c2b", receipt="QCR150BBBB", memo="test")
    owed, _ = sales.create_sale(business=water_, client_uuid=uuid.uuid4(), lines=[line("W-REFILL-20", 2)],
                                method="mpesa", customer_phone="0712 000 777")
    payments.allocate_to_document(waited, owed)
    payments.allocate_to_credit(kept, "0712 000 777")
    typed, _ = sales.create_sale(business=water_, client_uuid=uuid.uuid4(), lines=[line("W-REFILL-20", 1)],
                                 method="mpesa", customer_phone="0712 000 777")
    payments.record_typed_code(typed, "QTY120CCCC")
    payments.mark_never_arrived(receipts.by_receipt("QTY120CCCC"), "not on the statement")
    sales.create_sale(business=water_, client_uuid=uuid.uuid4(), lines=[line("W-REFILL-20", 2)], method="cash")

    for offset, (cash, mpesa_, total, left) in INBOX_TAKINGS.items():
        day = timezone.localdate() + timedelta(days=offset)
        figures = takings.for_day(water_, day)
        assert (figures["cash"], figures["mpesa"], figures["total"], figures["left_as_credit"]) == (
            cash, mpesa_, total, left), offset
        assert figures["cash"] + figures["mpesa"] + figures["bank"] + figures["left_as_credit"] == \
            customer_money_debits(water_, day), offset
    # the reports read the same figures: a two-day report totals them once
    both = takings.by_day([water_], timezone.localdate() - timedelta(days=1), timezone.localdate())
    assert sum((f["mpesa"] for f in both.values()), D("0")) == D("240.00")
