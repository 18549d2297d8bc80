"""Customer SMS through the outbox against the Africa's Talking simulator over real HTTP (the
official SDK, pytest-django's live server): each text at most once under a crashed worker and
gateway faults, opt-out and STOP replies honoured, delivery reports stored, the laundry's "ready
for collection" text with the balance, the monthly cost, and production refusing the simulator."""

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import psutil
import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.customers.models import Customer
from modules.core.inventory.models import Item
from modules.core.outbox import services as outbox
from modules.core.outbox.models import Message
from modules.core.sms import services as sms
from modules.core.sms.configuration import production_problems
from modules.core.sms.models import SmsMessage, SmsReply
from modules.core.sms.simulator.models import SimSms, SimSmsFault
from modules.laundry import services as laundry_services
from modules.laundry.handlers import text_the_customer_when_ready
from modules.water import services as water
from tests.db_urls import database_url
from tests.integration.test_laundry import drop_off, staff
from tests.integration.test_site_and_safety import production_env

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
PHONE = "254712480110"


@pytest.fixture
def sms_on(live_server, settings):
    """SMS on, the SDK talking to the simulator served by the live server."""
    settings.SMS_MODE = "simulator"
    settings.SMS_BASE_URL = f"{live_server.url}/sms-api/version1"
    settings.SMS_HTTP_TIMEOUT = 1.0
    settings.SMS_SIMULATOR_HANG_SECONDS = 1.5
    return settings


def laundry():
    return Business.objects.get(code="laundry")


def queue_faults(*kinds):
    for kind in kinds:
        SimSmsFault.objects.create(kind=kind)


def send_later(key="test:1", phone=PHONE, text="Habari: your order is on its way."):
    """A text queued with the outbox not run after commit (as when no worker has taken it yet)."""
    with override_settings(OUTBOX_EAGER=False), transaction.atomic():
        message = sms.send("test.kind", phone, text, business=laundry(), key=key)
    return message, Message.objects.get(topic=sms.TOPIC, key=message.key)


def run_again_when_due(outbox_message):
    """What the 30 s sweep does once the backoff has passed."""
    Message.objects.filter(pk=outbox_message.pk).update(next_attempt_at=timezone.now())
    return outbox.process(outbox_message.pk)


def ready_job(**kwargs):
    user = staff()
    job = drop_off(user=user, **kwargs)
    for _ in range(4):
        job = sms_advance(job, user)
    return job


def sms_advance(job, user):
    return laundry_services.advance(job, user=user)


def test_laundry_ready_texts_the_balance_once_through_the_gateway(demo, sms_on):
    job = ready_job()  # 1,200 with a 500 deposit
    sent = SimSms.objects.get()
    assert sent.to == f"+{PHONE}"
    assert sent.text == f"Laundry: your laundry {job.ticket_number} is ready for collection. Balance due: KES 700.00."
    message = SmsMessage.objects.get()
    assert (message.status, message.kind, message.key) == ("sent", "laundry.ready", f"laundry.ready:laundry.job:{job.pk}")
    assert message.gateway_message_id == sent.message_id and message.cost == Decimal("0.8000")
    assert message.customer == job.customer and message.business == laundry()
    # the same document and kind again (a replayed event) sends nothing more
    text_the_customer_when_ready(business="laundry", job_id=job.pk, status="ready")
    assert SimSms.objects.count() == 1 and SmsMessage.objects.count() == 1


def test_a_crash_after_the_gateway_answered_and_before_the_commit_sends_once(demo, sms_on, monkeypatch):
    message, queued = send_later()

    def die(*args, **kwargs):  # the worker dies between the gateway's answer and the commit
        raise SystemExit("killed")

    with monkeypatch.context() as patch:
        patch.setattr(sms, "_record_sent", die)
        with pytest.raises(SystemExit):
            outbox.process(queued.pk)
    assert SimSms.objects.count() == 1  # the customer has the text
    message.refresh_from_db()
    assert message.status == "queued" and message.gateway_message_id == ""  # the handler's writes rolled back
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == ("pending", 1)  # the claim was committed before the handler

    assert run_again_when_due(queued) == "done"
    message.refresh_from_db()
    assert message.status == "unknown" and "not sent again" in message.error
    assert run_again_when_due(queued) == "skipped"
    assert SimSms.objects.count() == 1  # re-checked, never resent


def test_gateway_errors_are_retried_then_the_text_is_sent_once(demo, sms_on):
    queue_faults("5xx", "gateway_error")
    message, queued = send_later()
    assert outbox.process(queued.pk) == "retry"  # HTTP 500
    message.refresh_from_db()
    assert (message.status, message.settled_attempts) == ("queued", 1) and "gateway error" in message.error
    assert run_again_when_due(queued) == "retry"  # the recipient came back 500 InternalServerError
    message.refresh_from_db()
    assert message.settled_attempts == 2 and "500 InternalServerError" in message.error
    assert SimSms.objects.count() == 0
    assert run_again_when_due(queued) == "done"
    message.refresh_from_db()
    assert message.status == "sent" and message.gateway_message_id == SimSms.objects.get().message_id
    assert run_again_when_due(queued) == "skipped" and SimSms.objects.count() == 1
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == ("done", 3)


def test_a_lost_answer_is_not_resent(demo, sms_on):
    queue_faults("lost_answer")
    message, queued = send_later()
    assert outbox.process(queued.pk) == "done"
    message.refresh_from_db()
    assert message.status == "unknown" and "may have been sent" in message.error
    assert SimSms.objects.count() == 1
    assert run_again_when_due(queued) == "skipped" and SimSms.objects.count() == 1


def test_a_blacklisted_number_fails_without_retrying(demo, sms_on):
    message, queued = send_later(phone="254712340000")
    assert outbox.process(queued.pk) == "done"
    message.refresh_from_db()
    assert message.status == "failed" and "406 UserInBlacklist" in message.error
    assert SimSms.objects.count() == 0


def test_an_opted_out_customer_gets_nothing_and_the_skip_is_recorded(demo, sms_on):
    user = staff()
    job = drop_off(user=user)
    Customer.objects.filter(pk=job.customer_id).update(sms_opt_out=True)
    for _ in range(4):
        job = sms_advance(job, user)
    assert job.status == "ready"
    skipped = SmsMessage.objects.get()
    assert skipped.status == "skipped" and skipped.kind == "laundry.ready"
    assert SimSms.objects.count() == 0 and not Message.objects.filter(topic=sms.TOPIC).exists()


def test_opting_out_after_queueing_still_stops_the_text(demo, sms_on):
    Customer.objects.create(name="Wanjiru").phones.create(phone=PHONE)
    message, queued = send_later()
    Customer.objects.update(sms_opt_out=True)
    assert outbox.process(queued.pk) == "done"
    message.refresh_from_db()
    assert message.status == "skipped" and SimSms.objects.count() == 0


def test_a_stop_reply_sets_the_opt_out(demo, sms_on, client):
    customer = Customer.objects.create(name="Wanjiru")
    customer.phones.create(phone=PHONE)
    url = reverse("sms:incoming", args=[sms_on.SMS_CALLBACK_TOKEN])
    reply = {"from": f"+{PHONE}", "to": "20880", "text": "Stop", "id": "in-1", "date": "2026-11-30 18:00:00"}
    assert client.post(reverse("sms:incoming", args=["wrong-token"]), reply).status_code == 403
    customer.refresh_from_db()
    assert not customer.sms_opt_out and not SmsReply.objects.exists()
    assert client.post(url, reply).status_code == 200
    customer.refresh_from_db()
    assert customer.sms_opt_out and SmsReply.objects.get().opted_out
    assert client.post(url, reply).status_code == 200 and SmsReply.objects.count() == 1  # AT retried: one row
    assert client.post(url, {**reply, "id": "in-2", "text": "Asante sana"}).status_code == 200
    assert not SmsReply.objects.get(gateway_id="in-2").opted_out
    assert sms.send("test.kind", PHONE, "hello", business=laundry(), key="after-stop").status == "skipped"


def test_a_delivery_report_is_stored_on_its_message(demo, sms_on, client):
    message, queued = send_later()
    outbox.process(queued.pk)
    message.refresh_from_db()
    report = {"id": message.gateway_message_id, "status": "Failed", "phoneNumber": f"+{PHONE}",
              "networkCode": "63902", "failureReason": "AbsentSubscriber", "retryCount": "1"}
    assert client.post(reverse("sms:delivery_report", args=["nope"]), report).status_code == 403
    assert client.post(reverse("sms:delivery_report", args=[sms_on.SMS_CALLBACK_TOKEN]), report).status_code == 200
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_failure) == ("Failed", "AbsentSubscriber")
    assert message.delivery_reported_at is not None
    assert client.post(reverse("sms:delivery_report", args=[sms_on.SMS_CALLBACK_TOKEN]),
                       {"id": "unknown", "status": "Success"}).status_code == 200  # answered, nothing changed


def test_the_owner_sees_this_months_cost_per_business(demo, sms_on, login):
    for n in range(3):
        message, queued = send_later(key=f"cost:{n}", text="x" * (170 if n == 0 else 20))  # 170 chars: 2 parts
        outbox.process(queued.pk)
    assert sms.monthly_cost(Business.objects.all()) == [{"business": "Laundry", "count": 3, "cost": Decimal("3.20")}]
    assert sum(SimSms.objects.values_list("cost", flat=True)) == Decimal("3.2000")
    page = login("owner").get("/admin/widgets/sms.cost/")
    assert page.status_code == 200 and b"KES 3.20" in page.content
    assert login("laundry_staff").get("/admin/widgets/sms.cost/").status_code in (403, 404)


def test_sms_off_sends_and_records_nothing(demo, settings):
    settings.SMS_MODE = "off"
    assert sms.send("test.kind", PHONE, "hello", business=laundry(), key="off") is None
    assert not SmsMessage.objects.exists()


def test_production_refuses_the_simulator_and_a_half_configured_gateway():
    good = {"SMS_MODE": "production", "SMS_BASE_URL": "https://api.africastalking.com/version1",
            "AT_USERNAME": "biashara", "AT_API_KEY": "atsk_" + "a" * 40,
            "SMS_CALLBACK_TOKEN": "Wc7pX2mQ9rT4yB8nL1kD5fH3jS6gV0zA-sms", "PUBLIC_BASE_URL": "https://biashara.example.co.ke"}
    assert production_problems(good) == []
    # texts carry short links to the site: its public address must be https and not this machine
    assert any("PUBLIC_BASE_URL" in p for p in production_problems({**good, "PUBLIC_BASE_URL": "http://localhost:8000"}))
    assert "simulator" in production_problems({**good, "SMS_MODE": "simulator"})[0]
    assert production_problems({**good, "SMS_MODE": "off"}) == []
    assert any("sandbox" in p for p in production_problems({**good, "AT_USERNAME": "sandbox"}))
    assert any("SMS_CALLBACK_TOKEN" in p for p in production_problems({**good, "SMS_CALLBACK_TOKEN": "short"}))
    assert any("https" in p for p in production_problems({**good, "SMS_BASE_URL": "http://127.0.0.1:8000/sms-api"}))
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True,
                            env={**production_env(), "SMS_MODE": "simulator"})
    assert result.returncode != 0 and "SMS_MODE=simulator is for dev and tests" in result.stderr


def test_a_water_delivery_going_out_texts_the_customer_once(stocked, sms_on):
    order = water.create_delivery(Business.objects.get(code="water"), phone="0733 123 450", name="Hotel Savanna",
                                  area="Westlands", address="Back gate",
                                  lines=[(Item.objects.get(business__code="water", sku="W-PACK-1Lx12"), 2)])
    water.dispatch(order, driver="Juma")
    sent = SimSms.objects.get()
    assert sent.to == "+254733123450"
    assert sent.text == f"{order.business.name}: your delivery is on its way with Juma. To pay on delivery: KES 840.00."
    message = SmsMessage.objects.get()
    assert (message.kind, message.status, message.key) == ("water.on_its_way", "sent", f"water.on_its_way:water.delivery:{order.pk}")


def test_the_health_watchers_alert_reaches_the_owners_phone_once(demo, sms_on, settings):
    from modules.core.system import watcher

    settings.HEALTH_ALERT_PHONES = ["0712 000 111"]
    moment = timezone.now()
    watcher.alert("disk_free", "Disk almost full", now=moment)
    (message,) = SmsMessage.objects.filter(kind="system.alert")
    assert (message.phone, message.business, message.text) == ("254712000111", None, "Disk almost full")
    Message.objects.filter(topic=sms.TOPIC, key=message.key).update(next_attempt_at=timezone.now())
    outbox.process_due()
    message.refresh_from_db()
    assert message.status == "sent" and SimSms.objects.get().text == "Disk almost full"
    watcher.alert("disk_free", "Disk almost full", now=moment)  # the same alert again: no second text
    assert SmsMessage.objects.filter(kind="system.alert").count() == 1 and SimSms.objects.count() == 1


# --- a real RQ worker, killed with SIGKILL in the middle of the gateway call ----------------------

def sms_worker(base_url):
    """``manage.py rqworker`` in its own process group, texting through the live server's simulator."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.settings.test", "DATABASE_URL": database_url(),
           "OUTBOX_EAGER": "0", "TEST_SMS_MODE": "simulator", "SMS_BASE_URL": base_url,
           "TEST_SMS_HTTP_TIMEOUT": "60"}  # the worker waits for the hanging answer: killed while it waits
    return subprocess.Popen([sys.executable, "manage.py", "rqworker", "default"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def kill_with_horse(worker):
    """SIGKILL the worker and its work horse: RQ's horse calls setpgrp(), so killing the worker's
    process group alone leaves the horse running the job to its end."""
    try:
        horses = psutil.Process(worker.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        horses = []
    for process in [*horses]:
        try:
            process.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    worker.wait()
    return len(horses)


def wait_for(check, what, seconds=60):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.1)


def due_now(queued):
    """The sweep's part: the backoff is over; the message goes to the workers' queue again."""
    Message.objects.filter(pk=queued.pk).update(next_attempt_at=timezone.now())
    with override_settings(OUTBOX_EAGER=False):
        outbox.dispatch(queued.pk)


def test_a_worker_killed_mid_send_after_a_gateway_error_texts_once_and_opt_out_holds(demo, sms_on):
    """Real ``rqworker`` processes: the first attempt meets a gateway error (HTTP 500) and is retried;
    the second reaches the gateway, which takes the text and then hangs, and the worker is killed
    with SIGKILL (the worker and its work horse) before it can record anything; a new worker finds
    the unsettled attempt and marks the text "maybe sent" without sending it again. A text queued for
    a customer who then opts out is not sent by the worker."""
    sms_on.SMS_SIMULATOR_HANG_SECONDS = 8
    queue_faults("5xx", "lost_answer")
    worker = sms_worker(sms_on.SMS_BASE_URL)
    try:
        with override_settings(OUTBOX_EAGER=False), transaction.atomic():
            message = sms.send("test.kind", PHONE, "Habari: your order is on its way.", business=laundry(), key="kill:1")
        queued = Message.objects.get(topic=sms.TOPIC, key=message.key)
        wait_for(lambda: SmsMessage.objects.get(pk=message.pk).settled_attempts == 1, "the 500 to be settled")
        message.refresh_from_db()
        assert message.status == "queued" and "gateway error" in message.error and not SimSms.objects.exists()

        due_now(queued)
        wait_for(lambda: SimSms.objects.exists(), "the gateway to take the text")
        assert kill_with_horse(worker) == 1  # SIGKILL while the horse waits for the gateway's answer
    finally:
        kill_with_horse(worker)
    time.sleep(sms_on.SMS_SIMULATOR_HANG_SECONDS + 1)  # a surviving horse would have recorded "sent" by now
    message.refresh_from_db()
    queued.refresh_from_db()
    assert (message.status, message.settled_attempts, message.gateway_message_id) == ("queued", 1, "")
    assert (queued.status, queued.attempts) == ("pending", 2)

    # a customer's text queued while no worker runs, then the customer opts out
    Customer.objects.create(name="Wanjiru").phones.create(phone="254712480111")
    with override_settings(OUTBOX_EAGER=False), transaction.atomic():
        opted = sms.send("test.kind", "254712480111", "Karibu tena", business=laundry(), key="kill:2")
    Customer.objects.update(sms_opt_out=True)

    worker = sms_worker(sms_on.SMS_BASE_URL)
    try:
        due_now(queued)
        wait_for(lambda: Message.objects.get(pk=queued.pk).status == "done", "the next worker to settle it")
        wait_for(lambda: Message.objects.get(topic=sms.TOPIC, key=opted.key).status == "done", "the opted-out text")
    finally:
        kill_with_horse(worker)
    message.refresh_from_db()
    opted.refresh_from_db()
    assert message.status == "unknown" and "not sent again" in message.error
    assert opted.status == "skipped"
    assert list(SimSms.objects.values_list("to", flat=True)) == [f"+{PHONE}"]  # exactly once, and nothing else
