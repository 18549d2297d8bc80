"""Stock on real PostgreSQL: the last unit under 50 concurrent sales, low-stock alerts, counts,
transfers, valuation and the scoping of the stock screens."""

import threading
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from fixtures.demo import seed
from modules.core.businesses.models import Business
from modules.core.inventory import services as stock
from modules.core.inventory.models import (Item, Location, LowStockAlert, StockCount, StockLevel, StockMovement,
                                           Transfer)
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from tests.conftest import PASSWORD

Kind = StockMovement.Kind


def item(business, sku):
    return Item.objects.select_related("business").get(business__code=business, sku=sku)


def shelf(business):
    return stock.default_location(Business.objects.get(code=business))


def put(it, quantity, location=None):
    with transaction.atomic():
        stock.move_stock(it, location or shelf(it.business.code), quantity, Kind.ADJUSTMENT, reason="test")


def lines_of(entry):
    return [(line.account.code, line.debit, line.credit)
            for line in entry.lines.select_related("account").order_by("pk")]


def grant(username, *codenames):
    user = User.objects.get(username=username)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="inventory", codename__in=codenames))


# --- the last unit -------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_sales_of_the_last_unit_sell_it_exactly_once():
    seed(PASSWORD, opening_stock=False)
    bread = item("shop", "S-BREAD-400")
    floor = shelf("shop")
    put(bread, 1, floor)
    barrier, done = threading.Barrier(50, timeout=60), threading.Event()
    sold, refused, errors, seen = [], [], [], []

    def sell():
        try:
            barrier.wait()
            with transaction.atomic():
                sold.append(stock.move_stock(bread, floor, -1, Kind.SALE, reason="race"))
        except stock.OutOfStock as error:
            refused.append(str(error))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))
        finally:
            connection.close()

    def watch():  # the level as other sessions see it, all along
        try:
            while not done.is_set():
                seen.append(StockLevel.objects.get(item=bread, location=floor).quantity)
        finally:
            connection.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=sell) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    watcher.join()

    assert not errors
    assert len(sold) == 1 and len(refused) == 49
    assert all(message == "Only 0 loaf of Bread 400 g left at Shop floor" for message in refused), set(refused)
    assert seen and min(seen) >= 0
    assert stock.on_hand(bread, floor) == 0
    assert StockMovement.objects.filter(item=bread, kind=Kind.SALE).count() == 1


# --- low stock -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_low_stock_alert_is_raised_once_a_day_and_shown_to_who_may_see_it(login):
    milk, sugar = item("shop", "S-MILK-500"), item("shop", "S-SUGAR-1KG")
    put(milk, 10)
    StockLevel.objects.filter(item=milk).update(reorder_level=5)
    for _ in range(4):
        put(milk, -2)  # 8, 6, 4 (alert), 2
    assert list(LowStockAlert.objects.filter(item=milk).values_list("quantity", flat=True)) == [Decimal("4")]
    put(sugar, 3)  # no reorder level: never alerts
    put(sugar, -1)
    assert not LowStockAlert.objects.filter(item=sugar).exists()

    tomorrow = timezone.localdate() + timedelta(days=1)
    with mock.patch.object(timezone, "localdate", return_value=tomorrow):
        put(milk, -1)
    assert sorted(LowStockAlert.objects.filter(item=milk).values_list("day", flat=True)) == [
        timezone.localdate(), tomorrow]

    url = reverse("admin:widget", args=["inventory.low_stock"])
    page = login("owner").get(url)
    assert page.status_code == 200 and "Milk 500 ml" in page.content.decode()
    assert "Milk 500 ml" in login("accountant").get(url).content.decode()
    page = login("water_staff").get(url)  # staff see the widget, for their own business only
    assert page.status_code == 200 and "Milk 500 ml" not in page.content.decode()


# --- physical counts -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_posting_a_count_moves_stock_to_the_counted_figures_and_books_one_entry(demo):
    owner = User.objects.get(username="owner")
    sugar, milk, bread = item("shop", "S-SUGAR-1KG"), item("shop", "S-MILK-500"), item("shop", "S-BREAD-400")
    floor = shelf("shop")
    put(sugar, 10), put(milk, 20), put(bread, 5)

    count = stock.start_count(floor, owner)
    lines = {line.item.sku: line for line in count.lines.select_related("item")}
    assert {sku: line.expected for sku, line in lines.items() if line.expected} == {
        "S-SUGAR-1KG": 10, "S-MILK-500": 20, "S-BREAD-400": 5}  # services (LPG refills) keep no stock
    assert "S-LPG-6-REFILL" not in lines
    stock.record_counted(count, {lines["S-SUGAR-1KG"].pk: "8", lines["S-MILK-500"].pk: "22",
                                 lines["S-BREAD-400"].pk: "0"})
    assert stock.count_variance(count)["shortage"] == Decimal("2") * 160 + 5 * 58
    with transaction.atomic():  # a sale after the count started: the count lands on 7, not 7 - 1
        stock.move_stock(sugar, floor, -1, Kind.SALE)
    stock.record_counted(count, {lines["S-SUGAR-1KG"].pk: "7"})

    entry = stock.post_count(count, owner)

    assert (stock.on_hand(sugar, floor), stock.on_hand(milk, floor), stock.on_hand(bread, floor)) == (7, 22, 0)
    moves = StockMovement.objects.filter(kind=Kind.ADJUSTMENT, reason=f"Stock count {count.pk}")
    assert sorted((m.item.sku, m.quantity, m.unit_cost) for m in moves) == [
        ("S-BREAD-400", -5, 58), ("S-MILK-500", 2, 52), ("S-SUGAR-1KG", -2, 160)]
    shortage, surplus = Decimal("2") * 160 + 5 * 58, Decimal("2") * 52  # 610.00 and 104.00
    assert lines_of(entry) == [(chart.STOCK_LOSSES, shortage, 0), (chart.INVENTORY, 0, shortage),
                               (chart.INVENTORY, surplus, 0), (chart.STOCK_LOSSES, 0, surplus)]
    assert ledger.entries_for(count) == [entry]
    count.refresh_from_db()
    assert (count.status, count.posted_by) == (StockCount.Status.POSTED, owner)
    assert count.lines.get(item=sugar).expected == 9  # refreshed to what was on hand at posting
    with pytest.raises(ValidationError, match="already posted"):
        stock.post_count(count, owner)
    with pytest.raises(ValidationError, match="already posted"):
        stock.record_counted(count, {lines["S-MILK-500"].pk: "1"})


@pytest.mark.django_db
def test_a_count_without_differences_posts_no_entry_and_uncounted_items_stay(demo):
    sugar, milk = item("shop", "S-SUGAR-1KG"), item("shop", "S-MILK-500")
    put(sugar, 4), put(milk, 6)
    count = stock.start_count(shelf("shop"))
    stock.record_counted(count, {count.lines.get(item=sugar).pk: "4"})  # milk not counted
    assert stock.post_count(count) is None
    assert (stock.on_hand(sugar, shelf("shop")), stock.on_hand(milk, shelf("shop"))) == (4, 6)
    assert not ledger.entries_for(count)


@pytest.mark.django_db
def test_the_owner_posts_a_count_from_its_page_and_the_accountant_cannot(login):
    sugar = item("shop", "S-SUGAR-1KG")
    put(sugar, 10)
    owner = login("owner")
    response = owner.post(reverse("admin:inventory_stockcount_add"), {"location": shelf("shop").pk, "note": "June"})
    count = StockCount.objects.get(note="June")
    url = reverse("admin:inventory_stockcount_change", args=[count.pk])
    assert response.status_code == 302 and response.url == url
    lines = list(count.lines.all())
    data = {"note": "June", "lines-TOTAL_FORMS": len(lines), "lines-INITIAL_FORMS": len(lines),
            "lines-MIN_NUM_FORMS": 0, "lines-MAX_NUM_FORMS": 1000, "inventory_stockcount_save_and_post": ""}
    for i, line in enumerate(lines):
        data |= {f"lines-{i}-id": line.pk, f"lines-{i}-count": count.pk,
                 f"lines-{i}-counted": "9" if line.item_id == sugar.pk else ""}

    accountant = login("accountant")
    assert accountant.get(url).status_code == 200
    assert accountant.post(url, data).status_code == 403
    accountant.post(reverse("admin:inventory_stockcount_changelist"),
                    {"action": "post_counts", "_selected_action": [count.pk]})
    count.refresh_from_db()
    assert count.status == StockCount.Status.DRAFT

    owner = login("owner")
    assert b"Save and post" in owner.get(url).content
    assert owner.post(url, data).status_code == 302
    count.refresh_from_db()
    assert count.status == StockCount.Status.POSTED and stock.on_hand(sugar, shelf("shop")) == 9
    assert lines_of(ledger.entries_for(count)[0]) == [(chart.STOCK_LOSSES, 160, 0), (chart.INVENTORY, 0, 160)]
    page = owner.get(url).content
    assert b"Save and post" not in page  # posted counts are read-only
    assert owner.post(url, data).status_code == 403
    assert owner.get(reverse("admin:inventory_stockcount_delete", args=[count.pk])).status_code == 403


# --- transfers -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_transfer_moves_stock_out_and_in_or_not_at_all(demo):
    owner = User.objects.get(username="owner")
    sugar = item("shop", "S-SUGAR-1KG")
    floor, store = shelf("shop"), Location.objects.create(business=sugar.business, name="Store")
    put(sugar, 10, floor)

    transfer = stock.transfer_stock(sugar, floor, store, 4, owner)
    assert (stock.on_hand(sugar, floor), stock.on_hand(sugar, store)) == (6, 4)
    moves = StockMovement.objects.filter(source_id=str(transfer.pk), kind__in=[Kind.TRANSFER_OUT, Kind.TRANSFER_IN])
    assert sorted((m.kind, m.location.name, m.quantity) for m in moves) == [
        (Kind.TRANSFER_IN, "Store", 4), (Kind.TRANSFER_OUT, "Shop floor", -4)]

    with pytest.raises(stock.OutOfStock, match="Only 6 packet of Sugar 1 kg left at Shop floor"):
        stock.transfer_stock(sugar, floor, store, 7, owner)
    with pytest.raises(ValidationError, match="same business"):
        stock.transfer_stock(sugar, floor, shelf("water"), 1, owner)
    with pytest.raises(ValidationError, match="two different"):
        stock.transfer_stock(sugar, floor, floor, 1, owner)
    assert (stock.on_hand(sugar, floor), stock.on_hand(sugar, store), Transfer.objects.count()) == (6, 4, 1)


@pytest.mark.django_db
def test_the_transfer_form_shows_out_of_stock_on_the_form(login):
    sugar = item("shop", "S-SUGAR-1KG")
    floor, store = shelf("shop"), Location.objects.create(business=sugar.business, name="Store")
    put(sugar, 2, floor)
    owner = login("owner")
    form = {"item": sugar.pk, "from_location": floor.pk, "to_location": store.pk, "quantity": "5", "note": ""}
    response = owner.post(reverse("admin:inventory_transfer_add"), form)
    assert response.status_code == 200 and "Only 2 packet of Sugar 1 kg left" in response.content.decode()
    assert not Transfer.objects.exists()
    assert owner.post(reverse("admin:inventory_transfer_add"), form | {"quantity": "2"}).status_code == 302
    assert stock.on_hand(sugar, store) == 2


# --- valuation -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_valuation_per_business_and_consolidated(login):
    sachet, pack = item("water", "W-SACHET"), item("water", "W-PACK-500x24")
    sugar = item("shop", "S-SUGAR-1KG")
    store = Location.objects.create(business=sugar.business, name="Store")
    put(sachet, 100), put(pack, 10), put(sugar, 10), put(sugar, 5, store)
    Item.objects.filter(pk=sugar.pk).update(cost=Decimal("160.3333"))

    water, shop = stock.valuation("water"), stock.valuation("shop")
    assert water["total"] == 100 * 4 + 10 * 300 == 3400
    assert [(r["location"].name, r["value"]) for r in shop["rows"]] == [
        ("Shop floor", Decimal("1603.33")), ("Store", Decimal("801.67"))]
    everything = stock.valuation()
    assert everything["total"] == Decimal("3400") + Decimal("2405.00")
    assert {b.code: v for b, v in everything["by_business"].items()} == {"water": 3400, "shop": Decimal("2405.00")}

    url = reverse("admin:inventory:valuation")
    page = login("owner").get(url).content.decode()  # consolidated by default
    assert 'data-total="all">5,805.00' in page and 'data-total="water">3,400.00' in page
    assert 'data-total="all">2,405.00' in login("accountant").get(url, {"business": "shop"}).content.decode()
    staff = login("water_staff")  # their own business only
    assert 'data-total="all">3,400.00' in staff.get(url).content.decode()
    assert staff.get(url, {"business": "shop"}).status_code == 403
    assert staff.get(url, {"business": ""}).status_code == 403  # consolidated is for owner and accountant


# --- admin scoping -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_stock_screens_answer_the_owner_and_refuse_staff_of_another_business(login):
    sugar, sachet = item("shop", "S-SUGAR-1KG"), item("water", "W-SACHET")
    put(sugar, 10), put(sachet, 50)
    store = Location.objects.create(business=sugar.business, name="Store")
    transfer = stock.transfer_stock(sugar, shelf("shop"), store, 1)
    shop_count, water_count = stock.start_count(shelf("shop")), stock.start_count(shelf("water"))
    level = StockLevel.objects.get(item=sugar, location=store)
    shop_pages = [reverse("admin:inventory_stocklevel_change", args=[level.pk]),
                  reverse("admin:inventory_stockmovement_change", args=[sugar.movements.first().pk]),
                  reverse("admin:inventory_location_change", args=[store.pk]),
                  reverse("admin:inventory_stockcount_change", args=[shop_count.pk]),
                  reverse("admin:inventory_transfer_change", args=[transfer.pk])]
    owner = login("owner")
    assert [owner.get(url).status_code for url in shop_pages] == [200] * 5

    grant("water_staff", "view_stocklevel", "add_stocklevel", "change_stocklevel", "view_stockmovement",
          "view_location", "view_stockcount", "change_stockcount", "view_transfer")
    staff = login("water_staff")
    assert [staff.get(url).status_code for url in shop_pages] == [403] * 5
    assert staff.get(reverse("admin:inventory_stockcount_change", args=[water_count.pk])).status_code == 200
    levels = staff.get(reverse("admin:inventory_stocklevel_changelist")).content.decode()
    assert "500 ml sachet" in levels and "Sugar 1 kg" not in levels
    add_level = staff.get(reverse("admin:inventory_stocklevel_add")).content.decode()
    assert "Sugar 1 kg" not in add_level and "500 ml sachet" in add_level  # item choices are scoped


@pytest.mark.django_db
def test_reorder_level_is_editable_and_quantity_is_not(login):
    sugar = item("shop", "S-SUGAR-1KG")
    put(sugar, 10)
    level = StockLevel.objects.get(item=sugar)
    url = reverse("admin:inventory_stocklevel_change", args=[level.pk])
    assert login("owner").post(url, {"reorder_level": "4", "quantity": "999"}).status_code == 302
    level.refresh_from_db()
    assert (level.reorder_level, level.quantity) == (4, 10)
    assert login("accountant").post(url, {"reorder_level": "1"}).status_code == 403


@pytest.mark.django_db
def test_staff_count_their_own_stock_but_leave_posting_and_transfers_to_approval(login):
    water_staff = User.objects.get(username="water_staff")
    assert water_staff.has_perms(["inventory.add_stockcount", "inventory.change_stockcount",
                                  "inventory.view_stocklevel", "inventory.view_transfer"])
    assert not water_staff.has_perm("inventory.post_stockcount")
    assert not water_staff.has_perm("inventory.add_transfer")  # they ask through Approvals instead
    staff = login("water_staff")
    add = reverse("admin:inventory_stockcount_add")
    water, shop = shelf("water"), shelf("shop")
    page = staff.get(add).content.decode()
    assert f'value="{water.pk}"' in page and f'value="{shop.pk}"' not in page  # only their locations
    assert staff.post(add, {"location": shop.pk, "note": ""}).status_code == 200  # refused on the form
    assert not StockCount.objects.exists()
    response = staff.post(add, {"location": water.pk, "note": "Friday count"})
    assert response.status_code == 302 and StockCount.objects.get().location == water
