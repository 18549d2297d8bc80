"""The live poll: 304 without PostgreSQL while nothing moved, versions bumped on commit, money never stale."""

import re
import threading
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from modules.core.businesses.models import Business
from modules.core.inventory.models import Item
from modules.core.live import services as live
from modules.core.notifications import services as notifications
from modules.core.notifications.models import Notification
from modules.core.sales import services as sales
from tests.integration.test_redis_down import private_redis  # noqa: F401  (fixture)

URL = "/admin/live/"


def sell(sku="W-REFILL-20"):
    item = Item.objects.get(sku=sku)
    sale, _ = sales.create_sale(business=item.business, client_uuid=uuid.uuid4(),
                                lines=[sales.SaleLineInput(item.pk, Decimal(1))])
    return sale


@pytest.mark.django_db
def test_a_poll_says_which_bell_it_brings_so_the_page_keeps_an_equal_one(login):
    """live.js swaps the page's bell on the first answer only when its newest id or unread count differ."""
    client = login("owner")
    for n in range(2):
        Notification.objects.create(recipient=User.objects.get(username="owner"), kind=notifications.SYSTEM_WARNING,
                                    message=f"warning {n}")
    page = client.get(reverse("admin:index")).content.decode()
    shown = re.search(r'data-newest="(\d+)" data-unread="(\d+)"', page).groups()
    body = client.get(URL).json()
    assert (str(body["newest"]), str(body["unread"])) == shown and shown[1] == "2" and shown[0] != "0"
    assert f'data-newest="{body["newest"]}" data-unread="{body["unread"]}"' in body["bell"]


@pytest.mark.django_db
def test_an_unchanged_poll_is_a_304_without_the_database(login):
    client = login("owner")
    first = client.get(URL)
    assert first.status_code == 200 and first["ETag"]
    assert set(first.json()["versions"]) == {"u%d" % User.objects.get(username="owner").pk,
                                             "b:water", "b:laundry", "b:shop"}
    with CaptureQueriesContext(connection) as queries:
        again = client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert [q["sql"] for q in queries.captured_queries] == []
    header_bytes = sum(len(k) + len(v) + 4 for k, v in again.headers.items()) + len("HTTP/1.1 304 Not Modified\r\n")
    assert header_bytes <= 300, dict(again.headers)


@pytest.mark.django_db(transaction=True)
def test_a_commit_moves_only_the_business_that_changed(stocked, client):
    client.force_login(User.objects.get(username="shop_staff"))
    etag = client.get(URL)["ETag"]
    sell("W-REFILL-20")  # water: the shop's staff do not watch it
    assert client.get(URL, HTTP_IF_NONE_MATCH=etag).status_code == 304
    before = client.get(URL).json()["versions"]["b:shop"]
    with transaction.atomic():
        sell("S-BREAD-400")
        assert client.get(URL, HTTP_IF_NONE_MATCH=etag).status_code == 304  # not committed yet
    moved = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert moved.status_code == 200 and moved.json()["versions"]["b:shop"] > before


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_sale_moves_nothing(demo, client):
    client.force_login(User.objects.get(username="owner"))
    etag = client.get(URL)["ETag"]
    with pytest.raises(RuntimeError), transaction.atomic():
        sell()
        raise RuntimeError("the counter dropped the phone")
    assert client.get(URL, HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.django_db
def test_with_redis_killed_the_poll_answers_in_full(demo, client, private_redis):  # noqa: F811
    client.force_login(User.objects.get(username="owner"))
    private_redis.kill()
    response = client.get(URL, HTTP_IF_NONE_MATCH='"anything"')
    assert response.status_code == 200 and response.json()["versions"] == {}
    assert client.get(reverse("admin:widget", args=["sales.today"])).status_code == 200


@pytest.mark.django_db
def test_signed_out_polls_get_401(client):
    assert client.get(URL).status_code == 401


@pytest.mark.django_db
def test_a_lost_version_restarts_above_every_earlier_one(demo):
    scope = live.business_scope("water")
    live.bump(scope)
    before = live.versions([scope])[scope]
    from django.core.cache import cache

    cache.delete("live:v:" + scope)  # evicted, or Redis restarted without its data
    assert live.versions([scope])[scope] > before


@pytest.mark.django_db(transaction=True)
def test_no_poll_shows_a_total_without_an_already_committed_sale(demo):
    """1,000 sale-then-poll pairs from 10 concurrent writers: each poll of the owner's "Today" widget
    must count at least every sale whose create_sale() had returned before the poll started."""
    committed, lock, stale, errors = [0], threading.Lock(), [], []
    owner = User.objects.get(username="owner")
    refill = Item.objects.get(sku="W-REFILL-20")
    water = Business.objects.get(code="water")
    widget_url = reverse("admin:widget", args=["sales.today"])

    def writer():
        client = Client()
        client.force_login(owner)
        try:
            for _ in range(100):
                sales.create_sale(business=water, client_uuid=uuid.uuid4(), lines=[sales.SaleLineInput(refill.pk, 1)])
                with lock:
                    committed[0] += 1
                    at_least = committed[0]
                page = client.get(widget_url).content.decode()
                shown = int(re.search(r'data-business="water">.*?data-sales>(\d+)<', page, re.S).group(1))
                if shown < at_least:
                    stale.append((shown, at_least))
        except Exception as error:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert committed[0] == 1000 and stale == []
    print(f"\n[live] 1000 sale-then-poll pairs, 10 writers: {len(stale)} stale polls")
