"""Anonymous callers cannot fill the database or the log: forged callbacks are counted on one
security-event row per address, kind and minute (parallel requests included), refused addresses
are rate-limited in the Redis cache, and neither a limit nor Redis down ever loses a genuine callback."""

import json
import threading
import time
from datetime import datetime, timedelta

import pytest
import requests
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from modules.core.payments.models import Payment
from modules.core.system.models import SecurityEvent
from tests.integration.test_payments import TOKEN, invoice, pending_request, success_body  # noqa: F401
from tests.integration.test_redis_down import private_redis  # noqa: F401

FORGED = f"/payments/mpesa/callback/{TOKEN[:-1]}x/"
GENUINE = f"/payments/mpesa/callback/{TOKEN}/"


def events(kind):
    return SecurityEvent.objects.filter(kind=kind)


def within_one_minute():
    """Start where the minute has at least 20 s left, so one burst falls in one minute."""
    if datetime.now().second > 40:
        time.sleep(61 - datetime.now().second)


@pytest.mark.django_db(transaction=True)
def test_parallel_forged_callbacks_make_one_counted_row(live_server, settings):
    settings.MPESA_CALLBACK_TOKEN = TOKEN
    settings.MPESA_CALLBACK_REFUSALS_PER_MINUTE = 1000  # counting, not limiting, here
    statuses, barrier = [], threading.Barrier(20)

    def forge():
        session = requests.Session()
        barrier.wait()
        for _ in range(3):
            statuses.append(session.post(live_server.url + FORGED, json={"Body": {}}, timeout=30).status_code)

    within_one_minute()
    threads = [threading.Thread(target=forge) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [403] * 60
    row = events("mpesa.bad_token").get()
    assert (row.count, row.ip_address, row.message) == (60, "127.0.0.1", "Callback with a wrong token")
    assert row.minute == row.created_at.replace(second=0, microsecond=0)


@pytest.mark.django_db
def test_a_refused_address_is_rate_limited_but_a_genuine_callback_still_pays(invoice, client, settings):  # noqa: F811
    settings.MPESA_CALLBACK_TOKEN = TOKEN
    settings.MPESA_CALLBACK_REFUSALS_PER_MINUTE = 5
    within_one_minute()
    answers = [client.post(FORGED, "{}", content_type="application/json", REMOTE_ADDR="41.90.1.1")
               for _ in range(9)]
    assert [a.status_code for a in answers] == [403] * 5 + [429] * 4
    assert answers[-1]["Retry-After"] == "60" and answers[-1].json()["ResultDesc"] == "Too many requests"
    assert events("mpesa.bad_token").get().count == 5  # past the limit nothing more is written
    assert events("mpesa.rate_limited").get().count == 1
    # another address is not limited; the same /64 of an IPv6 subscriber is one address
    assert client.post(FORGED, "{}", content_type="application/json", REMOTE_ADDR="41.90.1.2").status_code == 403
    for n in range(6):
        last = client.post(FORGED, "{}", content_type="application/json", REMOTE_ADDR=f"2001:db8:1:2::{n + 1}")
    assert last.status_code == 429

    stk = pending_request(invoice)
    paid = client.post(GENUINE, json.dumps(success_body(stk)), content_type="application/json",
                       REMOTE_ADDR="41.90.1.1")
    assert paid.status_code == 200 and paid.json()["ResultCode"] == 0
    stk.refresh_from_db()
    assert stk.status == "success" and Payment.objects.count() == 1


@pytest.mark.django_db
def test_with_redis_killed_refusals_are_still_counted_and_genuine_callbacks_pay(invoice, client, settings,  # noqa: F811
                                                                                private_redis):  # noqa: F811
    settings.MPESA_CALLBACK_TOKEN = TOKEN
    settings.MPESA_CALLBACK_REFUSALS_PER_MINUTE = 2
    private_redis.kill()
    within_one_minute()
    answers = [client.post(FORGED, "{}", content_type="application/json", REMOTE_ADDR="41.90.1.1").status_code
               for _ in range(5)]
    assert answers == [403] * 5  # the limit fails open: no cache, no limit, and no 500
    assert events("mpesa.bad_token").get().count == 5
    stk = pending_request(invoice)
    paid = client.post(GENUINE, json.dumps(success_body(stk)), content_type="application/json",
                       REMOTE_ADDR="41.90.1.1")
    assert paid.status_code == 200
    stk.refresh_from_db()
    assert stk.status == "success" and Payment.objects.count() == 1


@pytest.mark.django_db
def test_each_minute_and_each_kind_gets_its_own_row(client, settings):
    settings.MPESA_CALLBACK_TOKEN = TOKEN
    settings.MPESA_CALLBACK_ALLOWED_IPS = ["196.201.214.200"]
    client.post(FORGED, "{}", content_type="application/json", REMOTE_ADDR="41.90.1.1")
    client.post(GENUINE, "{}", content_type="application/json", REMOTE_ADDR="41.90.1.1")
    SecurityEvent.objects.bulk_create([SecurityEvent(  # an older minute, as the app would have written it
        kind="mpesa.bad_token", message="earlier", ip_address="41.90.1.1", count=3,
        minute=timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=1))])
    client.post(FORGED, "{}", content_type="application/json", REMOTE_ADDR="41.90.1.1")
    assert sorted(events("mpesa.bad_token").values_list("count", flat=True)) == [2, 3]
    assert events("mpesa.ip_not_allowed").get().count == 1
    assert SecurityEvent.objects.aggregate(total=Sum("count"))["total"] == 6


@pytest.mark.django_db
def test_forged_sms_callbacks_are_counted_and_rate_limited_too(client, settings):
    settings.SMS_CALLBACK_REFUSALS_PER_MINUTE = 3
    within_one_minute()
    forged = reverse("sms:incoming", args=["wrong-token"])
    answers = [client.post(forged, {"from": "+254712000000", "text": "STOP"}, REMOTE_ADDR="41.90.3.3")
               for _ in range(5)]
    assert [a.status_code for a in answers] == [403] * 3 + [429] * 2 and answers[-1]["Retry-After"] == "60"
    assert events("sms.bad_token").get().count == 3 and events("sms.rate_limited").get().count == 1
