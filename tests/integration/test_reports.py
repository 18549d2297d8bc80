"""Reports on real PostgreSQL: exact figures from data made through the real services (sales,
M-Pesa callbacks, supplier bills, the ledger), scoping by URL, formula-safe CSV, and the cash-up
whose difference reaches the ledger only after the owner approves it."""

import csv
import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from modules.core.approvals import services as approvals
from modules.core.businesses.models import Business
from modules.core.exports.models import ExportJob
from modules.core.inventory.models import Item
from modules.core.inventory.services import receive_opening_stock
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account, JournalEntry
from modules.core.payments import services as payments
from modules.core.payments.models import Payment, StkRequest
from modules.core.purchasing import services as purchasing
from modules.core.purchasing.models import Supplier
from modules.core.reports import cashup as cashups
from modules.core.reports import services as reports
from modules.core.reports.models import CashUp
from modules.core.reports.module import CASH_OVER_SHORT
from modules.core.sales import services as sales
from modules.core.sales.models import Sale
from modules.shop import services as shop_services
from modules.shop.models import CylinderType

D = Decimal


def biz(code):
    return Business.objects.get(code=code)


def sell(business, sku, quantity=1, *, method="cash", discount="0", user=None):
    item = Item.objects.get(business__code=business, sku=sku)
    sale, _ = sales.create_sale(business=biz(business), client_uuid=uuid.uuid4(), method=method, discount=discount,
                                lines=[sales.SaleLineInput(item.pk, D(quantity))], user=user,
                                customer_phone="0712345670" if method == "mpesa" else "")
    return sale


def refill_6kg_by_mpesa():
    """A 6 kg K-Gas refill exchange through the LPG page's service; the cylinders cost nothing here,
    so these figures stay about sales, VAT and money (stock is in test_shop)."""
    kgas = CylinderType.objects.get(business__code="shop", size_kg=6, brand="K-Gas")
    Item.objects.filter(pk__in=[kgas.full_item_id, kgas.empty_item_id]).update(cost=0)
    with transaction.atomic():
        receive_opening_stock(Item.objects.get(pk=kgas.full_item_id), 1)
    sale, _ = shop_services.record_lpg(business=biz("shop"), client_uuid=uuid.uuid4(), kind="refill",
                                       cylinder_type=kgas, method="mpesa", customer_phone="0712345670")
    return sale


def balance(business, code):
    return ledger.balance(Account.objects.get(business__code=business, code=code))


def stk_paid(document, amount, receipt):
    """An STK push Daraja accepted, then its success callback, through the real handler."""
    stk = StkRequest.objects.create(business=document.business, document=document, phone="254712345670",
                                    amount=amount, merchant_request_id=f"m-{uuid.uuid4().hex[:8]}",
                                    checkout_request_id=f"ws_CO_{uuid.uuid4().hex[:12]}")
    body = {"Body": {"stkCallback": {
        "MerchantRequestID": stk.merchant_request_id, "CheckoutRequestID": stk.checkout_request_id,
        "ResultCode": 0, "ResultDesc": "The service request is processed successfully.",
        "CallbackMetadata": {"Item": [{"Name": "Amount", "Value": amount}, {"Name": "MpesaReceiptNumber", "Value": receipt},
                                      {"Name": "TransactionDate", "Value": 20261120101500},
                                      {"Name": "PhoneNumber", "Value": 254712345670}]}}}}
    assert payments.handle_callback(body) == "settled"
    stk.refresh_from_db()
    return stk


@pytest.fixture
def day(demo):
    """One day of trade in the three businesses (the demo fixture starts with an empty ledger)."""
    water_staff = User.objects.get(username="water_staff")
    sell("water", "W-REFILL-20", 3, user=water_staff)                  # 360.00, VAT 49.66
    sell("water", "W-REFILL-20", 2, discount="40", user=water_staff)   # 240 - 40 = 200.00, VAT 27.59
    sell("laundry", "L-SUIT", 1)                                       # 600.00, VAT 82.76
    lpg = refill_6kg_by_mpesa()                                        # 1,250.00, VAT 172.41
    stk_paid(lpg.sale, 1250, "TKR1A2B3C4")
    supplier = Supplier.objects.create(business=biz("shop"), name="Transporter")
    purchasing.record_bill(supplier, "1160", vat="160", reference="T-77")  # Dr 6000 1000, Dr 1300 160 / Cr 2000
    return timezone.localdate()


def rows_of(table, **match):
    return [r for r in table.rows if all(r.get(k) == v for k, v in match.items())]


def test_daily_sales_per_business_and_consolidated(day):
    businesses = [biz("laundry"), biz("shop"), biz("water")]
    table = reports.daily_sales(businesses, day, day, consolidated=True)
    (water,) = rows_of(table, business="Water refill and packaging") or rows_of(table, business=biz("water").name)
    assert (water["count"], water["gross"], water["discount"], water["total"], water["vat"], water["net"]) == (
        2, D("600.00"), D("40.00"), D("560.00"), D("77.25"), D("482.75"))
    (shop,) = rows_of(table, business=biz("shop").name)
    assert (shop["count"], shop["total"], shop["vat"], shop["net"]) == (1, D("1250.00"), D("172.41"), D("1077.59"))
    (everyone,) = rows_of(table, business=reports.ALL)
    assert (everyone["count"], everyone["gross"], everyone["discount"], everyone["total"], everyone["vat"],
            everyone["net"]) == (4, D("2450.00"), D("40.00"), D("2410.00"), D("332.42"), D("2077.58"))
    assert table.rows[-1]["_class"] == "total" and table.rows[-1]["net"] == D("2077.58")
    # a voided sale leaves the report
    voided = sell("water", "W-REFILL-20", 1)
    sales.void_sale(voided, reason="Wrong item")
    (water,) = rows_of(reports.daily_sales([biz("water")], day, day), business=biz("water").name)
    assert water["count"] == 2 and water["total"] == D("560.00")


def test_sales_by_item_and_by_payment_method(day):
    items = reports.sales_by_item([biz("water"), biz("shop")], day, day, consolidated=True)
    (refill,) = rows_of(items, sku="W-REFILL-20")
    assert refill["quantity"] == 5 and refill["amount"] == D("600.00")
    assert items.rows[-1]["amount"] == D("1850.00")
    methods = reports.sales_by_payment_method([biz("laundry"), biz("shop"), biz("water")], day, day, consolidated=True)
    (water_cash,) = rows_of(methods, business=biz("water").name, method="Cash")
    assert (water_cash["sales"], water_cash["sales_total"], water_cash["taken"]) == (2, D("560.00"), D("560.00"))
    (shop_mpesa,) = rows_of(methods, business=biz("shop").name, method="M-Pesa")
    assert (shop_mpesa["sales"], shop_mpesa["sales_total"], shop_mpesa["taken"]) == (1, D("1250.00"), D("1250.00"))
    (all_cash,) = rows_of(methods, business=reports.ALL, method="Cash")
    assert all_cash["taken"] == D("1160.00")
    assert methods.rows[-1]["taken"] == D("2410.00")


def test_profit_and_loss_by_month_and_vat_summary(day):
    start = day.replace(day=1)
    table = reports.profit_and_loss_by_month([biz("shop"), biz("water")], start, day, consolidated=True)
    month = f"m{day:%Y%m}"
    assert [c.key for c in table.columns] == ["business", "part", "line", month, "total"]
    assert [c.key for c in table.page_columns] == ["business", "line", month, "total"]
    shop_profit = rows_of(table, business=biz("shop").name, line="Profit")[0]
    assert shop_profit[month] == shop_profit["total"] == D("77.59")  # 1,077.59 sales - 1,000 transport
    (opex,) = rows_of(table, business=biz("shop").name, line="6000 Operating expenses")
    assert opex[month] == D("1000.00")
    assert rows_of(table, business=reports.ALL, line="Profit")[0]["total"] == D("560.34")  # 77.59 + 482.75

    vat = reports.vat_summary([biz("laundry"), biz("shop"), biz("water")], start, day, consolidated=True)
    (shop,) = rows_of(vat, business=biz("shop").name, vat_class="All")
    assert (shop["output"], shop["output_debits"], shop["input"], shop["bills_vat"], shop["net"]) == (
        D("172.41"), D("0.00"), D("160.00"), D("160.00"), D("12.41"))
    (shop_b,) = rows_of(vat, business=biz("shop").name, vat_class="B: standard rate")  # the LPG refill's class
    assert (shop_b["taxable"], shop_b["output"]) == (D("1077.59"), D("172.41"))
    assert vat.rows[-1]["output"] == D("332.42") and vat.rows[-1]["net"] == D("172.42")
    tb = reports.trial_balance([biz("laundry"), biz("shop"), biz("water")], start, day, consolidated=True)
    assert tb.rows[-1]["debit"] == tb.rows[-1]["credit"] == D("3570.00")  # 1,160 + 2,410 paid in; 1,160 payable + 2,410 sales+VAT
    (vat_row,) = rows_of(tb, code=chart.VAT_PAYABLE)
    assert vat_row["credit"] == D("332.42")
    # the report agrees with the ledger's own balances
    assert shop["output"] - shop["output_debits"] == balance("shop", chart.VAT_PAYABLE)
    assert shop["input"] == balance("shop", chart.INPUT_VAT)


def test_mpesa_reconciliation_highlights_what_does_not_match(day):
    shop = biz("shop")
    # paid on M-Pesa (the callback was recorded) but no Payment row
    invoice = payments.issue_invoice(shop, description="Gas delivery", amount="500")
    StkRequest.objects.create(business=shop, document=invoice, phone="254712345671", amount=500,
                              status=StkRequest.Status.SUCCESS, mpesa_receipt="TKLOST0001",
                              checkout_request_id="ws_CO_lost")
    # a payment of another amount than its STK request
    other = payments.issue_invoice(shop, description="Cylinder deposit", amount="450")
    odd = StkRequest.objects.create(business=shop, document=other, phone="254712345672", amount=500,
                                    status=StkRequest.Status.SUCCESS, mpesa_receipt="TKODD00001",
                                    checkout_request_id="ws_CO_odd")
    payments.record_payment(other, method=Payment.Method.MPESA, amount="450", mpesa_receipt="TKODD00001",
                            stk_request=odd)
    # money put on the till by hand, with no payment behind it
    with transaction.atomic():
        ledger.post(shop, day, "Float from the owner", [ledger.debit(chart.MPESA, "300"),
                                                        ledger.credit(chart.OWNER_EQUITY, "300")])
    table = reports.mpesa_reconciliation([shop], day, day)
    issues = {r["reference"]: r["issue"] for r in table.rows if r["_class"] == "issue"}
    assert issues.pop("TKLOST0001") == "Paid on M-Pesa but no payment recorded"
    assert issues.pop("TKODD00001") == "Payment amount differs from the STK request"
    (manual,) = issues.values()
    assert manual == "Money on the M-Pesa till with no M-Pesa payment behind it"
    (good,) = rows_of(table, reference="TKR1A2B3C4")
    assert good["_class"] == "" and good["stk"] == good["payment"] == good["ledger"] == D("1250")
    assert table.notes[-1] == "3 item(s) to check."


def test_cash_up_variance_is_posted_only_after_approval(day):
    water, owner, staff = biz("water"), User.objects.get(username="owner"), User.objects.get(username="water_staff")
    assert cashups.cash_position(water, day) == {"opening": D("0.00"), "cash_in": D("560.00"), "cash_out": D("0.00"),
                                                 "expected": D("560.00")}
    entries = JournalEntry.objects.count()
    cashup = cashups.submit_cashup(water, day, "550", staff, note="Short 10, gave wrong change")
    assert cashup.status == CashUp.Status.PENDING and cashup.variance == D("-10.00")
    assert JournalEntry.objects.count() == entries and balance("water", chart.CASH) == D("560.00")
    assert balance("water", CASH_OVER_SHORT) == 0
    request = approvals.pending_for(cashup)
    assert request.amount == D("10.00") and request in approvals.pending_for_user(owner)
    with pytest.raises(Exception):  # staff may not approve (their own request, no permission)
        approvals.approve(request, staff)
    approvals.approve(request, owner, comment="OK")
    cashup.refresh_from_db()
    assert cashup.status == CashUp.Status.POSTED and cashup.journal_entry.date == day
    assert balance("water", chart.CASH) == D("550.00") and balance("water", CASH_OVER_SHORT) == D("10.00")
    totals = ledger.totals()
    assert totals["debit"] == totals["credit"]
    with pytest.raises(Exception, match="already has a cash-up"):
        cashups.submit_cashup(water, day, "550", staff)
    (row,) = rows_of(cashups.cash_ups([water], day, day), business=water.name)
    assert (row["expected"], row["counted"], row["status"]) == (D("550.00"), D("550.00"), "Approved, difference posted")


def test_the_approver_reads_the_cash_up_on_the_decide_page(day, login):
    cashup = cashups.submit_cashup(biz("water"), day, "550", User.objects.get(username="water_staff"),
                                   note="Gave wrong change")
    page = login("owner").get(reverse("admin:approvals:decide", args=[approvals.pending_for(cashup).pk]))
    text = page.content.decode()
    assert page.status_code == 200
    for shown in ("Counted", "KES 550.00", "Expected (ledger cash)", "KES 560.00", "KES 10.00 short",
                  "Gave wrong change", "water_staff"):
        assert shown in text


def test_a_rejected_cash_up_posts_nothing_and_may_be_counted_again(day):
    laundry, owner = biz("laundry"), User.objects.get(username="owner")
    staff = User.objects.get(username="laundry_staff")
    cashup = cashups.submit_cashup(laundry, day, "610", staff)
    assert cashup.variance == D("10.00") and cashup.status == CashUp.Status.PENDING
    entries = JournalEntry.objects.count()
    approvals.reject(approvals.pending_for(cashup), owner, comment="Count again")
    cashup.refresh_from_db()
    assert cashup.status == CashUp.Status.REJECTED and cashup.journal_entry is None
    assert JournalEntry.objects.count() == entries and balance("laundry", chart.CASH) == D("600.00")
    again = cashups.submit_cashup(laundry, day, "600", staff)
    assert again.status == CashUp.Status.BALANCED and JournalEntry.objects.count() == entries


def test_the_owner_counting_posts_at_once_and_a_balanced_count_posts_nothing(day):
    owner = User.objects.get(username="owner")
    cashup = cashups.submit_cashup(biz("water"), day, "565", owner)  # 5 over: the owner approves as they ask
    assert cashup.status == CashUp.Status.POSTED and balance("water", chart.CASH) == D("565.00")
    assert balance("water", CASH_OVER_SHORT) == D("-5.00")
    shop = cashups.submit_cashup(biz("shop"), day, "0", User.objects.get(username="shop_staff"))
    assert shop.status == CashUp.Status.BALANCED and shop.journal_entry is None


# --- pages, scoping, CSV ------------------------------------------------------------------------

def url(name, **query):
    from urllib.parse import urlencode

    return reverse(f"admin:reports:{name}") + ("?" + urlencode(query) if query else "")


def test_staff_see_only_their_business_by_url(day, login):
    client = login("water_staff")
    page = client.get(url("daily_sales"))
    assert page.status_code == 200
    body = page.content.decode()
    assert biz("water").name in body and biz("shop").name not in body and "All businesses" not in body
    assert client.get(url("daily_sales", business="shop")).status_code == 403
    assert client.get(url("daily_sales", business="shop", format="csv")).status_code == 403
    assert client.get(url("sales_by_item", business="laundry")).status_code == 403
    assert client.get(url("cash_up", business="shop")).status_code == 403
    assert client.get(url("vat")).status_code == 403  # no ledger permission: not their report
    assert client.get(url("profit_and_loss")).status_code == 403
    # an "all businesses" request quietly stays on their own business
    csv_rows = list(csv.reader(io.StringIO(client.get(url("daily_sales", business="", format="csv")).content
                                           .decode("utf-8-sig"))))
    assert {row[1] for row in csv_rows[1:]} == {biz("water").name}
    response = client.post(reverse("admin:reports:cash_up_count"), {"business": "shop", "day": day.isoformat(),
                                                                    "counted": "0"})
    assert response.status_code == 403 and not CashUp.objects.exists()
    index = client.get(url("index")).content.decode()
    assert 'data-report-link="daily_sales"' in index and 'data-report-link="vat"' not in index


def test_owner_and_accountant_see_all_and_every_report_renders(day, login):
    for username in ("owner", "accountant"):
        client = login(username)
        for key in ("daily_sales", "sales_by_item", "payment_methods", "profit_and_loss", "trial_balance", "vat",
                    "stock_valuation",
                    "mpesa", "cash_up"):
            response = client.get(url(key))
            assert response.status_code == 200, key
            assert f'data-report="{key}"' in response.content.decode()
            download = client.get(url(key, format="csv"))
            assert download.status_code == 200 and download["Content-Type"].startswith("text/csv"), key
    page = login("owner").get(url("daily_sales")).content.decode()
    assert "All businesses (consolidated)" in page and 'data-chart="revenue-trend"' in page and "2,410.00" in page
    # the accountant reads but cannot count cash
    response = login("accountant").post(reverse("admin:reports:cash_up_count"),
                                        {"business": "water", "day": day.isoformat(), "counted": "1"})
    assert response.status_code == 403


def test_report_csv_is_formula_safe_with_numeric_money(day, login):
    water = biz("water")
    evil = Item.objects.create(business=water, name='=HYPERLINK("http://x.example","pay")', sku="+W-EVIL",
                               selling_price=D("100"), tracks_stock=False)
    sales.create_sale(business=water, client_uuid=uuid.uuid4(), lines=[sales.SaleLineInput(evil.pk, D("1"))])
    response = login("accountant").get(url("sales_by_item", business="water", format="csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Business", "SKU", "Item", "Quantity", "Amount (KES)"]
    (line,) = [r for r in rows if "HYPERLINK" in r[2]]
    assert line[1] == "'+W-EVIL" and line[2] == '\'=HYPERLINK("http://x.example","pay")'
    assert line[3] == "1" and line[4] == "100.00"  # numbers stay numbers
    audit = ExportJob.objects.get(kind="reports.sales_by_item")
    assert audit.requested_by.username == "accountant" and audit.filters["business"] == "water"


def test_cash_up_page_flow(day, login):
    client = login("water_staff")
    response = client.post(reverse("admin:reports:cash_up_count"),
                           {"business": "water", "day": day.isoformat(), "counted": "540", "note": "=SUM(A1)"})
    assert response.status_code == 302
    cashup = CashUp.objects.get()
    assert cashup.status == CashUp.Status.PENDING and cashup.variance == D("-20.00")
    page = login("owner").get(url("cash_up", business="water")).content.decode()
    decide = reverse("admin:approvals:decide", args=[approvals.pending_for(cashup).pk])
    assert decide in page
    assert balance("water", chart.CASH) == D("560.00")
    owner = login("owner")
    assert owner.get(decide).status_code == 200
    assert owner.post(decide, {"decision": "approve", "comment": "ok"}).status_code == 302
    cashup.refresh_from_db()
    assert cashup.status == CashUp.Status.POSTED and balance("water", chart.CASH) == D("540.00")
    assert balance("water", CASH_OVER_SHORT) == D("20.00")


def test_revenue_trend_widget(day, login):
    response = login("owner").get(reverse("admin:widget", args=["reports.revenue_trend"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "2,077.58" in body  # revenue net of VAT, all three businesses
    # the chart is an SVG in the HTML: one line per business, named in its legend
    chart = body[body.index('<figure data-chart="revenue-trend"'):body.index("</figure>")]
    assert chart.count('class="line reactive nofill"') == 3 and "<script" not in chart
    assert all(f">{escape(biz(code).name)}</text>" in chart for code in ("water", "laundry", "shop"))
    trend = reports.revenue_trend([biz("water")], day - timedelta(days=29), day)
    assert len(trend["labels"]) == 30 and trend["series"][0]["data"][-1] == D("482.75")
    assert login("water_staff").get(reverse("admin:widget", args=["reports.revenue_trend"])).status_code == 403


def test_cash_ups_export_through_the_safe_resource(day):
    from modules.core.reports.resources import CashUpResource

    cashups.submit_cashup(biz("water"), day, "560", User.objects.get(username="water_staff"), note="@count ok")
    dataset = CashUpResource().export()
    assert dataset.headers[:5] == ["id", "business", "day", "expected", "counted"]
    row = dict(zip(dataset.headers, dataset[0]))
    assert row["business"] == "water" and row["status"] == "balanced" and row["note"] == "'@count ok"
    assert D(str(row["counted"])) == D("560.00")


@pytest.mark.django_db
def test_no_page_loads_a_chart_script(login):
    owner = login("owner")
    assert "chart.js" not in owner.get(reverse("admin:sales_sale_changelist")).content.decode()
    report = owner.get(reverse("admin:reports:daily_sales")).content.decode()
    assert "chart.js" not in report and '<svg xmlns="http://www.w3.org/2000/svg" id="chart-revenue-trend"' in report


def test_the_vat_summary_splits_output_vat_by_class_and_an_unregistered_business_posts_none(demo, login):
    kgas = CylinderType.objects.get(business__code="shop", size_kg=6, brand="K-Gas")
    Item.objects.filter(pk=kgas.full_item_id).update(tax_band="C")  # LPG is zero-rated (Finance Act 2023)
    refill_6kg_by_mpesa()                                             # 1,250.00 zero-rated: no VAT
    laundry = biz("laundry")
    Item.objects.filter(sku="L-IRON").update(tax_band="A")            # say ironing were exempt
    sell("laundry", "L-SUIT", 1)                                      # 600.00, VAT 82.76
    sell("laundry", "L-IRON", 2)                                      # 100.00 exempt
    today = timezone.localdate()
    vat = reports.vat_summary([biz("shop"), laundry], today, today, consolidated=True)
    got = {(r["business"], r["vat_class"]): (r["taxable"], r["output"]) for r in vat.rows}
    assert got[("Shop and LPG gas", "C: zero-rated")] == (D("1250.00"), D("0.00"))
    assert got[("Laundry", "B: standard rate")] == (D("517.24"), D("82.76"))
    assert got[("Laundry", "A: exempt")] == (D("100.00"), D("0.00"))
    assert got[("Laundry", "All")] == (D("617.24"), D("82.76")) == (
        balance("laundry", chart.SALES), balance("laundry", chart.VAT_PAYABLE))
    ironing = Sale.objects.filter(business=laundry).first()  # the latest: the exempt ironing
    receipt = login("owner").get(reverse("admin:sales:receipt", args=[ironing.pk])).content.decode()
    assert 'data-vat-band="A"' in receipt and "A: exempt" in receipt
    # a business that is not VAT-registered charges none: every line is band D, nothing on 2300
    Business.objects.filter(code="laundry").update(vat_registered=False)
    sale = sell("laundry", "L-SUIT", 1)
    assert sale.vat == 0 and set(sale.lines.values_list("band", flat=True)) == {"D"}
    assert balance("laundry", chart.VAT_PAYABLE) == D("82.76") and balance("laundry", chart.SALES) == D("1217.24")
