"""The Daraja client against the simulator over real HTTP (pytest-django's live server).

Callbacks go to a tiny http.server in the test that records what it is sent; the outcome of each
push is chosen by the last digit of the phone number (see modules.core.payments.simulator).
"""

import json
import logging
import re
import threading
import time
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import timezone

from modules.core.payments import daraja as daraja_module
from modules.core.payments.daraja import (
    DarajaError,
    StkQueryResult,
    get_client,
    parse_callback,
    password,
    timestamp,
)
from modules.core.payments.simulator import deliveries
from modules.core.payments.simulator.models import SimulatedAccessToken, SimulatedStkPush

pytestmark = pytest.mark.django_db(transaction=True)

DELAY = 0.2
LATE = 1.5
PAID = "The service request is processed successfully."


class CallbackRecorder:
    """An HTTP server in a thread that records every POST (path, JSON body, arrival time)."""

    def __init__(self):
        self.received = []
        self.changed = threading.Condition()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with recorder.changed:
                    recorder.received.append((self.path, body, time.monotonic()))
                    recorder.changed.notify_all()
                answer = json.dumps({"ResultCode": 0, "ResultDesc": "Accepted"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count, timeout=5.0):
        """What has arrived once there are ``count`` POSTs, or when ``timeout`` runs out."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.received) < count and (left := deadline - time.monotonic()) > 0:
                self.changed.wait(left)
            return list(self.received)

    def bodies(self):
        return [body for _, body, _ in self.received]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def callbacks():
    recorder = CallbackRecorder()
    yield recorder
    recorder.stop()


@pytest.fixture
def simulator_url(live_server, settings, callbacks):
    settings.MPESA_BASE_URL = live_server.url + "/simulator/daraja"
    settings.MPESA_CALLBACK_BASE_URL = callbacks.url
    settings.MPESA_SIMULATOR_DELAY = DELAY
    settings.MPESA_SIMULATOR_LATE_SECONDS = LATE
    yield settings.MPESA_BASE_URL
    deliveries.settle()  # no callback may still be writing while the database is emptied
    # Drop the client's keep-alive connections: the live server thread serving one holds a
    # database connection, which would block the test database's teardown.
    daraja_module.SESSION.close()


@pytest.fixture
def daraja(simulator_url):
    return get_client()


def settled(client, checkout_request_id, timeout=5.0):
    """Poll STK Query until the push is no longer pending."""
    deadline = time.monotonic() + timeout
    while (result := client.stk_query(checkout_request_id)).state == "pending" and time.monotonic() < deadline:
        time.sleep(0.05)
    return result


def callback_path():
    return f"/payments/stk/{django_settings.MPESA_CALLBACK_TOKEN}/"


def raw_push(simulator_url, callbacks, token, **changes):
    """An STK push sent by hand, valid unless ``changes`` spoil it."""
    stamp = timestamp()
    shortcode = django_settings.MPESA_SHORTCODE
    payload = {
        "BusinessShortCode": shortcode, "Password": password(shortcode, django_settings.MPESA_PASSKEY, stamp),
        "Timestamp": stamp, "TransactionType": "CustomerPayBillOnline", "Amount": 10, "PartyA": "254712345670",
        "PartyB": shortcode, "PhoneNumber": "254712345670", "CallBackURL": callbacks.url + "/raw/",
        "AccountReference": "RAW-1", "TransactionDesc": "Raw test",
    }
    payload.update(changes)
    data = payload.pop("_body", None) or json.dumps(payload)
    return requests.post(f"{simulator_url}/mpesa/stkpush/v1/processrequest", data=data, timeout=5,
                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})


def assert_daraja_error(response, status, code, message):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"requestId", "errorCode", "errorMessage"}
    assert (body["errorCode"], body["errorMessage"]) == (code, message)
    assert body["requestId"]


# --- tokens ------------------------------------------------------------------------------------

def test_the_token_is_fetched_once_and_reused(daraja):
    first = daraja.stk_push("0712345670", 10, "T-1", "Token test")
    second = daraja.stk_push("0712345677", 20, "T-2", "Token test")
    daraja.stk_query(first.checkout_request_id)
    get_client().stk_query(second.checkout_request_id)  # another instance, same cached token
    assert SimulatedAccessToken.objects.count() == 1

    cache.clear()  # what a Redis outage looks like to the client: a miss
    daraja.stk_query(first.checkout_request_id)
    assert SimulatedAccessToken.objects.count() == 2


def test_a_token_the_simulator_no_longer_accepts_is_replaced(daraja):
    daraja.access_token()
    SimulatedAccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    push = daraja.stk_push("0712345670", 10, "T-3", "Expired token")
    assert push.response_code == "0"
    assert SimulatedAccessToken.objects.count() == 2


def test_oauth_refuses_wrong_credentials_and_grant_types(daraja, simulator_url):
    daraja.consumer_secret = "not-the-secret"
    with pytest.raises(DarajaError, match="Invalid Authentication passed") as caught:
        daraja.access_token()
    assert caught.value.status == 400 and caught.value.code == "400.008.01"

    auth = (django_settings.MPESA_CONSUMER_KEY, django_settings.MPESA_CONSUMER_SECRET)
    wrong_grant = requests.get(f"{simulator_url}/oauth/v1/generate?grant_type=password", auth=auth, timeout=5)
    assert_daraja_error(wrong_grant, 400, "400.008.02", "Invalid grant type passed")
    no_auth = requests.get(f"{simulator_url}/oauth/v1/generate?grant_type=client_credentials", timeout=5)
    assert_daraja_error(no_auth, 400, "400.008.01", "Invalid Authentication passed")
    good = requests.get(f"{simulator_url}/oauth/v1/generate?grant_type=client_credentials", auth=auth, timeout=5)
    assert good.status_code == 200 and good.json()["expires_in"] == "3599" and good.json()["access_token"]
    assert SimulatedAccessToken.objects.count() == 1


# --- outcomes ----------------------------------------------------------------------------------

def test_success_sends_a_callback_with_a_receipt_and_query_says_success(daraja, callbacks):
    push = daraja.stk_push("0712 345 670", 150, "SALE-1", "Water refill")
    assert push.response_code == "0" and push.checkout_request_id.startswith("ws_CO_")
    assert push.customer_message == "Success. Request accepted for processing"

    ((path, body, _),) = callbacks.wait_for(1)
    assert path == callback_path()
    callback = parse_callback(body)
    record = SimulatedStkPush.objects.get(checkout_request_id=push.checkout_request_id)
    assert (callback.checkout_request_id, callback.merchant_request_id) == (
        push.checkout_request_id, push.merchant_request_id)
    assert (callback.result_code, callback.result_desc) == (0, PAID)
    assert callback.amount == Decimal("150.00")
    assert re.fullmatch(r"[A-Z][A-Z0-9]{9}", callback.receipt) and callback.receipt == record.receipt
    assert callback.phone == "254712345670"
    paid_at = callback.transaction_date  # parsed from YYYYmmddHHMMSS in Nairobi time
    assert paid_at.tzinfo is not None and abs((paid_at - timezone.now()).total_seconds()) < 60
    assert [item["Name"] for item in body["Body"]["stkCallback"]["CallbackMetadata"]["Item"]] == [
        "Amount", "MpesaReceiptNumber", "Balance", "TransactionDate", "PhoneNumber"]

    assert daraja.stk_query(push.checkout_request_id) == StkQueryResult("success", 0, PAID)
    time.sleep(0.3)
    assert len(callbacks.received) == 1, "an ordinary success calls back exactly once"
    assert (record.phone, record.amount, record.account_reference, record.outcome) == (
        "254712345670", Decimal("150.00"), "SALE-1", "success")


@pytest.mark.parametrize("phone, code, desc", [
    ("0712345671", 1032, "Request cancelled by user"),
    ("0712345672", 1037, "DS timeout user cannot be reached"),
    ("0712345673", 1, "The balance is insufficient for the transaction."),
])
def test_failures_reach_the_callback_and_the_query(daraja, callbacks, phone, code, desc):
    push = daraja.stk_push(phone, 99, "SALE-2", "Laundry")
    ((path, body, _),) = callbacks.wait_for(1)
    assert path == callback_path()
    assert "CallbackMetadata" not in body["Body"]["stkCallback"]
    callback = parse_callback(body)
    assert (callback.checkout_request_id, callback.result_code, callback.result_desc) == (
        push.checkout_request_id, code, desc)
    assert (callback.amount, callback.receipt) == (None, None)
    assert daraja.stk_query(push.checkout_request_id) == StkQueryResult("failed", code, desc)
    assert SimulatedStkPush.objects.get(checkout_request_id=push.checkout_request_id).receipt is None


def test_a_lost_callback_never_arrives_but_the_query_says_success(daraja, callbacks):
    push = daraja.stk_push("0712345674", 40, "SALE-3", "Shop")
    assert settled(daraja, push.checkout_request_id) == StkQueryResult("success", 0, PAID)
    assert callbacks.wait_for(1, timeout=DELAY + 1.0) == []
    assert SimulatedStkPush.objects.get(checkout_request_id=push.checkout_request_id).receipt


def test_a_duplicated_callback_arrives_twice_identical(daraja, callbacks):
    push = daraja.stk_push("0712345675", 55, "SALE-4", "Gas refill")
    first, second = callbacks.wait_for(2)
    assert first[0] == second[0] == callback_path()
    assert first[1] == second[1]
    callback = parse_callback(first[1])
    assert (callback.checkout_request_id, callback.result_code) == (push.checkout_request_id, 0)
    assert callback.amount == Decimal("55.00") and callback.receipt
    assert daraja.stk_query(push.checkout_request_id).state == "success"
    time.sleep(0.3)
    assert len(callbacks.received) == 2


def test_a_late_callback_comes_after_the_query_already_says_success(daraja, callbacks):
    started = time.monotonic()
    push = daraja.stk_push("0712345676", 70, "SALE-5", "Late test")
    assert settled(daraja, push.checkout_request_id) == StkQueryResult("success", 0, PAID)
    assert time.monotonic() - started < LATE, "the machine was too slow to see the gap"
    assert callbacks.received == []

    ((path, body, arrived),) = callbacks.wait_for(1, timeout=LATE + 3)
    assert arrived - started >= LATE - 0.05
    callback = parse_callback(body)
    assert (path, callback.checkout_request_id, callback.result_code) == (callback_path(), push.checkout_request_id, 0)
    assert callback.receipt == SimulatedStkPush.objects.get(checkout_request_id=push.checkout_request_id).receipt


def test_the_query_says_pending_until_the_push_settles(daraja, callbacks, settings):
    settings.MPESA_SIMULATOR_DELAY = 1.0
    push = daraja.stk_push("0712345678", 25, "SALE-6", "Pending test")
    assert daraja.stk_query(push.checkout_request_id) == StkQueryResult(
        "pending", None, "The transaction is being processed")
    assert callbacks.received == []
    assert settled(daraja, push.checkout_request_id) == StkQueryResult("success", 0, PAID)
    assert parse_callback(callbacks.wait_for(1)[0][1]).checkout_request_id == push.checkout_request_id


def test_receipts_are_unique(daraja, callbacks):
    for n, phone in enumerate(["0712345670", "0712345677", "0712345678", "0712345679", "0712345675"]):
        daraja.stk_push(phone, 10 + n, f"U-{n}", "Receipts")
    receipts = list(SimulatedStkPush.objects.exclude(receipt=None).values_list("receipt", flat=True))
    assert len(receipts) == 5 and len(set(receipts)) == 5


def test_an_unreachable_callback_url_is_logged_and_swallowed(daraja, callbacks, settings, caplog):
    settings.MPESA_CALLBACK_BASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    caplog.set_level(logging.WARNING, logger="modules.core.payments.simulator")
    push = get_client().stk_push("0712345670", 10, "SALE-7", "Lost URL")
    assert settled(daraja, push.checkout_request_id).state == "success"
    deadline = time.monotonic() + 5
    while not any("callback" in r.getMessage() and "failed" in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline, "the failed delivery was not logged"
        time.sleep(0.05)


# --- refusals ----------------------------------------------------------------------------------

@pytest.mark.parametrize("header, status", [("Bearer nope", 404), ("Bearer ", 401), ("Basic abc", 401), (None, 401)])
def test_a_bad_bearer_token_is_refused(simulator_url, callbacks, header, status):
    """No token: 401. A token Daraja does not know: 404.001.03 with a 404, as several clients see it."""
    headers = {"Authorization": header} if header else {}
    for path in ("mpesa/stkpush/v1/processrequest", "mpesa/stkpushquery/v1/query"):
        response = requests.post(f"{simulator_url}/{path}", json={}, headers=headers, timeout=5)
        assert_daraja_error(response, status, "404.001.03", "Invalid Access Token")
    assert SimulatedStkPush.objects.count() == 0


def test_an_expired_token_is_refused_as_invalid_and_the_client_takes_a_new_one(daraja, simulator_url, callbacks,
                                                                               settings):
    settings.MPESA_SIMULATOR_TOKEN_SECONDS = 1
    token = daraja.access_token()
    assert raw_push(simulator_url, callbacks, token).status_code == 200
    time.sleep(1.1)
    assert_daraja_error(raw_push(simulator_url, callbacks, token), 404, "404.001.03", "Invalid Access Token")
    cache.set(daraja.token_cache_key, token, 60)  # as if our cache still believed in it
    assert daraja.stk_push("0712345670", 10, "T-4", "Expired").response_code == "0"
    assert SimulatedAccessToken.objects.count() == 2


def test_a_bad_password_gets_darajas_wrong_credentials_error(daraja, simulator_url, callbacks):
    token = daraja.access_token()
    response = raw_push(simulator_url, callbacks, token, Password="d3Jvbmc=")
    assert_daraja_error(response, 500, "500.001.1001", "Wrong credentials")

    daraja.default_pay_to = daraja_module.PayTo(daraja.shortcode, "not-the-passkey")
    with pytest.raises(DarajaError, match="Wrong credentials") as caught:
        daraja.stk_push("0712345670", 10, "SALE-8", "Bad password")
    assert (caught.value.status, caught.value.code) == (500, "500.001.1001")

    good = get_client().stk_push("0712345670", 10, "SALE-9", "Good password")
    with pytest.raises(DarajaError, match="Wrong credentials"):  # same errorCode as pending: must not read as pending
        daraja.stk_query(good.checkout_request_id)
    assert SimulatedStkPush.objects.count() == 1


@pytest.mark.parametrize("changes, field", [
    ({"PhoneNumber": "0712345670"}, "PhoneNumber"),
    ({"PhoneNumber": "254201234567"}, "PhoneNumber"),
    ({"PartyA": "254700000000"}, "PartyA"),
    ({"PartyB": "six"}, "PartyB"),
    ({"Amount": 0}, "Amount"),
    ({"Amount": "1.5"}, "Amount"),
    ({"Amount": True}, "Amount"),
    ({"TransactionType": "BuyAirtime"}, "TransactionType"),
    ({"CallBackURL": "ftp://example.com/cb"}, "CallBackURL"),
    ({"AccountReference": "THIRTEEN-CHAR"}, "AccountReference"),
    ({"AccountReference": ""}, "AccountReference"),
    ({"TransactionDesc": "fourteen chars"}, "TransactionDesc"),
    ({"Timestamp": "2026"}, "Timestamp"),
    ({"Timestamp": "20261399000000"}, "Timestamp"),
    ({"_body": "{not json"}, "JSON"),
    ({"_body": "[1, 2]"}, "JSON"),
])
def test_bad_fields_get_darajas_bad_request_shape(daraja, simulator_url, callbacks, changes, field):
    token = daraja.access_token()
    assert raw_push(simulator_url, callbacks, token).status_code == 200, "the unspoiled request must pass"
    response = raw_push(simulator_url, callbacks, token, **changes)
    assert_daraja_error(response, 400, "400.002.02", f"Bad Request - Invalid {field}")
    assert SimulatedStkPush.objects.count() == 1


def test_querying_an_unknown_checkout_request_is_an_error(daraja):
    with pytest.raises(DarajaError, match="Bad Request - Invalid CheckoutRequestID") as caught:
        daraja.stk_query("ws_CO_000000000000")
    assert caught.value.status == 400


def test_an_unreachable_daraja_is_a_daraja_error(settings, simulator_url):
    settings.MPESA_BASE_URL = "http://127.0.0.1:9"
    settings.MPESA_HTTP_TIMEOUT = 2
    with pytest.raises(DarajaError, match="could not reach Daraja"):
        get_client().stk_query("ws_CO_1")


# --- every case the payments core must handle (issue 13 §6) --------------------------------------

@pytest.mark.parametrize("phone, code", [
    ("0712345001", 1001), ("0712345019", 1019), ("0712345025", 1025), ("0712345031", 1031),
    ("0712345036", 1036), ("0712345201", 2001), ("0712345999", 9999),
])
def test_every_result_code_reaches_the_callback_and_the_query(daraja, callbacks, phone, code):
    push = daraja.stk_push(phone, 30, "CODES", "Codes")
    ((_, body, _),) = callbacks.wait_for(1)
    assert parse_callback(body).result_code == code
    assert daraja.stk_query(push.checkout_request_id).result_code == code


def test_wrong_pin_first_then_paid_on_the_retry(daraja, callbacks):
    daraja.stk_push("0712345202", 30, "PIN", "Pin")
    daraja.stk_push("0712345202", 30, "PIN", "Pin")
    first, second = callbacks.wait_for(2)
    assert [parse_callback(first[1]).result_code, parse_callback(second[1]).result_code] == [2001, 0]


def test_a_query_answers_4999_until_the_payment_settles(daraja, callbacks, settings):
    settings.MPESA_SIMULATOR_DELAY = 1.0
    push = daraja.stk_push("0712345499", 30, "PROC", "Processing")
    first = daraja.stk_query(push.checkout_request_id)
    assert (first.state, first.result_code) == ("pending", 4999)
    assert settled(daraja, push.checkout_request_id).state == "success"
    assert callbacks.wait_for(1, timeout=1.5) == []  # only the query tells


def test_an_ambiguous_503_push_still_prompts_and_pays(daraja, callbacks):
    with pytest.raises(DarajaError) as caught:
        daraja.stk_push("0712345503", 30, "AMB", "Ambiguous")
    assert caught.value.status == 503 and caught.value.ambiguous
    ((_, body, _),) = callbacks.wait_for(1)
    assert parse_callback(body).result_code == 0


def test_a_push_answered_after_the_client_gave_up_is_ambiguous(daraja, callbacks, settings):
    settings.MPESA_HTTP_TIMEOUT = 0.5
    settings.MPESA_SIMULATOR_SLOW_SECONDS = 1.5
    with pytest.raises(DarajaError) as caught:
        get_client().stk_push("0712345504", 30, "SLOW", "Slow")
    assert caught.value.ambiguous and caught.value.status is None
    ((_, body, _),) = callbacks.wait_for(1, timeout=4)
    assert parse_callback(body).result_code == 0


def test_a_payment_after_the_give_up_calls_back_late(daraja, callbacks, settings):
    settings.MPESA_SIMULATOR_AFTER_GIVE_UP_SECONDS = 1.5
    push = daraja.stk_push("0712345777", 30, "LATE", "After give-up")
    assert daraja.stk_query(push.checkout_request_id).state == "pending"
    assert callbacks.wait_for(1, timeout=0.5) == []
    ((_, body, _),) = callbacks.wait_for(1, timeout=4)
    assert parse_callback(body).result_code == 0


@pytest.fixture
def till(db):
    from fixtures.demo import seed
    from modules.core.businesses.models import Business
    from modules.core.payments.models import MpesaSetting
    from tests.conftest import PASSWORD

    seed(PASSWORD, opening_stock=False)
    return MpesaSetting.objects.create(business=Business.objects.get(code="shop"), kind="till", shortcode="300584",
                                       till_number="5170231", passkey="till-passkey")


def test_a_till_is_pushed_as_buy_goods_and_a_wrong_set_up_answers_sfc_ic0003(daraja, callbacks, till):
    right = daraja_module.PayTo("300584", "till-passkey", "CustomerBuyGoodsOnline", "5170231")
    daraja.stk_push("0712345670", 30, "TILL", "Till", pay_to=right)
    ((_, body, _),) = callbacks.wait_for(1)
    assert parse_callback(body).result_code == 0
    for wrong in (daraja_module.PayTo("300584", "till-passkey"),  # a till pushed as a paybill
                  daraja_module.PayTo("300584", "till-passkey", "CustomerBuyGoodsOnline", "300584")):  # PartyB
        push = daraja.stk_push("0712345670", 30, "TILL", "Till", pay_to=wrong)
        assert settled(daraja, push.checkout_request_id) == StkQueryResult(
            "failed", "SFC_IC0003", "The PartyB or TransactionType does not match the BusinessShortCode's set-up.")
    assert [parse_callback(b).result_code for b in callbacks.bodies()] == [0, "SFC_IC0003", "SFC_IC0003"]
    with pytest.raises(DarajaError, match="Wrong credentials"):  # the till's own passkey, not the paybill's
        daraja.stk_push("0712345670", 30, "TILL", "Till", pay_to=daraja_module.PayTo("300584", "other",
                                                                                    "CustomerBuyGoodsOnline", "5170231"))


def test_c2b_urls_are_registered_and_a_till_payment_is_confirmed_with_a_hashed_phone(daraja, callbacks, till,
                                                                                    simulator_url):
    import hashlib

    daraja.callback_base_url = callbacks.url
    assert daraja.register_c2b_urls("5170231") == "Success"
    daraja.callback_base_url = "https://mpesa-payments.example.co.ke"
    with pytest.raises(DarajaError, match="Invalid URL"):  # Safaricom drops URLs that say mpesa
        daraja.register_c2b_urls("5170231")
    token = daraja.access_token()
    answer = requests.post(f"{simulator_url}/mpesa/c2b/v1/simulate", timeout=5, headers={
        "Authorization": f"Bearer {token}"}, json={"ShortCode": "5170231", "CommandID": "CustomerBuyGoodsOnline",
                                                   "Amount": 430, "Msisdn": "254712345678", "BillRefNumber": ""})
    assert answer.json()["ResponseCode"] == "0"
    (validation, confirmation) = callbacks.wait_for(2)
    assert validation[0].endswith("/validation/") and confirmation[0].endswith("/confirmation/")
    body = confirmation[1]
    assert body["MSISDN"] == hashlib.sha256(b"254712345678").hexdigest()
    assert (body["TransactionType"], body["TransAmount"], body["BusinessShortCode"]) == ("Buy Goods", "430.00",
                                                                                         "5170231")
    assert body["TransID"] == answer.json()["TransID"]


def test_the_portal_statement_lists_money_in_and_charges_with_the_real_headers(daraja, callbacks, simulator_url):
    from modules.core.payments import statements

    paid = daraja.stk_push("0712345670", 1000, "W000001", "Statement")
    daraja.stk_push("0712345671", 50, "W000002", "Statement")  # cancelled: not on the statement
    callbacks.wait_for(2)
    today = timezone.localdate()
    response = requests.get(f"{simulator_url}/portal/statement", timeout=5, params={
        "shortcode": django_settings.MPESA_SHORTCODE, "start": str(today - timedelta(days=1)), "end": str(today)},
        auth=(django_settings.MPESA_CONSUMER_KEY, django_settings.MPESA_CONSUMER_SECRET))
    assert response.status_code == 200 and "Receipt No.,Completion Time,Initiation Time,Details" in response.text
    lines, heading = statements.parse(response.content)
    receipt = SimulatedStkPush.objects.get(checkout_request_id=paid.checkout_request_id).receipt
    assert [(line.receipt, line.kind, line.amount, line.account) for line in lines] == [
        (receipt, "payment", Decimal("1000.00"), "W000001"), (receipt, "charge", Decimal("5.50"), "")]
    assert heading["Short Code"] == django_settings.MPESA_SHORTCODE and heading["Closing Balance"] == "994.50"
    assert lines[0].phone_seen == "2547*****670"


def test_the_register_command_registers_each_business_number(daraja, till, capsys):
    from django.core.management import call_command

    from modules.core.payments.simulator.models import SimulatedC2BRegistration

    call_command("mpesa_register_c2b")
    out = capsys.readouterr().out
    registration = SimulatedC2BRegistration.objects.get(shortcode="300584")
    assert registration.confirmation_url.endswith("/confirmation/") and registration.response_type == "Completed"
    assert "mpesa" not in registration.validation_url.lower() and "300584 (Shop and LPG gas): Success" in out
    till.refresh_from_db()
    assert till.c2b_registered_at is not None and till.c2b_registration.startswith("Success")
