"""Sales: one transaction each (sale, stock, ledger, cash), idempotent by the phone's UUID."""

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from fixtures.demo import seed
from modules.core.businesses.models import Business
from modules.core.inventory.models import Item, StockMovement
from modules.core.inventory.services import default_location, on_hand
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account, JournalEntry
from modules.core.payments.models import Payment, StkRequest
from modules.core.sales import services as sales
from modules.core.sales.models import Sale
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def item(sku):
    return Item.objects.get(sku=sku)


def sell(sku, quantity=1, *, client_uuid=None, method="cash", business="water", **kwargs):
    return sales.create_sale(business=Business.objects.get(code=business), client_uuid=client_uuid or uuid.uuid4(),
                             lines=[sales.SaleLineInput(item(sku).pk, Decimal(quantity))], method=method, **kwargs)


def balance(code, business="water"):
    return ledger.balance(Account.objects.get(business__code=business, code=code))


@pytest.mark.django_db
def test_a_cash_sale_moves_stock_money_and_the_books_together(stocked):
    bottle = item("W-BOTTLE-20")
    before = on_hand(bottle, default_location(bottle.business))
    inventory_before = balance(chart.INVENTORY)
    sale, created = sell("W-BOTTLE-20", 2)
    assert created and sale.total == Decimal("1300.00") and sale.vat == Decimal("179.31")
    assert on_hand(bottle, default_location(bottle.business)) == before - 2
    assert balance(chart.CASH) == Decimal("1300.00")
    assert balance(chart.SALES) == Decimal("1120.69") and balance(chart.VAT_PAYABLE) == Decimal("179.31")
    assert balance(chart.COST_OF_SALES) == Decimal("760.00")
    assert balance(chart.INVENTORY) == inventory_before - Decimal("760.00")
    assert balance(chart.RECEIVABLES) == 0
    sale.refresh_from_db()
    assert sale.paid_at is not None and sale.receipt_number == "W-000001"
    assert sell("W-SACHET")[0].number == 2 and sell("S-BREAD-400", business="shop")[0].number == 1


@pytest.mark.django_db
def test_a_business_not_registered_for_vat_adds_no_vat_to_a_price_entered_without_it(stocked):
    from modules.core.cms.prices import price_rows

    bottle = item("W-BOTTLE-20")
    Item.objects.filter(pk=bottle.pk).update(price_includes_vat=False)  # 650.00 + 16 % where VAT is charged
    sale, _ = sell("W-BOTTLE-20")
    assert (sale.total, sale.vat) == (Decimal("754.00"), Decimal("104.00"))
    Business.objects.filter(code="water").update(vat_registered=False)
    sale, _ = sell("W-BOTTLE-20")
    assert (sale.total, sale.vat) == (Decimal("650.00"), Decimal("0.00"))
    assert {row["pk"]: row["price"] for row in price_rows("water")}[bottle.pk] == Decimal("650.00")


@pytest.mark.django_db
def test_services_sell_without_stock(stocked):
    sale, _ = sell("W-REFILL-20", 3)
    assert sale.total == Decimal("360.00")
    assert not StockMovement.objects.filter(item__sku="W-REFILL-20").exists()


@pytest.mark.django_db
def test_out_of_stock_records_nothing(stocked):
    entries = JournalEntry.objects.count()
    with pytest.raises(sales.OutOfStock, match="Only 40 bottle of 20 L bottle with water left"):
        sell("W-BOTTLE-20", 41)
    assert Sale.objects.count() == 0 and JournalEntry.objects.count() == entries
    assert on_hand(item("W-BOTTLE-20"), default_location(item("W-BOTTLE-20").business)) == 40


@pytest.mark.django_db
def test_the_same_uuid_returns_the_same_sale_and_different_contents_conflict(stocked):
    key = uuid.uuid4()
    first, created = sell("W-SACHET", 5, client_uuid=key)
    again, created_again = sell("W-SACHET", 5, client_uuid=key)
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(sales.SaleConflict, match="already saved with this sale's ID but different items"):
        sell("W-SACHET", 6, client_uuid=key)
    assert Sale.objects.count() == 1 and Payment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_double_tapping_pay_from_ten_threads_makes_one_sale():
    seed(PASSWORD)
    key = uuid.uuid4()
    results, errors = [], []

    def tap():
        try:
            results.append(sell("W-SACHET", 2, client_uuid=key))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=tap) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({sale.pk for sale, _ in results}) == 1 and sum(created for _, created in results) == 1
    assert Sale.objects.count() == 1 and Payment.objects.count() == 1
    assert on_hand(item("W-SACHET"), default_location(item("W-SACHET").business)) == 998


@pytest.mark.django_db
def test_void_puts_stock_and_money_back_through_reversals(stocked):
    sale, _ = sell("W-PACK-500x24", 2)
    original = set(JournalEntry.objects.filter(source_id=str(sale.pk)).values_list("pk", "seal"))
    sales.void_sale(sale, reason="customer changed mind")
    sale.refresh_from_db()
    assert sale.status == "voided"
    assert on_hand(item("W-PACK-500x24"), sale.location) == 60
    assert balance(chart.CASH) == 0 and balance(chart.SALES) == 0 and balance(chart.COST_OF_SALES) == 0
    assert original <= set(JournalEntry.objects.values_list("pk", "seal"))  # untouched
    assert JournalEntry.objects.filter(reversal_of__in=[pk for pk, _ in original]).count() == len(original)
    with pytest.raises(Exception, match="already void"):
        sales.void_sale(sale, reason="again")


@pytest.mark.django_db
def test_submit_endpoint_answers_201_200_and_409(stocked, client):
    client.force_login(User.objects.get(username="water_staff"))
    url = reverse("admin:sales:submit")
    body = {"uuid": str(uuid.uuid4()), "business": "water", "method": "cash",
            "lines": [{"item": item("W-SACHET").pk, "quantity": 3}]}
    first = client.post(url, json.dumps(body), content_type="application/json")
    assert first.status_code == 201 and first.json()["next"] == reverse("admin:sales:receipt", args=[first.json()["sale"]])
    assert client.post(url, json.dumps(body), content_type="application/json").status_code == 200
    body["lines"][0]["quantity"] = 4
    conflict = client.post(url, json.dumps(body), content_type="application/json")
    assert conflict.status_code == 409 and "different items" in conflict.json()["error"]
    short = {**body, "uuid": str(uuid.uuid4()), "lines": [{"item": item("W-BOTTLE-20").pk, "quantity": 99}]}
    assert client.post(url, json.dumps(short), content_type="application/json").json()["error"].startswith("Only 40")
    bad_phone = {**body, "uuid": str(uuid.uuid4()), "method": "mpesa", "phone": "020 1234567"}
    response = client.post(url, json.dumps(bad_phone), content_type="application/json")
    assert response.status_code == 400 and "0712 345 678" in response.json()["error"]
    assert client.post(url, "{broken", content_type="application/json").status_code == 400
    assert Sale.objects.count() == 1


@pytest.mark.django_db
def test_submit_takes_a_discount_and_a_cash_part_and_refuses_bad_amounts(stocked, client):
    client.force_login(User.objects.get(username="water_staff"))
    url = reverse("admin:sales:submit")
    lines = [{"item": item("W-PACK-1Lx12").pk, "quantity": 1}]  # KES 420

    def post(**fields):
        body = {"uuid": str(uuid.uuid4()), "business": "water", "method": "cash", "lines": lines, **fields}
        return client.post(url, json.dumps(body), content_type="application/json")

    for bad in ({"discount": "abc"}, {"discount": "-5"}, {"discount": "NaN"}, {"method": "split", "cash": "-1"}):
        response = post(**bad)
        assert response.status_code == 400 and "could not be read" in response.json()["error"], bad
    assert "more than the sale" in post(discount="500").json()["error"]
    assert Sale.objects.count() == 0

    discounted = Sale.objects.get(pk=post(discount="20.00").json()["sale"])
    assert (discounted.total, discounted.discount, discounted.paid_at is not None) == (400, 20, True)
    split = post(method="split", cash="100", phone="0712345670")
    sale = Sale.objects.get(pk=split.json()["sale"])
    stk = StkRequest.objects.get(document_id=str(sale.pk))
    assert split.status_code == 201 and split.json()["next"] == reverse("admin:payments:stk_wait", args=[stk.pk])
    assert [(p.method, p.amount) for p in Payment.objects.filter(document_id=str(sale.pk))] == [("cash", 100)]
    assert (stk.amount, sale.total) == (320, 420)  # M-Pesa is asked for the rest only


@pytest.mark.django_db
def test_a_sale_paid_to_the_till_books_its_typed_m_pesa_code_once(stocked, client):
    """method "till": the customer paid our till from their own phone (also offline, replayed later);
    the code from their SMS pays the sale and waits for M-Pesa's confirmation. No prompt is sent."""
    from modules.core.payments.models import MpesaReceipt

    client.force_login(User.objects.get(username="water_staff"))
    url = reverse("admin:sales:submit")
    body = {"uuid": str(uuid.uuid4()), "business": "water", "method": "till", "code": "qk7ab1cd2e",
            "lines": [{"item": item("W-PACK-1Lx12").pk, "quantity": 1}], "offline": True}  # KES 420
    till, stock = balance(chart.MPESA), on_hand(item("W-PACK-1Lx12"), default_location(item("W-PACK-1Lx12").business))
    first = client.post(url, json.dumps(body), content_type="application/json")
    assert first.status_code == 201, first.json()
    sale = Sale.objects.get(pk=first.json()["sale"])
    assert first.json()["next"] == reverse("admin:sales:receipt", args=[sale.pk]) and not StkRequest.objects.exists()
    assert client.post(url, json.dumps(body), content_type="application/json").status_code == 200  # the replay
    assert [(p.method, p.amount) for p in Payment.objects.filter(document_id=str(sale.pk))] == [("mpesa", 420)]
    assert sale.payment_method == "mpesa" and balance(chart.MPESA) == till + 420
    typed = MpesaReceipt.objects.get(receipt="QK7AB1CD2E")
    assert (typed.source, typed.amount, typed.confirmed_at) == (MpesaReceipt.Source.TYPED, 420, None)

    again = client.post(url, json.dumps({**body, "uuid": str(uuid.uuid4())}), content_type="application/json")
    assert again.status_code == 400 and "already in the books" in again.json()["error"]
    bad = client.post(url, json.dumps({**body, "uuid": str(uuid.uuid4()), "code": "12345"}),
                      content_type="application/json")
    assert bad.status_code == 400 and "10 letters and digits" in bad.json()["error"]
    assert Sale.objects.count() == 1  # a refused code takes its sale back: no stock moved, nothing booked
    assert on_hand(item("W-PACK-1Lx12"), default_location(item("W-PACK-1Lx12").business)) == stock - 1
    assert balance(chart.MPESA) == till + 420


@pytest.mark.django_db
@pytest.mark.parametrize("username, business, status", [
    ("accountant", "water", 403), ("shop_staff", "water", 403), ("water_staff", "shop", 403)])
def test_who_may_sell_where(stocked, client, username, business, status):
    client.force_login(User.objects.get(username=username))
    body = {"uuid": str(uuid.uuid4()), "business": business, "method": "cash",
            "lines": [{"item": Item.objects.filter(business__code=business).first().pk, "quantity": 1}]}
    assert client.post(reverse("admin:sales:submit"), json.dumps(body), content_type="application/json").status_code == status
    assert Sale.objects.count() == 0


@pytest.mark.django_db
def test_the_receipt_can_be_shared_by_a_signed_link(stocked, client):
    sale, _ = sell("W-SACHET", 3)
    client.force_login(User.objects.get(username="water_staff"))
    page = client.get(reverse("admin:sales:receipt", args=[sale.pk]))
    assert "W-000001" in page.content.decode()
    share_url = client.post(reverse("admin:sales:issue_receipt", args=[sale.pk]), {"how": "share"},
                            HTTP_ACCEPT="application/json").json()["url"]
    client.logout()
    public = client.get(share_url)
    assert public.status_code == 200 and "Receipt W-000001" in public.content.decode()
    assert client.get(share_url[:-3] + "xyz/").status_code == 404  # tampered
    assert client.get(reverse("admin:sales:receipt", args=[sale.pk])).status_code == 302  # the admin copy needs a login


@pytest.mark.django_db
def test_a_shared_receipt_link_expires(stocked, client, settings):
    from unittest import mock

    from modules.core.sales.views import share_token

    sale, _ = sell("W-SACHET", 1)
    signed_at = time.time() - settings.RECEIPT_LINK_MAX_AGE - 60
    with mock.patch("django.core.signing.time.time", return_value=signed_at):  # a link shared 90 days ago
        old = share_token(sale)
    expired = client.get(reverse("sales:public_receipt", args=[old]))
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    assert client.get(reverse("sales:public_receipt", args=[share_token(sale)])).status_code == 200


def test_make_run_keeps_a_random_secret_key_of_its_own():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "backoffice.settings.dev"
    show = [sys.executable, "manage.py", "shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)"]
    keys = {subprocess.run(show, cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.strip()
            for _ in range(2)}
    assert len(keys) == 1 and len(keys.pop()) >= 50, "one key, kept between runs"
    assert (ROOT / ".data" / "secret.key").stat().st_mode & 0o077 == 0


def test_the_quick_sale_page_comes_with_its_tiles_and_prices(login):
    """The tiles paint with the HTML (no script renders them), each priced as the page's money() writes it."""
    client = login("shop_staff")
    shop_item = Item.objects.get(business__code="shop", name="Sugar 1 kg")
    shop_item.selling_price = Decimal("12345.6")
    shop_item.save(update_fields=["selling_price"])
    response = client.get(reverse("admin:sales:quick_sale"), {"business": "shop"})
    page = response.content.decode()
    tiles = json.loads(response.context["config_json"])["items"]
    assert len(tiles) > 1
    for tile in tiles:
        price = f"KES {Decimal(tile['price'] or '0'):,.2f}"
        assert re.search(rf'data-item="{re.escape(tile["name"])}"[^>]*>\s*<span[^>]*>{re.escape(tile["name"])}</span>'
                         rf'\s*<span[^>]*>{re.escape(price)}</span>', page), tile["name"]
    assert f'data-item="{shop_item.name}"' in page and "KES 12,345.60</span>" in page
    assert f'data-item="{item("W-SACHET").name}"' not in page  # the water business's


@pytest.mark.django_db
@pytest.mark.parametrize("raw, message", [
    ("NaN", "must be a number"), ("Infinity", "must be a number"), ("-Infinity", "must be a number"),
    ("1e30", "too big"), ("0.0000001", "at most 3 decimals"), ('"abc"', "is not a number"), ("0", "more than zero"),
    ('"1e30"', "too big"), ("[1]", "is not a number"),
])
def test_the_quick_sale_answers_bad_quantities_with_400_and_a_plain_message(stocked, client, raw, message):
    """JSON's NaN/Infinity, huge and tiny numbers never reach the database (they used to answer 500)."""
    client.force_login(User.objects.get(username="water_staff"))
    body = ('{"uuid": "%s", "business": "water", "method": "cash", "lines": [{"item": %d, "quantity": %s}]}'
            % (uuid.uuid4(), item("W-SACHET").pk, raw))
    response = client.post(reverse("admin:sales:submit"), body, content_type="application/json")
    assert response.status_code == 400 and message in response.json()["error"]
    assert Sale.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("fields", [{"discount": 1e30}, {"discount": "0.001"}, {"method": "split", "cash": "1e30"},
                                    {"item": 1e30}, {"item": "12abc"}])
def test_the_quick_sale_answers_bad_amounts_and_ids_with_400(stocked, client, fields):
    client.force_login(User.objects.get(username="water_staff"))
    line = {"item": fields.pop("item", item("W-SACHET").pk), "quantity": 1}
    body = {"uuid": str(uuid.uuid4()), "business": "water", "method": "cash", "lines": [line], **fields}
    response = client.post(reverse("admin:sales:submit"), json.dumps(body), content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]
    deep = '{"uuid": "x", "business": "water", "lines": ' + "[" * 100000 + "]" * 100000 + "}"
    assert client.post(reverse("admin:sales:submit"), deep, content_type="application/json").status_code == 400
    assert Sale.objects.count() == 0


SALE_EVENTS = []  # what a subscriber to sale.committed / sale.voided saw


def record_sale_event(**payload):
    SALE_EVENTS.append(payload)


@pytest.mark.django_db
def test_one_counter_numbers_every_kind_of_sale_and_events_follow_commits(stocked, monkeypatch,
                                                                         django_capture_on_commit_callbacks):
    """A laundry counter sale and a laundry job take numbers from the same counter; the engine tells
    subscribers (eTIMS will be one) about commits and voids, after the transaction only."""
    from modules.core.registry import registry
    from modules.core.registry.contract import Subscription
    from modules.laundry import services as laundry

    subscriptions = registry.subscriptions
    monkeypatch.setattr(registry, "subscriptions", lambda event: (
        [Subscription(event, "tests.integration.test_sales.record_sale_event")]
        if event in ("sale.committed", "sale.voided") else subscriptions(event)))
    SALE_EVENTS.clear()
    with django_capture_on_commit_callbacks(execute=True):
        counter, _ = sell("L-IRON", 2, business="laundry")
        job = laundry.create_job(Business.objects.get(code="laundry"), customer_phone="0712 480 110",
                                 lines=[laundry.JobLineInput(item("L-WASH-KG").pk, Decimal("2"))])
        with pytest.raises(ValidationError, match="no customer to keep it for"):
            sales.void_sale(counter, reason="Rang up twice", refund="credit")  # a walk-in holds no credit
        sales.void_sale(counter, reason="Rang up twice", refund="cash")
    assert (counter.number, job.sale.number, job.number, job.ticket_number) == (1, 2, 2, "LT-0002")
    assert job.sale.kind == "laundry" and job.sale.document == job and job.sale.receipt_number == "L-000002"
    assert SALE_EVENTS == [{"business": "laundry", "sale_id": counter.pk}, {"business": "laundry", "sale_id": job.sale.pk},
                           {"business": "laundry", "sale_id": counter.pk}]
    with pytest.raises(sales.SaleConflict):  # a refusal is a ValidationError the views show as 409
        sell("L-IRON", 3, business="laundry", client_uuid=counter.client_uuid)
    assert issubclass(sales.SaleConflict, ValidationError)
