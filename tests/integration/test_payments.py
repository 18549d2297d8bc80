"""Payments and M-Pesa: callbacks applied exactly once, forged ones change nothing, lost ones are
found by STK Query, and every shilling lands in the ledger."""

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from fixtures.demo import seed
from modules.core.businesses.models import Business
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account, JournalEntry
from modules.core.payments import daraja, stk
from modules.core.payments import services as payments
from modules.core.payments.models import Payment, StkRequest
from modules.core.system.models import SecurityEvent
from tests.conftest import PASSWORD

TOKEN = "callback-token-for-tests-0123456789"


@pytest.fixture
def mpesa(settings, daraja_simulator):
    settings.MPESA_CALLBACK_TOKEN = TOKEN
    return daraja_simulator


@pytest.fixture
def invoice(transactional_db):
    seed(PASSWORD, opening_stock=False)
    return payments.issue_invoice(Business.objects.get(code="water"), description="Delivery, 3 × 20 L",
                                  amount="450", customer_phone="0712345670")


def balance(code, business="water"):
    return ledger.balance(Account.objects.get(business__code=business, code=code))


def pending_request(invoice, amount=450, phone="254712345670"):
    """A request as if Daraja had accepted the push (for callback tests that need no simulator)."""
    return StkRequest.objects.create(business=invoice.business, document=invoice, phone=phone, amount=amount,
                                     status=StkRequest.Status.PENDING, merchant_request_id=f"m-{uuid.uuid4().hex[:8]}",
                                     checkout_request_id=f"ws_CO_{uuid.uuid4().hex[:12]}")


def success_body(stk, amount=None, receipt="TKA1B2C3D4"):
    return {"Body": {"stkCallback": {
        "MerchantRequestID": stk.merchant_request_id, "CheckoutRequestID": stk.checkout_request_id,
        "ResultCode": 0, "ResultDesc": "The service request is processed successfully.",
        "CallbackMetadata": {"Item": [
            {"Name": "Amount", "Value": amount if amount is not None else stk.amount},
            {"Name": "MpesaReceiptNumber", "Value": receipt},
            {"Name": "TransactionDate", "Value": 20261120101500},
            {"Name": "PhoneNumber", "Value": int(stk.phone)}]}}}}


def wait_until(condition, seconds=15):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_an_overpayment_becomes_customer_credit(invoice):
    payments.record_payment(invoice, method=Payment.Method.CASH, amount="300")
    second = payments.record_payment(invoice, method=Payment.Method.CASH, amount="200", payer_phone="254712345670")
    invoice.refresh_from_db()
    assert invoice.paid_at is not None
    assert (second.applied, second.credit) == (Decimal("150.00"), Decimal("50.00"))
    assert payments.customer_credit(invoice.business, "254712345670") == Decimal("50.00")
    assert (balance(chart.CASH), balance(chart.RECEIVABLES), balance(chart.CUSTOMER_CREDIT)) == (
        Decimal("500.00"), Decimal("0.00"), Decimal("50.00"))


def test_the_same_callback_100_times_concurrently_pays_once(invoice, live_server, settings):
    settings.MPESA_CALLBACK_TOKEN = TOKEN
    stk = pending_request(invoice)
    url = f"{live_server.url}/payments/mpesa/callback/{TOKEN}/"
    body = json.dumps(success_body(stk))
    entries_before = JournalEntry.objects.count()
    start = threading.Barrier(30)

    def deliver(_):
        if _ < 30:
            start.wait()
        return requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=30) as pool:  # 30 in flight at once: PostgreSQL allows 100 connections
        statuses = list(pool.map(deliver, range(100)))
    assert statuses == [200] * 100
    assert Payment.objects.count() == 1
    assert JournalEntry.objects.count() == entries_before + 1
    stk.refresh_from_db()
    assert (stk.status, stk.mpesa_receipt, stk.settled_by) == ("success", "TKA1B2C3D4", "callback")
    assert balance(chart.MPESA) == Decimal("450.00")


@pytest.mark.parametrize("forge", ["bad_token", "unknown_id", "wrong_amount", "wrong_merchant", "not_json"])
def test_forged_callbacks_change_nothing(invoice, client, settings, forge):
    settings.MPESA_CALLBACK_TOKEN = TOKEN
    stk = pending_request(invoice)
    body = success_body(stk)
    token = TOKEN
    if forge == "bad_token":
        token = TOKEN[:-1] + "x"
    elif forge == "unknown_id":
        body["Body"]["stkCallback"]["CheckoutRequestID"] = "ws_CO_never_made"
    elif forge == "wrong_amount":
        body["Body"]["stkCallback"]["CallbackMetadata"]["Item"][0]["Value"] = 1
    elif forge == "wrong_merchant":
        body["Body"]["stkCallback"]["MerchantRequestID"] = "m-forged"
    data = "{not json" if forge == "not_json" else json.dumps(body)
    response = client.post(f"/payments/mpesa/callback/{token}/", data=data, content_type="application/json")
    assert response.status_code == {"bad_token": 403, "not_json": 400}.get(forge, 200)
    assert Payment.objects.count() == 0
    stk.refresh_from_db()
    assert stk.status == "pending"
    assert SecurityEvent.objects.filter(kind__startswith="mpesa.").count() == 1


def test_a_failed_callback_settles_without_money(invoice, client, settings):
    settings.MPESA_CALLBACK_TOKEN = TOKEN
    stk = pending_request(invoice)
    body = {"Body": {"stkCallback": {"MerchantRequestID": stk.merchant_request_id,
                                     "CheckoutRequestID": stk.checkout_request_id,
                                     "ResultCode": 1032, "ResultDesc": "Request cancelled by user"}}}
    assert client.post(f"/payments/mpesa/callback/{TOKEN}/", body, content_type="application/json").status_code == 200
    stk.refresh_from_db()
    assert (stk.status, stk.result_code) == ("cancelled", "1032")
    assert Payment.objects.count() == 0


def settle_by_polling(stk):
    """What the scheduled reconciler does, without waiting for its backoff."""
    for _ in range(50):
        StkRequest.objects.filter(pk=stk.pk).update(next_check_at=timezone.now())
        payments.reconcile_pending()
        stk.refresh_from_db()
        if stk.is_final:
            return stk
        time.sleep(0.1)
    raise AssertionError("polling never settled the request")


def sent(stk):
    """The request once the worker has sent the push."""
    wait_until(lambda: StkRequest.objects.get(pk=stk.pk).status not in ("queued", "sending"))
    stk.refresh_from_db()
    return stk


def test_a_lost_callback_is_settled_by_stk_query(invoice, mpesa):
    stk = payments.request_stk_push(invoice, "0712345674")  # simulator: pays, callback lost
    assert stk.status == "queued" and not stk.checkout_request_id  # the page does not wait for Daraja
    stk = sent(stk)
    assert stk.status == "pending" and stk.checkout_request_id
    stk = settle_by_polling(stk)
    assert (stk.status, stk.settled_by) == ("success", "query")
    assert Payment.objects.get().stk_request == stk
    invoice.refresh_from_db()
    assert invoice.paid_at is not None


def test_a_late_callback_after_polling_changes_nothing(invoice, mpesa):
    stk = settle_by_polling(sent(payments.request_stk_push(invoice, "0712345676")))  # callback arrives late
    assert stk.settled_by == "query" and stk.mpesa_receipt is None
    entries = JournalEntry.objects.count()
    wait_until(lambda: StkRequest.objects.get(pk=stk.pk).mpesa_receipt)  # the late callback arrived
    assert Payment.objects.count() == 1 and JournalEntry.objects.count() == entries


def test_two_pushes_both_paid_settle_once_and_keep_the_surplus_as_credit(invoice, mpesa):
    first = payments.request_stk_push(invoice, "0712345670")
    second = payments.request_stk_push(invoice, "0712345680")  # another phone: one prompt per phone at a time
    wait_until(lambda: Payment.objects.count() == 2)
    invoice.refresh_from_db()
    assert invoice.paid_at is not None
    assert sorted(Payment.objects.values_list("applied", "credit")) == [
        (Decimal("0.00"), Decimal("450.00")), (Decimal("450.00"), Decimal("0.00"))]
    surplus = Payment.objects.get(credit=450).payer_phone
    assert payments.customer_credit(invoice.business, surplus) == Decimal("450.00")
    assert {first.pk, second.pk} == set(Payment.objects.values_list("stk_request", flat=True))
    assert balance(chart.MPESA) == Decimal("900.00") and balance(chart.RECEIVABLES) == 0


@pytest.mark.parametrize("phone, status, code", [
    ("0712345671", "cancelled", 1032), ("0712345672", "timeout", 1037), ("0712345673", "insufficient", 1)])
def test_refusals_come_back_with_their_reason(invoice, mpesa, phone, status, code):
    stk = payments.request_stk_push(invoice, phone)
    wait_until(lambda: StkRequest.objects.get(pk=stk.pk).is_final)
    stk.refresh_from_db()
    assert (stk.status, stk.result_code) == (status, str(code))
    assert Payment.objects.count() == 0


def test_a_bad_phone_number_is_refused_before_anything_is_sent(invoice):
    with pytest.raises(Exception, match="0712 345 678"):
        payments.request_stk_push(invoice, "020 123 4567")
    assert StkRequest.objects.count() == 0


def test_the_waiting_screen_shows_the_receipt_or_the_reason(invoice, mpesa, client):
    from django.contrib.auth.models import User

    client.force_login(User.objects.get(username="water_staff"))
    response = client.post(reverse("admin:payments:request_mpesa", args=[invoice.pk]), {"phone": "0712 345 670"})
    stk = StkRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("admin:payments:stk_wait", args=[stk.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Waiting for M-Pesa" in page and 'hx-trigger="every 2.5s"' in page
    wait_until(lambda: StkRequest.objects.get(pk=stk.pk).is_final)
    status = client.get(reverse("admin:payments:stk_status", args=[stk.pk])).content.decode()
    assert "Paid" in status and StkRequest.objects.get(pk=stk.pk).mpesa_receipt in status
    assert "hx-trigger" not in status  # polling stops

    other = payments.issue_invoice(invoice.business, description="Refill", amount="120")
    response = client.post(reverse("admin:payments:request_mpesa", args=[other.pk]), {"phone": "0712345671"})
    cancelled = StkRequest.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    wait_until(lambda: StkRequest.objects.get(pk=cancelled.pk).is_final)
    status = client.get(reverse("admin:payments:stk_status", args=[cancelled.pk])).content.decode()
    assert "Cancelled by the customer" in status and "Retry M-Pesa" in status and "Take KES 120.00 cash" in status
    client.post(reverse("admin:payments:stk_take_cash", args=[cancelled.pk]))
    other.refresh_from_db()
    assert other.paid_at is not None and balance(chart.CASH) == Decimal("120.00")

    shop_staff = User.objects.get(username="shop_staff")
    client.force_login(shop_staff)
    assert client.get(reverse("admin:payments:stk_wait", args=[stk.pk])).status_code == 403


def test_callbacks_from_outside_the_allowlist_change_nothing(invoice, client, settings):
    settings.MPESA_CALLBACK_TOKEN = TOKEN
    settings.MPESA_CALLBACK_ALLOWED_IPS = ["196.201.214.200"]
    stk = pending_request(invoice)
    url = f"/payments/mpesa/callback/{TOKEN}/"
    refused = client.post(url, success_body(stk), content_type="application/json", REMOTE_ADDR="41.90.1.1")
    assert refused.status_code == 403 and Payment.objects.count() == 0
    assert SecurityEvent.objects.get().kind == "mpesa.ip_not_allowed"
    allowed = client.post(url, success_body(stk), content_type="application/json", REMOTE_ADDR="196.201.214.200")
    assert allowed.status_code == 200 and Payment.objects.count() == 1


def test_polling_gives_up_after_a_bounded_time(invoice, mpesa, settings):
    settings.MPESA_SIMULATOR_DELAY = 3600  # the simulated phone never settles
    stk = sent(payments.request_stk_push(invoice, "0712345670"))
    StkRequest.objects.filter(pk=stk.pk).update(next_check_at=timezone.now())
    assert payments.check_stk_request(stk.pk).status == "pending"
    StkRequest.objects.filter(pk=stk.pk).update(
        created_at=timezone.now() - payments.GIVE_UP_AFTER - timedelta(seconds=1), next_check_at=timezone.now())
    stk = payments.check_stk_request(stk.pk)
    assert (stk.status, stk.settled_by) == ("gave_up", "query")
    assert "No final answer from M-Pesa after 10 minutes" in stk.result_desc
    assert Payment.objects.count() == 0


def test_the_reconciler_is_scheduled_every_15_seconds(redis_conn):
    """What `manage.py rqcron backoffice.schedules` loads, built from the modules' declarations."""
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=redis_conn)
    scheduler.load_config_from_file("backoffice.schedules")
    jobs = {job.name: job for job in scheduler.get_jobs()}
    assert jobs["payments.reconcile_stk"].interval == 15
    assert jobs["payments.reconcile_stk"].func is payments.reconcile_pending
    assert jobs["system.prune_old_rows"].cron == "17 3 * * *"


def test_behind_nginx_the_allowlist_reads_the_address_nginx_appended(invoice, client, settings):
    """A caller outside the allowlist who writes Safaricom's address into X-Forwarded-For stays
    outside: nginx appends the real address, and only that one counts."""
    settings.MPESA_CALLBACK_TOKEN = TOKEN
    settings.MPESA_CALLBACK_ALLOWED_IPS = ["196.201.214.200"]
    settings.PROXY_COUNT = 1
    stk = pending_request(invoice)
    url = f"/payments/mpesa/callback/{TOKEN}/"
    spoofed = client.post(url, success_body(stk), content_type="application/json", REMOTE_ADDR="127.0.0.1",
                          HTTP_X_FORWARDED_FOR="196.201.214.200, 41.90.1.1")
    assert spoofed.status_code == 403 and Payment.objects.count() == 0
    assert SecurityEvent.objects.get().ip_address == "41.90.1.1"
    genuine = client.post(url, success_body(stk), content_type="application/json", REMOTE_ADDR="127.0.0.1",
                          HTTP_X_FORWARDED_FOR="196.201.214.200")
    assert genuine.status_code == 200 and Payment.objects.count() == 1


def _nested(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("case", ["nested", "nested_in_callback", "result_code_1e400", "amount_1e400",
                                  "oversize_receipt", "oversize_phone", "oversize_ids", "receipt_object"])
def test_a_callback_with_the_right_token_never_answers_500(invoice, client, settings, case):
    """Hostile or broken bodies behind a valid token: a 4xx or a plain rejection, nothing booked
    wrongly, never a server error."""
    settings.MPESA_CALLBACK_TOKEN = TOKEN
    stk = pending_request(invoice)
    body = success_body(stk)
    callback = body["Body"]["stkCallback"]
    items = callback["CallbackMetadata"]["Item"]
    if case == "nested":
        data = _nested(30_000)
    elif case == "nested_in_callback":
        data = json.dumps(body)[:-3] + ', "Deep": ' + _nested(20_000) + "}}}"
    else:
        if case == "result_code_1e400":
            raw = json.dumps(body).replace('"ResultCode": 0', '"ResultCode": 1e400')
        elif case == "amount_1e400":
            raw = json.dumps(body).replace(f'"Value": {stk.amount}', '"Value": 1e400')
        else:
            if case == "oversize_receipt":
                items[1]["Value"] = "Q" * 5000
            elif case == "oversize_phone":
                items[3]["Value"] = int("7" * 400)
            elif case == "oversize_ids":
                callback["MerchantRequestID"] = "m" * 5000
                callback["CheckoutRequestID"] = "c" * 5000
            elif case == "receipt_object":
                items[1]["Value"] = {"a": [1, 2, 3]}
            raw = json.dumps(body)
        data = raw
    response = client.post(f"/payments/mpesa/callback/{TOKEN}/", data=data, content_type="application/json")
    assert response.status_code < 500
    stk.refresh_from_db()
    if case == "oversize_phone":  # the payment is real; the odd phone is logged as a mismatch
        assert stk.status == "success" and Payment.objects.get().payer_phone == stk.phone
        assert SecurityEvent.objects.filter(kind="mpesa.phone_mismatch").exists()
    else:
        assert stk.status == "pending" and Payment.objects.count() == 0
        assert SecurityEvent.objects.filter(kind__startswith="mpesa.").exists()


class FakeDaraja:
    """Accepts every push (for tests of what is asked, not of Daraja); ``fail`` makes the next one
    raise that DarajaError instead."""

    callback_url = "https://biashara.example.co.ke/payments/stk/t/"

    def __init__(self):
        self.pushes = []
        self.fail = None

    def stk_push(self, phone, amount, reference, description, *, pay_to=None, callback_url=None):
        self.pushes.append((phone, amount))
        if self.fail is not None:
            error, self.fail = self.fail, None
            raise error
        n = len(self.pushes)
        return daraja.StkPushResponse(f"m-{n}-{uuid.uuid4().hex[:6]}", f"ws_CO_{n}_{uuid.uuid4().hex[:8]}", "0", "ok")


@pytest.fixture
def fake_daraja(monkeypatch):
    fake = FakeDaraja()
    monkeypatch.setattr(stk, "get_client", lambda: fake)
    return fake


def push(request):
    """What the worker's job does with a queued request."""
    return stk.send_push(request.pk)


def callback(client, body, ref=None):
    path = f"/payments/stk/{TOKEN}/" + (f"{ref}/" if ref else "")
    return client.post(path, body, content_type="application/json")


def failure_body(request, code=1032, desc="Request cancelled by user"):
    return {"Body": {"stkCallback": {"MerchantRequestID": request.merchant_request_id,
                                     "CheckoutRequestID": request.checkout_request_id,
                                     "ResultCode": code, "ResultDesc": desc}}}


def test_ask_mpesa_prompts_once_while_a_request_may_pay_and_again_once_it_cannot(invoice, client, settings,
                                                                                 fake_daraja):
    """Payments' one retry rule, used by every page that asks for M-Pesa."""
    settings.MPESA_CALLBACK_TOKEN = TOKEN
    first = payments.ask_mpesa(invoice, "0712345670", amount=200)
    assert payments.ask_mpesa(invoice, "0712345670") == first  # queued: may still pay
    first = push(first)
    assert payments.ask_mpesa(invoice, "0712345670") == first and len(fake_daraja.pushes) == 1  # pending
    callback(client, failure_body(first))
    with pytest.raises(ValidationError, match="Wait [0-9]+ s"):  # a short rest after a cancel
        payments.ask_mpesa(invoice, "0712345670", amount=200)
    StkRequest.objects.filter(pk=first.pk).update(settled_at=timezone.now() - stk.COOL_DOWN_AFTER_CANCEL)
    second = push(payments.ask_mpesa(invoice, "0712345670", amount=200))  # cancelled: ask again
    assert second != first and len(fake_daraja.pushes) == 2
    callback(client, success_body(second))
    third = push(payments.ask_mpesa(invoice, "0712345670"))  # paid a part: the rest is asked for
    assert third not in (first, second) and fake_daraja.pushes[-1] == ("254712345670", 250)
    callback(client, success_body(third, receipt="TKA1B2C3D5"))
    assert payments.ask_mpesa(invoice, "0712345670") == third and len(fake_daraja.pushes) == 3  # nothing due
    assert [p.amount for p in payments.payments_for(invoice)] == [Decimal("200.00"), Decimal("250.00")]
