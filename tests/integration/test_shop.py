"""Shop with LPG: refill exchanges, brand swaps, outright sales, deposits and their refunds,
supplier restocks with empties handed back; stock, ledger and payments in one transaction each;
scoping; widgets; exports; demo data."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from modules.core.businesses.models import Business
from modules.core.inventory.models import StockLevel, StockMovement
from modules.core.inventory.services import OutOfStock, default_location, receive_opening_stock, valuation
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account
from modules.core.payments import services as payments
from modules.core.payments.models import Payment
from modules.core.purchasing import services as purchasing
from modules.core.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier
from modules.shop import services
from modules.shop.models import CylinderType, LpgSale
from modules.shop.resources import CylinderTypeResource, LpgSaleResource, SwapFeeResource

pytestmark = pytest.mark.django_db


def shop():
    return Business.objects.get(code="shop")


def cylinder(size, brand):
    return CylinderType.objects.select_related("full_item", "empty_item").get(business__code="shop", size_kg=size,
                                                                              brand=brand)


def on_hand(item):
    return StockLevel.objects.filter(item=item).values_list("quantity", flat=True).first() or Decimal("0")


def levels(t):
    return on_hand(t.full_item), on_hand(t.empty_item)


def balance(code):
    return ledger.balance(Account.objects.get(business__code="shop", code=code))


def stock(t, full, empty):
    with transaction.atomic():
        if full:
            receive_opening_stock(t.full_item, full)
        if empty:
            receive_opening_stock(t.empty_item, empty)


def balanced():
    totals = ledger.totals("shop")
    return totals["debit"] == totals["credit"]


def lpg(kind, t, *, empty=None, quantity=1, method="cash", phone="", uuid_=None):
    return services.record_lpg(business=shop(), client_uuid=uuid_ or uuid.uuid4(), kind=kind, cylinder_type=t,
                               empty_type=empty, quantity=quantity, method=method, customer_phone=phone)


def test_a_refill_exchange_swaps_a_full_for_the_customers_empty_and_takes_the_gas_price(demo):
    kgas = cylinder(13, "K-Gas")  # refill 2,900; full costs 5,700 (shell 3,400 + gas 2,300)
    stock(kgas, 10, 5)
    inventory_before = balance(chart.INVENTORY)
    sale, created = lpg("refill", kgas)
    assert created and sale.receipt_number == "G-000001"
    assert levels(kgas) == (9, 6)
    assert (sale.gas, sale.vat, sale.total, sale.cost) == (2900, Decimal("400.00"), 2900, 2300)
    assert sale.paid_at is not None and payments.amount_due(sale) == 0
    assert Payment.objects.get().amount == 2900
    assert (balance(chart.CASH), balance(chart.SALES), balance(chart.VAT_PAYABLE)) == (2900, 2500, 400)
    assert balance(chart.COST_OF_SALES) == 2300 and balance(chart.RECEIVABLES) == 0
    assert inventory_before - balance(chart.INVENTORY) == 2300
    assert balance(chart.INVENTORY) == valuation("shop")["total"]
    assert balanced()
    kinds = sorted(StockMovement.objects.filter(source_id=str(sale.pk)).values_list("kind", "quantity"))
    assert kinds == [("return", 1), ("sale", -1)]


def test_the_same_uuid_records_one_exchange_and_other_contents_are_refused(demo):
    kgas = cylinder(6, "K-Gas")
    stock(kgas, 5, 0)
    key = uuid.uuid4()
    first, created = lpg("refill", kgas, uuid_=key)
    again, created_again = lpg("refill", kgas, uuid_=key)
    assert (created, created_again, first.pk == again.pk) == (True, False, True)
    with pytest.raises(services.LpgConflict):
        lpg("refill", kgas, quantity=2, uuid_=key)
    assert levels(kgas) == (4, 1) and LpgSale.objects.count() == 1 and Payment.objects.count() == 1


def test_a_brand_swap_takes_the_other_brands_empty_and_the_size_fee(demo):
    total, progas = cylinder(13, "Total"), cylinder(13, "Pro Gas")
    stock(total, 3, 0)
    sale, _ = lpg("swap", total, empty=progas)
    assert levels(total) == (2, 0) and levels(progas) == (0, 1)
    # 3,000 gas + 200 swap fee; cost = Total full 5,850 - Pro Gas shell 3,200
    assert (sale.gas, sale.swap_fee, sale.total, sale.cost) == (3000, 200, 3200, 2650)
    assert balance(chart.CASH) == 3200 and balanced()
    assert balance(chart.INVENTORY) == valuation("shop")["total"]
    with pytest.raises(ValidationError, match="refill exchange"):
        lpg("swap", total, empty=total)
    with pytest.raises(ValidationError, match="same size"):
        lpg("swap", total, empty=cylinder(6, "Pro Gas"))
    with pytest.raises(ValidationError, match="Brand swap"):
        lpg("refill", total, empty=progas)


def test_an_outright_sale_takes_the_cylinder_out_of_the_shop(demo):
    progas = cylinder(6, "Pro Gas")  # cylinder + gas 3,600; full costs 2,750
    stock(progas, 2, 1)
    sale, _ = lpg("outright", progas, quantity=2)
    assert levels(progas) == (0, 1)
    assert (sale.gas, sale.total, sale.cost) == (7200, 7200, 5500)
    assert balance(chart.COST_OF_SALES) == 5500 and balance(chart.CASH) == 7200 and balanced()


def test_a_deposit_is_a_liability_and_its_return_refunds_it_in_cash(demo):
    kgas = cylinder(13, "K-Gas")  # refill 2,900, deposit 3,500, shell 3,400, full 5,700
    stock(kgas, 4, 0)
    with pytest.raises(ValidationError, match="phone"):
        lpg("deposit", kgas)
    sale, _ = lpg("deposit", kgas, phone="0711 222 333")
    assert (sale.gas, sale.deposit, sale.total, sale.shell, sale.cost) == (2900, 3500, 6400, 3400, 2300)
    assert levels(kgas) == (3, 0)
    assert balance(services.CYLINDER_DEPOSITS) == 3500 and balance(services.CYLINDERS_OUT) == 3400
    assert balance(chart.SALES) == 2500 and balance(chart.CASH) == 6400 and balanced()
    [row] = services.deposit_balances(shop(), "0711222333")
    assert (row["phone"], row["type"], row["out"], row["deposits"]) == ("254711222333", kgas, 1, 3500)

    with pytest.raises(ValidationError, match="1 13 kg K-Gas cylinder on deposit, not 2"):
        lpg("return", kgas, phone="0711222333", quantity=2)
    back, _ = lpg("return", kgas, phone="+254 711 222 333")
    assert (back.total, back.refund, back.paid_at is not None) == (0, 3500, True)
    assert levels(kgas) == (3, 1)
    assert balance(services.CYLINDER_DEPOSITS) == 0 and balance(services.CYLINDERS_OUT) == 0
    assert balance(chart.CASH) == 2900 and balance(chart.STOCK_LOSSES) == 0 and balanced()
    assert services.deposit_balances(shop(), "0711222333") == []
    assert balance(chart.INVENTORY) == valuation("shop")["total"]
    with pytest.raises(ValidationError, match="0 13 kg K-Gas cylinders on deposit"):
        lpg("return", kgas, phone="0711222333")


def test_a_refund_larger_than_the_cash_drawer_is_refused_and_nothing_moves(demo):
    kgas = cylinder(6, "K-Gas")
    stock(kgas, 2, 0)
    sale, _ = lpg("deposit", kgas, phone="0711000111", method="mpesa")  # paid by M-Pesa: no cash in the drawer
    assert payments.amount_due(sale) == 3250 and sale.paid_at is None
    with transaction.atomic():
        payments.record_payment(sale, method=Payment.Method.MPESA, amount=3250, mpesa_receipt="QWE123")
    with pytest.raises(ledger.LedgerError, match="Cash would go below zero"):
        lpg("return", kgas, phone="0711000111")
    assert levels(kgas) == (1, 0) and LpgSale.objects.count() == 1 and balanced()


def test_out_of_fulls_is_refused_and_nothing_is_recorded(demo):
    kgas = cylinder(50, "K-Gas")
    stock(kgas, 0, 3)
    with pytest.raises(OutOfStock, match="Only 0 cylinder of LPG 50 kg K-Gas"):
        lpg("refill", kgas)
    assert levels(kgas) == (0, 3) and not LpgSale.objects.exists()
    assert balance(chart.CASH) == 0 and balanced()


def test_mpesa_waits_for_the_money_and_cash_can_settle_it_instead(demo, login):
    kgas = cylinder(6, "K-Gas")
    stock(kgas, 1, 0)
    with pytest.raises(ValidationError, match="M-Pesa number"):
        lpg("refill", kgas, method="mpesa")
    sale, _ = lpg("refill", kgas, method="mpesa", phone="0712345678")
    assert (payments.amount_due(sale), balance(chart.RECEIVABLES), sale.paid_at) == (1250, 1250, None)
    client = login("shop_staff")
    assert client.post(reverse("admin:shop:lpg_cash", args=[sale.pk])).status_code == 302
    sale.refresh_from_db()
    assert (payments.amount_due(sale), balance(chart.CASH), balance(chart.RECEIVABLES)) == (0, 1250, 0)
    assert sale.paid_at is not None and balanced()


def send_order(lines):
    supplier = Supplier.objects.create(business=shop(), name="K-Gas depot")
    po = PurchaseOrder.objects.create(business=shop(), supplier=supplier)
    for item, quantity, cost in lines:
        PurchaseOrderLine.objects.create(order=po, item=item, quantity=quantity, unit_cost=Decimal(cost))
    return purchasing.send(po)


def test_a_restock_receives_fulls_and_hands_back_empties_in_one_posting(demo):
    kgas = cylinder(13, "K-Gas")  # full 5,700 = shell 3,400 + gas 2,300
    stock(kgas, 10, 6)
    entries_before = ledger.totals("shop")
    po = send_order([(kgas.full_item, 4, "2440")])  # the depot charges 2,440 per refill this week
    line = po.lines.get()
    receipt = services.restock_exchange(po, {line.pk: 4})
    assert levels(kgas) == (14, 2)
    kgas.full_item.refresh_from_db()
    assert kgas.full_item.cost == Decimal("5740.0000")  # (10 × 5,700 + 4 × (2,440 + 3,400)) / 14
    assert receipt.total == 9760 and balance(chart.PAYABLES) == 9760 and purchasing.supplier_balance(po.supplier) == 9760
    assert ledger.totals("shop")["debit"] - entries_before["debit"] == 9760  # one entry: Dr Inventory / Cr Payables
    assert len(ledger.entries_for(receipt)) == 1
    assert balance(chart.INVENTORY) == valuation("shop")["total"]
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.RECEIVED
    assert sorted(StockMovement.objects.filter(source_id=str(receipt.pk)).values_list("kind", "quantity")) == [
        ("receipt", 4), ("return", -4)]


def test_a_restock_without_the_empties_rolls_back(demo):
    kgas = cylinder(6, "K-Gas")
    stock(kgas, 1, 2)
    po = send_order([(kgas.full_item, 5, "950")])
    line = po.lines.get()
    with pytest.raises(OutOfStock):
        services.restock_exchange(po, {line.pk: 5})
    assert levels(kgas) == (1, 2) and balance(chart.PAYABLES) == 0
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.SENT
    with pytest.raises(ValidationError, match="5 empties handed back for 2 fulls"):
        services.restock_exchange(po, {line.pk: 2}, empties={line.pk: 5})
    receipt = services.restock_exchange(po, {line.pk: 3}, empties={line.pk: 2})  # one bought with its shell
    assert levels(kgas) == (4, 0) and receipt.total == 2850


# --- pages, scoping ----------------------------------------------------------------------------------

def test_the_exchange_page_records_once_however_often_pay_is_tapped(demo, login):
    kgas = cylinder(13, "K-Gas")
    stock(kgas, 3, 0)
    client = login("shop_staff")
    page = client.get(reverse("admin:shop:lpg"))
    assert page.status_code == 200 and b'data-cylinder="13 kg K-Gas"' in page.content
    form = {"uuid": str(uuid.uuid4()), "type": kgas.pk, "kind": "refill", "quantity": "1", "method": "cash"}
    first = client.post(reverse("admin:shop:lpg"), form)
    second = client.post(reverse("admin:shop:lpg"), form)
    sale = LpgSale.objects.get()
    assert first.status_code == second.status_code == 302 and first.url == second.url == reverse(
        "admin:shop:lpg_receipt", args=[sale.pk])
    assert levels(kgas) == (2, 1) and balance(chart.CASH) == 2900
    receipt = client.get(first.url).content.decode()
    assert "G-000001" in receipt and 'data-stock="13 kg K-Gas"' in receipt
    refused = client.post(reverse("admin:shop:lpg"), {**form, "uuid": str(uuid.uuid4()), "quantity": "5"})
    assert refused.status_code == 200 and b"Only 2 cylinder of LPG 13 kg K-Gas" in refused.content


def test_mpesa_from_the_page_asks_the_phone_once_and_the_receipt_waits(demo, login, monkeypatch):
    from modules.core.payments.models import StkRequest
    from modules.shop import views

    kgas = cylinder(6, "K-Gas")
    stock(kgas, 2, 0)
    asked = []

    def fake_push(document, phone, *, amount=None, user=None):
        asked.append(phone)
        return StkRequest.objects.create(business=document.business, document=document, phone=phone,
                                         amount=int(document.total), requested_by=user)

    monkeypatch.setattr(views.payments, "request_stk_push", fake_push)
    client = login("shop_staff")
    form = {"uuid": str(uuid.uuid4()), "type": kgas.pk, "kind": "refill", "method": "mpesa", "phone": "0712 345 678"}
    first, second = client.post(reverse("admin:shop:lpg"), form), client.post(reverse("admin:shop:lpg"), form)
    assert first.url == second.url and asked == ["254712345678"]
    page = client.get(first.url).content.decode()
    assert "Waiting for M-Pesa" in page and "KES 1,250" in page and "Take KES" not in page
    assert levels(kgas) == (1, 1) and balance(chart.RECEIVABLES) == 1250 and balance(chart.CASH) == 0
    bad = client.post(reverse("admin:shop:lpg"), {**form, "uuid": str(uuid.uuid4()), "phone": "12"})
    assert bad.status_code == 200 and b"Enter a Safaricom number" in bad.content and LpgSale.objects.count() == 1
    assert b"Enter a Safaricom number" in client.get(reverse("admin:shop:lpg_deposits"), {"phone": "x"}).content


def test_other_businesses_cannot_see_or_touch_lpg(demo, login):
    kgas = cylinder(6, "K-Gas")
    stock(kgas, 2, 0)
    sale, _ = lpg("refill", kgas)
    # water staff with every shop permission are still scoped to water by their role
    water = User.objects.get(username="water_staff")
    water.user_permissions.add(*Permission.objects.filter(content_type__app_label="shop"))
    client = login("water_staff")
    assert client.get(reverse("admin:shop:lpg")).status_code == 403
    assert client.post(reverse("admin:shop:lpg"), {"uuid": str(uuid.uuid4()), "type": kgas.pk, "kind": "refill",
                                                   "method": "cash"}).status_code == 403
    assert client.get(reverse("admin:shop:lpg_receipt", args=[sale.pk])).status_code == 403
    assert client.get(reverse("admin:shop:lpg_deposits")).status_code == 403
    assert client.get(reverse("admin:shop_lpgsale_change", args=[sale.pk])).status_code == 403
    assert client.get(reverse("admin:shop_cylindertype_change", args=[kgas.pk])).status_code == 403
    listing = client.get(reverse("admin:shop_lpgsale_changelist")).content.decode()
    assert "G-000001" not in listing
    assert "K-Gas" not in client.get(reverse("admin:shop_cylindertype_changelist")).content.decode()
    assert client.get(reverse("admin:shop:lpg_receipt", args=[sale.pk + 999])).status_code == 404
    assert levels(kgas) == (1, 1) and LpgSale.objects.count() == 1
    # the accountant reads, never sells; shop staff do not restock (the owner buys)
    accountant = login("accountant")
    assert accountant.get(reverse("admin:shop:lpg_receipt", args=[sale.pk])).status_code == 200
    assert accountant.get(reverse("admin:shop:lpg")).status_code == 403
    staff = login("shop_staff")
    assert staff.get(reverse("admin:shop:lpg_restock_list")).status_code == 403
    assert login("owner").get(reverse("admin:shop:lpg_restock_list")).status_code == 200


def test_the_owner_restocks_from_the_page(demo, login):
    kgas = cylinder(13, "K-Gas")
    stock(kgas, 1, 3)
    po = send_order([(kgas.full_item, 3, "2300")])
    line = po.lines.get()
    client = login("owner")
    assert b"Empties handed back" in client.get(reverse("admin:shop:lpg_restock", args=[po.pk])).content
    response = client.post(reverse("admin:shop:lpg_restock", args=[po.pk]), {f"line-{line.pk}": "3",
                                                                                f"empty-{line.pk}": "3"})
    assert response.status_code == 302 and levels(kgas) == (4, 0) and balance(chart.PAYABLES) == 6900


def test_widgets_show_fulls_empties_low_fulls_takings_and_top_sellers(demo, login):
    kgas, total = cylinder(13, "K-Gas"), cylinder(13, "Total")  # reorder levels 4 and 3
    stock(kgas, 5, 1)
    stock(total, 9, 0)
    lpg("refill", kgas, quantity=2)
    client = login("shop_staff")
    body = client.get(reverse("admin:widget", args=["shop.lpg_stock"])).content.decode()
    assert "3 full · 3 empty" in body and "Low on fulls: 6 kg K-Gas" in body and "13 kg Total" in body
    assert "13 kg Total," not in body.split("Low on fulls:")[1].split("</p>")[0]
    takings = client.get(reverse("admin:widget", args=["shop.takings"])).content.decode()
    assert "KES 5,800" in takings
    top = client.get(reverse("admin:widget", args=["shop.top_sellers"])).content.decode()
    assert "LPG 13 kg K-Gas" in top


def test_resources_export_the_main_models(demo):
    kgas = cylinder(6, "K-Gas")
    stock(kgas, 1, 0)
    lpg("refill", kgas)
    types = CylinderTypeResource().export()
    assert len(types) == CylinderType.objects.count() == 7
    assert "S-LPG-6-KGAS-FULL" in types.csv and "6 kg" in types.csv
    sales = LpgSaleResource().export()
    assert "G-000001" in sales.csv and "refill" in sales.csv and "1250.00" in sales.csv
    assert len(SwapFeeResource().export()) == 3


def test_demo_data_is_believable_and_idempotent(db):
    from fixtures.demo import seed

    from tests.conftest import PASSWORD

    seed(PASSWORD, activity=True)  # as `manage.py seed_demo` (make run) does
    counts = (LpgSale.objects.count(), StockMovement.objects.count(), ledger.totals()["debit"])
    seed(PASSWORD, activity=True)
    assert (LpgSale.objects.count(), StockMovement.objects.count(), ledger.totals()["debit"]) == counts
    assert LpgSale.objects.count() == 6 and balanced()
    assert levels(cylinder(13, "K-Gas")) == (8, 6)  # 10 full, 5 empty; then a refill and a deposit
    assert PurchaseOrder.objects.filter(business=shop(), status="sent").count() == 1
    assert balance(chart.INVENTORY) == valuation("shop")["total"]


def test_the_owner_adds_a_cylinder_type_and_every_page_opens(db, login):
    from fixtures.demo import seed

    from tests.conftest import PASSWORD

    seed(PASSWORD, activity=True)  # receipts and a sent order to open
    client = login("owner")
    response = client.post(reverse("admin:shop_cylindertype_add"), {
        "business": shop().pk, "size_kg": "6", "brand": "Hashi", "refill_price": "1150", "outright_price": "3500",
        "deposit": "1800", "is_active": "on", "shell_cost": "1700", "full_cost": "2600"})
    assert response.status_code == 302, response.content.decode()[-2000:]
    hashi = cylinder(6, "Hashi")
    assert (hashi.full_item.sku, hashi.full_item.selling_price, hashi.empty_item.cost) == (
        "S-LPG-6-HASHI-FULL", 3500, 1700)
    change = reverse("admin:shop_cylindertype_change", args=[hashi.pk])
    response = client.post(change, {"business": shop().pk, "size_kg": "6", "brand": "Hashi", "refill_price": "1200",
                                    "outright_price": "3600", "deposit": "1800", "is_active": "on"})
    assert response.status_code == 302
    hashi = cylinder(6, "Hashi")
    assert (hashi.refill_price, hashi.full_item.selling_price) == (1200, 3600)
    sale = LpgSale.objects.first()
    po = PurchaseOrder.objects.get(business=shop(), status="sent")
    pages = [reverse("admin:shop_cylindertype_changelist"), change, reverse("admin:shop_lpgsale_changelist"),
             reverse("admin:shop_lpgsale_change", args=[sale.pk]), reverse("admin:shop_swapfee_changelist"),
             reverse("admin:shop:lpg"), reverse("admin:shop:lpg_receipt", args=[sale.pk]),
             reverse("admin:shop:lpg_deposits"), reverse("admin:shop:lpg_restock_list"),
             reverse("admin:shop:lpg_restock", args=[po.pk])]
    assert [client.get(url).status_code for url in pages] == [200] * len(pages)
    deposits = client.get(reverse("admin:shop:lpg_deposits")).content.decode()
    assert "254711222333" in deposits and "13 kg K-Gas" in deposits


def test_the_owner_voids_a_receipt_through_reversals_and_staff_cannot(demo, login):
    kgas = cylinder(13, "K-Gas")
    stock(kgas, 3, 0)
    inventory = balance(chart.INVENTORY)
    sale, _ = lpg("refill", kgas)
    deposit, _ = lpg("deposit", kgas, phone="0711222333")
    back, _ = lpg("return", kgas, phone="0711222333")
    with pytest.raises(ValidationError, match="void the return first"):
        services.void_lpg(deposit, reason="wrong customer")
    staff = login("shop_staff")
    changelist = reverse("admin:shop_lpgsale_changelist")
    staff.post(changelist, {"action": "void", "_selected_action": [sale.pk]})
    sale.refresh_from_db()
    assert sale.voided_at is None
    owner = login("owner")
    response = owner.post(changelist, {"action": "void", "_selected_action": [back.pk, deposit.pk, sale.pk]})
    assert response.status_code == 302
    assert all(s.voided_at for s in LpgSale.objects.all())
    assert levels(kgas) == (3, 0) and balance(chart.INVENTORY) == inventory
    for code in (chart.CASH, chart.SALES, chart.VAT_PAYABLE, chart.COST_OF_SALES, services.CYLINDER_DEPOSITS,
                 services.CYLINDERS_OUT, chart.RECEIVABLES):
        assert balance(code) == 0, code
    assert services.deposit_balances(shop()) == [] and balanced()
    assert b"VOID" in owner.get(reverse("admin:shop:lpg_receipt", args=[sale.pk])).content
    with pytest.raises(ValidationError, match="already void"):
        services.void_lpg(sale, reason="again")
