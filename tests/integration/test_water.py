"""Water: production from recipes, returnable bottles with deposits, deliveries paid on delivery,
widgets, exports, and scoping. Exact KES and stock figures; the books balance after every flow."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import transaction
from django.urls import reverse

from fixtures.demo import seed
from modules.core.businesses.models import Business
from modules.core.inventory.models import Item, StockMovement
from modules.core.inventory.services import default_location, on_hand, valuation
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account, JournalEntry
from modules.core.ledger.services import LedgerError
from modules.core.payments import services as payments
from modules.core.sales.models import Sale
from modules.water import resources, services
from modules.water.models import BottleMovement, DeliveryOrder, ProductionBatch, Recipe
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def water():
    return Business.objects.get(code="water")


def item(sku):
    return Item.objects.get(sku=sku)


def stock(sku):
    return on_hand(item(sku), default_location(water()))


def balance(code):
    return ledger.balance(Account.objects.get(business__code="water", code=code))


def assert_books_balance():
    totals = ledger.totals()
    assert totals["debit"] == totals["credit"]
    for business in Business.objects.all():
        rows = ledger.trial_balance(business)
        assert sum(r["debit"] for r in rows) == sum(r["credit"] for r in rows)


def recipe(sku):
    return Recipe.objects.get(business__code="water", product__sku=sku)


def batch(sku, planned, **fields):
    return ProductionBatch.objects.create(business=water(), recipe=recipe(sku), planned_quantity=planned, **fields)


def as_user(client, username):
    client.force_login(User.objects.get(username=username))
    return client


# --- demo ------------------------------------------------------------------------------------

def test_the_demo_declares_materials_recipes_and_the_deposit_account(demo):
    assert JournalEntry.objects.count() == 0 and not StockMovement.objects.exists()  # no activity without stock
    materials = Item.objects.filter(business__code="water", sku__startswith="W-RM-")
    assert materials.count() == 10 and not materials.filter(is_active=True).exists()  # off the quick sale
    assert item("W-RM-CAP-20L").cost == Decimal("8.0000")
    assert {r.product.sku for r in Recipe.objects.all()} == {"W-PACK-500x24", "W-PACK-1Lx12", "W-BOTTLE-20",
                                                             "W-SACHET"}
    assert recipe("W-PACK-500x24").lines.count() == 4
    deposits = Account.objects.get(business__code="water", code=services.BOTTLE_DEPOSITS)
    assert (deposits.name, deposits.kind) == ("Bottle deposits", "liability")
    seed(PASSWORD, opening_stock=False)  # idempotent
    assert Recipe.objects.count() == 4 and materials.count() == 10


def test_demo_activity_is_believable_balanced_and_idempotent(db):
    seed(PASSWORD, activity=True)  # as `manage.py seed_demo` (make run) does
    batches = ProductionBatch.objects.filter(business__code="water")
    assert batches.filter(status="posted").count() == 8 and batches.filter(status="running").count() == 1
    planned = batches.get(status="planned")
    assert services.shortages(planned.recipe, planned.planned_quantity)[0].startswith(
        "Not enough Caps 20 L for 500 bottles of 20 L bottle with water (need 500, have ")
    assert services.bottles_out(water()) == 18
    assert balance(services.BOTTLE_DEPOSITS) == Decimal("9000.00")  # 19 lent × 500, one refunded
    assert DeliveryOrder.objects.filter(status="delivered").get().sale.total == Decimal("240.00")
    assert_books_balance()
    entries = JournalEntry.objects.count()
    seed(PASSWORD, activity=True)
    assert JournalEntry.objects.count() == entries and batches.count() == 10


# --- production ------------------------------------------------------------------------------

def test_a_shortage_is_named_before_starting(stocked):
    big = batch("W-BOTTLE-20", 500)
    assert services.shortages(big.recipe, 500) == [
        "Not enough Caps 20 L for 500 bottles of 20 L bottle with water (need 500, have 320)"]
    assert services.shortages(big.recipe, 320) == []
    with pytest.raises(services.WaterError) as refused:
        services.start_batch(big)
    assert "Caps 20 L for 500 bottles" in " ".join(refused.value.messages)
    big.refresh_from_db()
    assert big.status == "planned" and big.started_at is None


def test_posting_a_batch_consumes_materials_produces_goods_at_material_cost(stocked):
    user = User.objects.get(username="water_staff")
    run = services.start_batch(batch("W-PACK-500x24", 12), user)
    assert run.status == "running" and run.operator == "Akinyi"
    inventory_before = balance(chart.INVENTORY)
    valued_before = valuation("water")["total"]

    posted = services.post_batch(run, produced=10, rejects=2, user=user)

    # 12 packs' materials: 288 preforms × 3.20, caps × 0.60, labels × 0.40, 0.48 kg film × 260
    assert (posted.material_cost, posted.wastage_cost, posted.unit_cost) == (
        Decimal("1334.40"), Decimal("222.40"), Decimal("111.2000"))
    assert (stock("W-RM-PREFORM-500"), stock("W-RM-CAP-28"), stock("W-RM-SHRINK")) == (29712, 39712, Decimal("199.52"))
    assert stock("W-PACK-500x24") == 70
    assert item("W-PACK-500x24").cost == Decimal("273.0286")  # (60 × 300 + 1,112) / 70
    kinds = StockMovement.objects.filter(source_id=str(posted.pk), item__business__code="water")
    assert sorted(kinds.values_list("kind", flat=True)) == ["consume"] * 4 + ["produce"]
    # only the rejects' materials leave Inventory, as a stock loss
    assert balance(chart.STOCK_LOSSES) == Decimal("222.40")
    assert balance(chart.INVENTORY) == inventory_before - Decimal("222.40")
    assert valuation("water")["total"] == valued_before - Decimal("222.40")
    assert posted.status == "posted" and posted.ended_at and posted.posted_by == user
    assert_books_balance()


def test_posting_twice_does_nothing_twice(stocked):
    first = services.post_batch(batch("W-PACK-1Lx12", 10), produced=10)
    movements, entries, cost = StockMovement.objects.count(), JournalEntry.objects.count(), item("W-PACK-1Lx12").cost
    again = services.post_batch(first, produced=99, rejects=5)
    assert again.quantity_produced == 10 and again.rejects == 0
    assert (StockMovement.objects.count(), JournalEntry.objects.count()) == (movements, entries)
    assert item("W-PACK-1Lx12").cost == cost and stock("W-PACK-1Lx12") == 60
    assert entries == JournalEntry.objects.count()  # no rejects: no entry at all


def test_a_batch_that_cannot_be_made_posts_nothing(stocked):
    big = batch("W-BOTTLE-20", 300)
    movements, entries = StockMovement.objects.count(), JournalEntry.objects.count()
    with pytest.raises(services.WaterError) as refused:
        services.post_batch(big, produced=320, rejects=10)  # 330 bottles: only 320 caps
    assert refused.value.messages == [
        "Not enough Caps 20 L for 330 bottles of 20 L bottle with water (need 330, have 320)"]
    big.refresh_from_db()
    assert big.status == "planned" and big.quantity_produced is None
    assert (StockMovement.objects.count(), JournalEntry.objects.count()) == (movements, entries)
    assert stock("W-RM-CAP-20L") == 320 and stock("W-BOTTLE-20") == 40
    with pytest.raises(services.WaterError):
        services.post_batch(big, produced=0, rejects=0)


def test_production_today_counts_good_units_against_the_target(stocked):
    services.post_batch(batch("W-SACHET", 1000), produced=980, rejects=20)
    rows = {row["recipe"].product.sku: row for row in services.production_today(water())}
    assert (rows["W-SACHET"]["made"], rows["W-SACHET"]["target"], rows["W-SACHET"]["percent"]) == (980, 3000, 32)
    assert rows["W-PACK-500x24"]["made"] == 0


# --- bottles and deposits --------------------------------------------------------------------

def test_a_cash_deposit_is_a_liability_and_a_refund_pays_it_back(stocked):
    deposit = services.take_deposit(water(), "0712 345 678", 2, name="Mama Njeri")
    assert deposit.amount == Decimal("1000.00") and deposit.paid_at is not None
    assert balance(chart.CASH) == Decimal("1000.00")
    assert balance(services.BOTTLE_DEPOSITS) == Decimal("1000.00") and balance(chart.RECEIVABLES) == 0
    assert balance(chart.SALES) == 0  # a deposit is not revenue

    refund = services.refund_deposit(water(), "+254712345678", 1)
    assert refund.amount == Decimal("500.00")
    assert balance(chart.CASH) == Decimal("500.00") and balance(services.BOTTLE_DEPOSITS) == Decimal("500.00")
    assert services.bottle_balance(water(), "0712345678") == {
        "phone": "254712345678", "name": "Mama Njeri", "out": 2, "returned": 1, "held": 1,
        "deposit_held": Decimal("500.00"), "unpaid": Decimal("0.00")}
    with pytest.raises(services.WaterError, match="holds 1 bottle"):
        services.refund_deposit(water(), "0712345678", 2)
    assert_books_balance()


def test_an_mpesa_deposit_counts_once_paid_and_a_refund_needs_cash_in_the_till(stocked):
    deposit = services.take_deposit(water(), "0722 000 111", 1, method="mpesa")
    assert deposit.paid_at is None and balance(chart.RECEIVABLES) == Decimal("500.00")
    assert services.bottle_balance(water(), "0722000111")["deposit_held"] == 0
    with transaction.atomic():  # what the STK push settles to
        payments.record_payment(deposit, method="mpesa", amount=500, payer_phone="254722000111")
    deposit.refresh_from_db()
    assert deposit.paid_at is not None and balance(chart.MPESA) == Decimal("500.00")
    assert balance(chart.RECEIVABLES) == 0
    entries = JournalEntry.objects.count()
    with pytest.raises(LedgerError, match="Cash would go below zero"):
        services.refund_deposit(water(), "0722000111", 1)  # the till holds no cash
    assert JournalEntry.objects.count() == entries
    assert BottleMovement.objects.filter(kind="return").count() == 0
    assert_books_balance()


# --- deliveries ------------------------------------------------------------------------------

def new_delivery(**kwargs):
    return services.create_delivery(water(), phone="0733 123 450", name="Hotel Savanna", area="Westlands",
                                    address="Back gate", lines=[(item("W-PACK-1Lx12"), 2)], **kwargs)


def test_a_delivery_goes_out_and_is_paid_in_cash_on_delivery(stocked):
    order = new_delivery()
    assert order.status == "pending" and order.total == Decimal("840.00")
    with pytest.raises(services.WaterError, match="driver"):
        services.dispatch(order)
    order = services.dispatch(order, driver="Juma")
    assert order.status == "out" and order.dispatched_at
    order = services.deliver(order, method="cash")
    assert order.status == "delivered" and order.sale.total == Decimal("840.00") and order.sale.paid_at
    assert stock("W-PACK-1Lx12") == 48 and balance(chart.CASH) == Decimal("840.00")
    assert order.sale.customer.primary_phone == "254733123450"
    again = services.deliver(order, method="cash")
    assert again.sale_id == order.sale_id and Sale.objects.count() == 1 and stock("W-PACK-1Lx12") == 48
    with pytest.raises(services.WaterError):
        services.fail(order, reason="late")
    assert_books_balance()


def test_an_mpesa_delivery_is_sold_and_waits_for_the_money(stocked):
    order = services.deliver(new_delivery(), method="mpesa")
    assert order.sale.payment_method == "mpesa" and payments.amount_due(order.sale) == Decimal("840.00")
    assert balance(chart.RECEIVABLES) == Decimal("840.00") and balance(chart.CASH) == 0


def test_a_failed_delivery_sells_nothing(stocked):
    order = new_delivery()
    with pytest.raises(services.WaterError, match="why"):
        services.fail(order, reason=" ")
    order = services.fail(order, reason="Nobody home")
    assert order.status == "failed" and order.sale is None and Sale.objects.count() == 0
    with pytest.raises(services.WaterError):
        services.deliver(order, method="cash")
    assert stock("W-PACK-1Lx12") == 50


def test_delivering_more_than_is_in_stock_is_refused(stocked):
    order = services.create_delivery(water(), phone="0733123450", area="CBD", lines=[(item("W-BOTTLE-20"), 41)])
    with pytest.raises(services.WaterError, match="Only 40"):
        services.deliver(order, method="cash")
    order.refresh_from_db()
    assert order.status == "pending" and Sale.objects.count() == 0


# --- pages -----------------------------------------------------------------------------------

def test_staff_start_and_post_a_batch_on_its_page(stocked, client):
    as_user(client, "water_staff")
    response = client.post(reverse("admin:water_productionbatch_add"), {
        "recipe": recipe("W-PACK-500x24").pk, "planned_quantity": "5", "operator": "", "location": "", "note": ""})
    run = ProductionBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("admin:water:batch", args=[run.pk])
    assert run.business.code == "water" and run.created_by.username == "water_staff"
    page = client.get(reverse("admin:water:batch", args=[run.pk])).content.decode()
    assert "Preforms 500 ml" in page and "Start batch" in page
    client.post(reverse("admin:water:batch", args=[run.pk]), {"action": "start"})
    client.post(reverse("admin:water:batch", args=[run.pk]), {"action": "post", "produced": "5", "rejects": "0"})
    run.refresh_from_db()
    assert run.status == "posted" and stock("W-PACK-500x24") == 65
    assert client.get(reverse("admin:water_productionbatch_changelist")).status_code == 200
    # the shortage shows on the page and starting is refused with the message
    big = batch("W-BOTTLE-20", 500)
    response = client.post(reverse("admin:water:batch", args=[big.pk]), {"action": "start"}, follow=True)
    assert "Not enough Caps 20 L for 500 bottles" in response.content.decode()
    big.refresh_from_db()
    assert big.status == "planned"


def test_staff_take_and_refund_deposits_on_the_bottles_page(stocked, client):
    as_user(client, "water_staff")
    url = reverse("admin:water:bottles")
    response = client.post(url, {"action": "deposit", "phone": "0712 345 678", "name": "Wanjiku", "bottles": "3",
                                 "per_bottle": "500", "method": "cash"})
    assert response.status_code == 302 and response["Location"] == f"{url}?phone=254712345678"
    client.post(url, {"action": "refund", "phone": "254712345678", "bottles": "1"})
    page = client.get(url, {"phone": "0712345678"}).content.decode()
    assert 'data-held="2"' in page and "KES 1,000.00" in page
    assert balance(chart.CASH) == Decimal("1000.00") and balance(services.BOTTLE_DEPOSITS) == Decimal("1000.00")
    refused = client.post(url, {"action": "refund", "phone": "254712345678", "bottles": "5"}, follow=True)
    assert "holds 2 bottle(s) of ours, not 5" in refused.content.decode()


def test_staff_deliver_on_the_delivery_page(stocked, client):
    as_user(client, "water_staff")
    order = new_delivery()
    url = reverse("admin:water:delivery", args=[order.pk])
    client.post(url, {"action": "dispatch", "driver": "Juma"})
    client.post(url, {"action": "cash"})
    client.post(url, {"action": "cash"})  # a double tap
    order.refresh_from_db()
    assert order.status == "delivered" and Sale.objects.count() == 1 and order.sale.created_by.username == "water_staff"
    assert "W-000001" in client.get(url).content.decode()


def test_water_widgets_show_today(stocked, client):
    services.post_batch(batch("W-PACK-500x24", 40), produced=40)
    services.take_deposit(water(), "0712345678", 2)
    new_delivery()
    as_user(client, "water_staff")
    body = {key: client.get(reverse("admin:widget", args=[f"water.{key}"])).content.decode()
            for key in ("production", "takings", "deliveries", "bottles")}
    assert "40 / 100" in body["production"]
    assert 'data-takings="1000.00"' in body["takings"]
    assert "Westlands" in body["deliveries"] and "1 to deliver" in body["deliveries"]
    assert 'data-bottles-out="2"' in body["bottles"] and "KES 1,000.00" in body["bottles"]


# --- scoping ---------------------------------------------------------------------------------

@pytest.fixture
def records(stocked):
    run = services.post_batch(batch("W-SACHET", 100), produced=100)
    deposit = services.take_deposit(water(), "0712345678", 1)
    return {"productionbatch": run, "bottlemovement": deposit, "deliveryorder": new_delivery(),
            "recipe": recipe("W-SACHET")}


def pages(records):
    return [reverse("admin:water:batch", args=[records["productionbatch"].pk]),
            reverse("admin:water:delivery", args=[records["deliveryorder"].pk]), reverse("admin:water:bottles")]


@pytest.mark.parametrize("username", ["laundry_staff", "shop_staff"])
def test_other_business_staff_cannot_list_open_or_change_water_records(records, client, username):
    as_user(client, username)
    for model, obj in records.items():
        assert client.get(reverse(f"admin:water_{model}_changelist")).status_code == 403
        assert client.get(reverse(f"admin:water_{model}_change", args=[obj.pk])).status_code == 403
    for url in pages(records):
        assert client.get(url).status_code == 403
        assert client.post(url, {"action": "cash"}).status_code == 403
    for key in ("production", "takings", "deliveries", "bottles"):
        assert client.get(reverse("admin:widget", args=[f"water.{key}"])).status_code == 403


def test_scoping_holds_even_with_water_permissions(records, client):
    """A laundry attendant who was (wrongly) given water permissions still sees no water row."""
    user = User.objects.create_user("laundry_plus", password="x", is_staff=True)
    user.groups.set([Group.objects.get(name="Laundry staff")])
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="water"))
    client.force_login(user)
    for model, obj in records.items():
        listing = client.get(reverse(f"admin:water_{model}_changelist"))
        assert listing.status_code == 200 and listing.context_data["cl"].result_count == 0, model
        assert client.get(reverse(f"admin:water_{model}_change", args=[obj.pk])).status_code == 403
    for url in pages(records):
        assert client.get(url).status_code == 403
    order = records["deliveryorder"]
    assert client.post(reverse("admin:water:delivery", args=[order.pk]), {"action": "cash"}).status_code == 403
    order.refresh_from_db()
    assert order.status == "pending"


def test_the_accountant_reads_but_cannot_post_or_take_money(records, client):
    as_user(client, "accountant")
    run = records["productionbatch"]
    assert client.get(reverse("admin:water:batch", args=[run.pk])).status_code == 200
    assert client.get(reverse("admin:water:bottles")).status_code == 200
    fresh = batch("W-SACHET", 10)
    assert client.post(reverse("admin:water:batch", args=[fresh.pk]), {"action": "post", "produced": "10"}).status_code == 403
    assert client.post(reverse("admin:water:bottles"), {"action": "deposit", "phone": "0712345678",
                                                        "bottles": "1", "method": "cash"}).status_code == 403
    order = records["deliveryorder"]
    assert client.post(reverse("admin:water:delivery", args=[order.pk]), {"action": "cash"}).status_code == 403
    fresh.refresh_from_db()
    order.refresh_from_db()
    assert fresh.status == "planned" and order.status == "pending"


# --- exports ---------------------------------------------------------------------------------

def test_resources_export_the_main_records(records):
    services.deliver(records["deliveryorder"], method="cash")
    batches = resources.ProductionBatchResource().export()
    assert batches.headers[:3] == ["id", "recipe", "status"] and batches.dict[0]["quantity_produced"] == "100.000"
    assert resources.RecipeResource().export().dict[0]["product"]
    bottles = resources.BottleMovementResource().export().dict
    assert [(row["customer_phone"], row["kind"], row["amount"]) for row in bottles] == [
        ("254712345678", "issue", "500.00")]
    deliveries = resources.DeliveryOrderResource().export().dict
    assert (deliveries[0]["receipt"], deliveries[0]["total"], deliveries[0]["status"]) == (
        "W-000001", Decimal("840.00"), "delivered")  # a number, for spreadsheets


def test_client_uuid_of_a_delivery_is_the_sales_uuid(stocked):
    order = services.deliver(new_delivery(), method="cash")
    assert order.sale.client_uuid == order.client_uuid and isinstance(order.client_uuid, uuid.UUID)
