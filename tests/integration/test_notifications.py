"""Notifications on real PostgreSQL: delivery on commit only, recipients by user / role / business,
opt-outs, throttling under concurrency, the core events, the bell and its endpoints, and that
nobody ever reads or marks another user's notifications."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from fixtures.demo import seed
from modules.core.businesses.models import Business
from modules.core.inventory import services as stock
from modules.core.inventory.models import Item, StockLevel, StockMovement
from modules.core.inventory.kinds import LOW_STOCK
from modules.core.notifications import jobs
from modules.core.notifications import services as notifications
from modules.core.notifications.models import Notification, Throttle
from modules.core.payments import services as payments
from modules.core.payments.kinds import PAYMENT_FAILED, PAYMENT_RECEIVED
from modules.core.payments.models import StkRequest
from modules.core.registry import registry
from tests.conftest import PASSWORD

LOW = LOW_STOCK
WARN = notifications.SYSTEM_WARNING


@pytest.fixture
def people(transactional_db):
    seed(PASSWORD, opening_stock=False)
    return {u.username: u for u in User.objects.all()}


def received(kind=None, **filters):
    rows = Notification.objects.filter(**filters)
    if kind:
        rows = rows.filter(kind=kind)
    return sorted(rows.values_list("recipient__username", flat=True))


def milk():
    return Item.objects.select_related("business").get(business__code="shop", sku="S-MILK-500")


def move(item, quantity):
    with transaction.atomic():
        stock.move_stock(item, stock.default_location(item.business), quantity, StockMovement.Kind.ADJUSTMENT,
                         reason="test")


# --- the contract -------------------------------------------------------------------------------

def test_core_kinds_are_declared_in_the_registry():
    keys = {k.key for k in registry.notification_kinds()}
    assert {"inventory.low_stock", "payments.received", "payments.failed", "approvals.requested",
            "approvals.decided", "system.warning"} <= keys
    assert registry.notification_kind(LOW).label == "Low stock"
    schedule = next(s for s in registry.schedules() if s.name == "notifications.prune")
    assert schedule.cron and schedule.job == "modules.core.notifications.jobs.prune"


def test_an_undeclared_kind_is_refused(people):
    with pytest.raises(notifications.UnknownKind):
        notifications.send("nobody.declared_this", to="Owner", message="x")


# --- delivery on commit -------------------------------------------------------------------------

def test_nothing_is_delivered_before_commit_nor_for_rolled_back_work(people):
    with transaction.atomic():
        notifications.send(WARN, to="Owner", message="Committed warning")
        assert not Notification.objects.exists(), "delivered before the transaction committed"
    assert received(WARN) == ["owner"]
    assert Notification.objects.get().message == "Committed warning"

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        notifications.send(WARN, to="Owner", message="Rolled back")
        raise Boom
    assert Notification.objects.filter(message="Rolled back").count() == 0
    assert Notification.objects.count() == 1


def test_recipients_by_user_role_and_business(people):
    notifications.send(WARN, to=people["shop_staff"], message="to a user")
    notifications.send(WARN, to=people["laundry_staff"].pk, message="to a user id")
    notifications.send(WARN, to="Accountant", message="to a role")
    notifications.send(WARN, to="water", message="to a business")
    notifications.send(WARN, to=Business.objects.get(code="shop"), message="to a Business")
    notifications.send(WARN, message="to the kind's default roles")
    assert received(message="to a user") == ["shop_staff"]
    assert received(message="to a user id") == ["laundry_staff"]
    assert received(message="to a role") == ["accountant"]
    assert received(message="to a business") == ["accountant", "owner", "water_staff"]
    assert received(message="to a Business") == ["accountant", "owner", "shop_staff"]
    assert received(message="to the kind's default roles") == ["owner"]


def test_a_business_drops_recipients_who_may_not_see_it(people):
    notifications.send(WARN, to=["Shop staff", "Water staff", "Owner", people["laundry_staff"]], business="water",
                       message="water only")
    assert received(message="water only") == ["owner", "water_staff"]


def test_inactive_users_receive_nothing(people):
    User.objects.filter(username="owner").update(is_active=False)
    notifications.send(WARN, to=["Owner", "Accountant"], message="hello")
    assert received(message="hello") == ["accountant"]


def test_a_user_who_switched_a_kind_off_receives_nothing_of_it(people):
    client = Client()
    client.force_login(people["owner"])
    page = client.get(reverse("admin:notifications:preferences"))
    assert page.status_code == 200 and "Low stock" in page.content.decode()
    enabled = [k.key for k in registry.notification_kinds() if k.key != LOW]
    response = client.post(reverse("admin:notifications:preferences"), {"kind": enabled})
    assert response.status_code == 302
    assert not notifications.receives(people["owner"], LOW) and notifications.receives(people["owner"], WARN)

    notifications.send(LOW, to=["Owner", "Accountant"], message="milk is low")
    notifications.send(WARN, to=["Owner", "Accountant"], message="disk is full")
    assert received(LOW) == ["accountant"]
    assert received(WARN) == ["accountant", "owner"]
    page = client.get(reverse("admin:notifications:preferences")).content.decode()
    assert f'value="{LOW}" class' in page and f'value="{WARN}" checked' in page


# --- throttling ---------------------------------------------------------------------------------

def test_the_same_kind_for_the_same_object_is_sent_once_per_window(people):
    a, b = milk(), Item.objects.get(business__code="shop", sku="S-SUGAR-1KG")
    for _ in range(3):
        notifications.send(WARN, to="Owner", message="milk", obj=a, throttle=600)
    notifications.send(WARN, to="Owner", message="sugar", obj=b, throttle=600)
    notifications.send(LOW, to="Owner", message="milk, another kind", obj=a, throttle=600)
    assert Notification.objects.filter(message="milk").count() == 1
    assert Notification.objects.filter(message="sugar").count() == 1
    assert Notification.objects.filter(message="milk, another kind").count() == 1

    # The window passes: the next one goes out, and starts a new window.
    Throttle.objects.filter(kind=WARN).update(last_sent_at=timezone.now() - timedelta(seconds=601))
    notifications.send(WARN, to="Owner", message="milk", obj=a, throttle=timedelta(minutes=10))
    notifications.send(WARN, to="Owner", message="milk", obj=a, throttle=timedelta(minutes=10))
    assert Notification.objects.filter(message="milk").count() == 2


def test_a_throttle_of_a_rolled_back_send_is_not_used_up(people):
    with pytest.raises(RuntimeError), transaction.atomic():
        notifications.send(WARN, to="Owner", message="milk", obj=milk(), throttle=600)
        raise RuntimeError
    notifications.send(WARN, to="Owner", message="milk", obj=milk(), throttle=600)
    assert Notification.objects.filter(message="milk").count() == 1


def test_thirty_concurrent_senders_deliver_once_per_window(people):
    item = milk()
    senders = 30
    barrier = threading.Barrier(senders, timeout=60)
    errors = []

    def send():
        try:
            with transaction.atomic():
                barrier.wait()
                notifications.send(WARN, to=["Owner", "Accountant"], message="race", obj=item, throttle=3600)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert received(message="race") == ["accountant", "owner"]  # one each, not 30 each
    assert Throttle.objects.filter(kind=WARN).count() == 1


# --- the core events ----------------------------------------------------------------------------

def test_low_stock_notifies_the_business_staff_and_the_owner(people):
    item = milk()
    move(item, 10)
    StockLevel.objects.filter(item=item).update(reorder_level=5)
    move(item, -6)  # 4 left: low
    assert received(LOW) == ["owner", "shop_staff"]
    note = Notification.objects.filter(kind=LOW).first()
    assert note.message == f"Low stock: Milk 500 ml at Shop floor, 4 {item.unit} left"
    assert note.business_code == "shop"
    assert note.link == reverse("admin:inventory_item_change", args=[item.pk])
    move(item, -1)  # still low, same day: inventory alerts once
    assert Notification.objects.filter(kind=LOW).count() == 2


def test_a_rolled_back_sale_announces_no_low_stock(people):
    item = milk()
    move(item, 10)
    StockLevel.objects.filter(item=item).update(reorder_level=5)
    with pytest.raises(RuntimeError), transaction.atomic():
        stock.move_stock(item, stock.default_location(item.business), -8, StockMovement.Kind.ADJUSTMENT)
        raise RuntimeError("the sale failed later")
    assert not Notification.objects.exists()


def test_mpesa_payment_received_and_failed(people, settings):
    water = Business.objects.get(code="water")
    invoice = payments.issue_invoice(water, description="Delivery", amount="450", customer_phone="0712345670")
    payments.record_payment(invoice, method="cash", amount="50")
    assert not Notification.objects.exists(), "cash at the counter is not announced"
    payments.record_payment(invoice, method="mpesa", amount="400", payer_phone="254712345670",
                            mpesa_receipt="TKA1B2C3D4")
    assert received(PAYMENT_RECEIVED) == ["owner"]
    note = Notification.objects.get(kind=PAYMENT_RECEIVED)
    assert note.message == f"M-Pesa KES 400.00 received from 254712345670 for INV{invoice.pk} (TKA1B2C3D4)"

    stk = StkRequest.objects.create(business=water, document=invoice, phone="254712345671", amount=450,
                                    requested_by=people["water_staff"], merchant_request_id="m-1",
                                    checkout_request_id=f"ws_CO_{uuid.uuid4().hex[:12]}")
    body = {"Body": {"stkCallback": {"MerchantRequestID": "m-1", "CheckoutRequestID": stk.checkout_request_id,
                                     "ResultCode": 1032, "ResultDesc": "Request cancelled by user"}}}
    assert payments.handle_callback(body) == "settled"
    assert received(PAYMENT_FAILED) == ["owner", "water_staff"]
    note = Notification.objects.filter(kind=PAYMENT_FAILED).first()
    assert note.message == "M-Pesa KES 450 from 254712345671 not paid: cancelled by the customer"
    assert note.link == reverse("admin:payments:stk_wait", args=[stk.pk])


def test_delivery_needs_no_redis(people, settings, tmp_path):
    """Rows go straight to PostgreSQL: a dead Redis loses nothing, and the bell still answers."""
    dead = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/1", "RETRY_AFTER": 0}}
    queues = {"default": {**settings.RQ_QUEUES["default"], "URL": "redis://127.0.0.1:1/0"}}
    with override_settings(CACHES=dead, RQ_QUEUES=queues):
        item = milk()
        move(item, 10)
        StockLevel.objects.filter(item=item).update(reorder_level=5)
        move(item, -6)
        client = Client()
        client.force_login(people["owner"])
        bell = client.get(reverse("admin:notifications:bell"))
    assert received(LOW) == ["owner", "shop_staff"]
    assert bell.status_code == 200 and b'data-unread="1"' in bell.content


# --- the bell, the list, marking read -----------------------------------------------------------

def owner_client(people):
    client = Client()
    client.force_login(people["owner"])
    return client


def test_the_bell_is_in_the_header_of_admin_pages(people):
    for n in range(3):
        notifications.send(WARN, to="Owner", message=f"warning {n}")
    client = owner_client(people)
    for url in [reverse("admin:index"), reverse("admin:inventory_item_changelist"),
                reverse("admin:inventory:valuation"), reverse("admin:notifications:list")]:
        page = client.get(url).content.decode()
        assert 'id="bo-bell"' in page, url
        assert 'data-unread="3"' in page and "data-bell-count>3<" in page, url
        assert reverse("admin:live:poll") in page  # the page's one poll keeps the bell fresh


def test_the_bell_fragment_counts_lists_eight_and_toasts_what_is_new(people):
    for n in range(10):
        notifications.send(WARN, to="Owner", message=f"warning {n}")
    client = owner_client(people)
    ids = list(Notification.objects.order_by("pk").values_list("pk", flat=True))
    page = client.get(reverse("admin:notifications:bell")).content.decode()
    assert 'data-unread="10"' in page and page.count("data-notification=") == 8
    assert "just now" in page
    assert "warning 9" in page and "warning 1<" not in page
    assert "data-toast" not in page, "no toasts without ?since"
    page = client.get(reverse("admin:notifications:bell"), {"since": ids[6]}).content.decode()
    assert [f'data-toast="{pk}"' in page for pk in ids[6:]] == [False, True, True, True]
    page = client.get(reverse("admin:notifications:bell"), {"since": ids[-1]}).content.decode()
    assert "data-toast" not in page
    assert client.get(reverse("admin:notifications:bell"), {"since": "junk"}).status_code == 200
    assert client.get(reverse("admin:notifications:bell"))["X-Bell"] == "1"


def test_mark_one_and_all_read(people):
    for n in range(3):
        notifications.send(WARN, to="Owner", message=f"warning {n}", link="/admin/inventory/item/")
    first, second, third = Notification.objects.order_by("pk")
    client = owner_client(people)
    assert client.get(reverse("admin:notifications:read", args=[first.pk])).status_code == 405
    response = client.post(reverse("admin:notifications:open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == "/admin/inventory/item/"
    response = client.post(reverse("admin:notifications:read", args=[second.pk]),
                           {"next": reverse("admin:notifications:list")})
    assert response.status_code == 302 and response["Location"] == reverse("admin:notifications:list")
    assert notifications.unread_count(people["owner"]) == 1
    page = client.get(reverse("admin:notifications:list"), {"unread": "1"}).content.decode()
    listing = page.split("data-notifications>")[1]  # the page, not the bell in its header
    assert "warning 2" in listing and "warning 0" not in listing and "warning 1" not in listing
    bell = client.post(reverse("admin:notifications:read_all"), HTTP_HX_REQUEST="true")
    assert bell.status_code == 200 and b'data-unread="0"' in bell.content
    assert notifications.unread_count(people["owner"]) == 0
    first.refresh_from_db()
    read_at = first.read_at
    client.post(reverse("admin:notifications:read", args=[first.pk]))
    first.refresh_from_db()
    assert first.read_at == read_at, "reading twice keeps the first time"


def test_marking_read_needs_the_csrf_token(people):
    notifications.send(WARN, to="Owner", message="csrf")
    note = Notification.objects.get()
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["owner"])
    for url in [reverse("admin:notifications:read", args=[note.pk]), reverse("admin:notifications:read_all"),
                reverse("admin:notifications:open", args=[note.pk])]:
        assert client.post(url).status_code == 403, url
    note.refresh_from_db()
    assert note.read_at is None


@pytest.mark.parametrize("username", ["owner", "accountant", "water_staff", "laundry_staff", "shop_staff"])
def test_every_user_sees_and_marks_only_their_own(people, username):
    notifications.send(WARN, to=list(people.values()), message="for everyone")
    for other in people.values():
        notifications.send(WARN, to=other, message=f"private to {other.username}")
    user = people[username]
    client = Client()
    client.force_login(user)
    mine = Notification.objects.filter(recipient=user)
    theirs = Notification.objects.exclude(recipient=user)
    for url in [reverse("admin:notifications:list"), reverse("admin:notifications:bell"), reverse("admin:index")]:
        page = client.get(url).content.decode()
        assert f"private to {username}" in page, url
        assert not [o for o in people if o != username and f"private to {o}<" in page], url
    for note in theirs:
        for name in ("open", "read"):
            assert client.post(reverse(f"admin:notifications:{name}", args=[note.pk])).status_code == 404
    client.post(reverse("admin:notifications:read_all"))
    assert not mine.filter(read_at__isnull=True).exists()
    assert theirs.filter(read_at__isnull=True).count() == theirs.count(), "marked someone else's as read"


def test_anonymous_users_are_sent_to_login(people):
    client = Client()
    for url in [reverse("admin:notifications:list"), reverse("admin:notifications:bell"),
                reverse("admin:notifications:preferences")]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_open_link_never_leaves_the_site(people):
    notifications.send(WARN, to="Owner", message="evil", link="https://evil.example/")
    note = Notification.objects.get()
    response = owner_client(people).post(reverse("admin:notifications:open", args=[note.pk]))
    assert response["Location"] == reverse("admin:notifications:list")


# --- retention ----------------------------------------------------------------------------------

def test_prune_keeps_180_days(people):
    for n in range(3):
        notifications.send(WARN, to="Owner", message=f"n{n}")
    old, edge, new = Notification.objects.order_by("pk")
    now = timezone.now()
    Notification.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=181))
    Notification.objects.filter(pk=edge.pk).update(created_at=now - timedelta(days=179))
    assert jobs.prune() == 1
    assert sorted(Notification.objects.values_list("message", flat=True)) == ["n1", "n2"]


def test_system_checks_refuse_duplicate_kinds_and_unknown_roles():
    from modules.core.notifications.checks import declared_kinds
    from modules.core.registry.contract import NotificationKind

    assert declared_kinds() == []
    bad = [*registry.notification_kinds(), NotificationKind(LOW, "Again"), NotificationKind("x.y", "X", ("Nobody",))]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(registry, "notification_kinds", lambda: bad)
        assert sorted(e.id for e in declared_kinds()) == ["notifications.E001", "notifications.E002"]
