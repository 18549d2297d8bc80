"""The Daraja client's pure parts, and its token/HTTP logic against a stub session (no network)."""

import base64
import json
import re
from datetime import datetime, timezone
from decimal import Decimal

import pytest
import requests
from django.core.exceptions import ValidationError

from modules.core.payments import daraja
from modules.core.payments.daraja import (
    DarajaClient,
    DarajaError,
    StkQueryResult,
    get_client,
    parse_callback,
    password,
    timestamp,
    token_ttl,
)

SANDBOX_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"


# --- stubs -------------------------------------------------------------------------------------

class FakeResponse:
    def __init__(self, status_code=200, body=None, text=None):
        self.status_code = status_code
        self._body = body
        self.text = text if text is not None else json.dumps(body)

    @property
    def ok(self):
        return 200 <= self.status_code < 400

    def json(self):
        if self._body is None:
            raise ValueError("not JSON")
        return self._body


class StubSession:
    """Answers from a queue per path; records every request."""

    def __init__(self, answers=None, token_answer=None):
        self.answers = answers or {}
        self.token_answer = token_answer
        self.calls = []
        self.tokens_issued = 0

    def request(self, method, url, timeout=None, **kwargs):
        self.calls.append({"method": method, "url": url, "timeout": timeout, **kwargs})
        path = url.removeprefix("https://daraja.test")
        if path == daraja.OAUTH_PATH:
            self.tokens_issued += 1
            return self.token_answer or FakeResponse(200, {"access_token": f"token-{self.tokens_issued}",
                                                           "expires_in": "3599"})
        answer = self.answers[path].pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def posts(self):
        return [c for c in self.calls if c["method"] == "POST"]


class FakeCache:
    def __init__(self, broken=False):
        self.data, self.timeouts, self.broken = {}, {}, broken

    def get(self, key, default=None):
        return default if self.broken else self.data.get(key, default)

    def set(self, key, value, timeout=None):
        if not self.broken:
            self.data[key], self.timeouts[key] = value, timeout

    def add(self, key, value, timeout=None):
        if self.broken or key in self.data:
            return False
        self.data[key] = value
        return True

    def delete(self, key):
        return self.data.pop(key, None) is not None


@pytest.fixture
def fake_cache(monkeypatch):
    fake = FakeCache()
    monkeypatch.setattr(daraja, "cache", fake)
    return fake


def make_client(session, **overrides):
    options = dict(base_url="https://daraja.test/", consumer_key="key", consumer_secret="secret",
                   shortcode="174379", passkey=SANDBOX_PASSKEY, callback_base_url="https://shop.example/",
                   callback_token="cb-token", timeout=4.0, session=session)
    return DarajaClient(**(options | overrides))


ACCEPTED = {"MerchantRequestID": "29115-34620561-1", "CheckoutRequestID": "ws_CO_191220191020363925",
            "ResponseCode": "0", "ResponseDescription": "Success. Request accepted for processing",
            "CustomerMessage": "Success. Request accepted for processing"}


def query_answer(result_code, desc="whatever"):
    return FakeResponse(200, {"ResponseCode": "0", "ResponseDescription": "accepted",
                              "MerchantRequestID": "1-2-3", "CheckoutRequestID": "ws_CO_1",
                              "ResultCode": result_code, "ResultDesc": desc})


PENDING = FakeResponse(500, {"requestId": "1", "errorCode": "500.001.1001",
                             "errorMessage": "The transaction is being processed"})


# --- password and timestamp --------------------------------------------------------------------

def test_password_matches_safaricoms_published_sandbox_example():
    assert password("174379", SANDBOX_PASSKEY, "20160216165627") == (
        "MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEw"
        "Zjc4ZTZiNzJhZGExZWQyYzkxOTIwMTYwMjE2MTY1NjI3")


def test_timestamp_is_nairobi_time():
    assert timestamp(datetime(2026, 1, 31, 21, 30, 5, tzinfo=timezone.utc)) == "20260201003005"
    now = timestamp()
    assert len(now) == 14 and now.isdigit()
    assert abs(datetime.strptime(now, "%Y%m%d%H%M%S").replace(tzinfo=daraja.NAIROBI)
               - datetime.now(timezone.utc)).total_seconds() < 5


@pytest.mark.parametrize("expires_in, ttl", [(3599, 3539), (3600, 3540), (120, 60), (90, 30), (60, 30),
                                             (30, 30), (20, 20), (0, 0), (-5, 0)])
def test_token_ttl_is_a_minute_short_and_at_least_thirty_seconds(expires_in, ttl):
    assert token_ttl(expires_in) == ttl


# --- token caching -----------------------------------------------------------------------------

def test_token_is_fetched_with_basic_auth_then_served_from_the_cache(fake_cache):
    session = StubSession()
    client = make_client(session)
    assert client.access_token() == "token-1"
    assert client.access_token() == "token-1"
    assert session.tokens_issued == 1
    call = session.calls[0]
    assert (call["method"], call["url"]) == ("GET", "https://daraja.test/oauth/v1/generate")
    assert call["params"] == {"grant_type": "client_credentials"} and call["auth"] == ("key", "secret")
    assert call["timeout"] == 4.0
    assert fake_cache.timeouts == {client.token_cache_key: 3539}
    assert "key" not in client.token_cache_key and "secret" not in client.token_cache_key


def test_another_app_or_daraja_gets_its_own_token(fake_cache):
    session = StubSession()
    make_client(session).access_token()
    assert make_client(session, consumer_key="other").access_token() == "token-2"
    assert make_client(session, base_url="https://other.test").token_cache_key != make_client(session).token_cache_key


def test_a_cache_miss_from_a_dead_redis_just_fetches_a_new_token(monkeypatch):
    monkeypatch.setattr(daraja, "cache", FakeCache(broken=True))
    session = StubSession()
    client = make_client(session)
    assert [client.access_token() for _ in range(3)] == ["token-1", "token-2", "token-3"]


def test_the_real_cache_backend_keeps_the_token():
    session = StubSession()
    client = make_client(session)
    assert client.access_token() == client.access_token() == "token-1"
    assert session.tokens_issued == 1


def test_a_refused_token_request_raises_a_readable_error(fake_cache):
    refused = FakeResponse(400, {"requestId": "x", "errorCode": "400.008.01",
                                 "errorMessage": "Invalid Authentication passed"})
    with pytest.raises(DarajaError, match="OAuth token refused: HTTP 400, 400.008.01: Invalid Authentication passed"):
        make_client(StubSession(token_answer=refused)).access_token()
    assert fake_cache.data == {}


def test_a_rejected_token_is_dropped_and_one_fresh_token_tried(fake_cache):
    invalid = FakeResponse(401, {"requestId": "x", "errorCode": "404.001.03", "errorMessage": "Invalid Access Token"})
    session = StubSession({daraja.STK_QUERY_PATH: [invalid, query_answer("0")]})
    client = make_client(session)
    fake_cache.set(client.token_cache_key, "stale", 100)
    assert client.stk_query("ws_CO_1").state == "success"
    assert [c["headers"]["Authorization"] for c in session.posts()] == ["Bearer stale", "Bearer token-1"]
    assert fake_cache.data[client.token_cache_key] == "token-1"


@pytest.mark.parametrize("status", [400, 404, 500])
def test_invalid_access_token_404_001_03_is_refreshed_whatever_the_http_status(fake_cache, status):
    """Several clients report Daraja's "Invalid Access Token" with statuses other than 401: the
    stale token must not stay cached for the rest of its hour."""
    invalid = FakeResponse(status, {"requestId": "x", "errorCode": "404.001.03", "errorMessage": "Invalid Access Token"})
    session = StubSession({daraja.STK_PUSH_PATH: [invalid, FakeResponse(200, ACCEPTED)]})
    client = make_client(session)
    fake_cache.set(client.token_cache_key, "stale", 100)
    client.stk_push("0712345678", 10, "R1", "Shop")
    assert [c["headers"]["Authorization"] for c in session.posts()] == ["Bearer stale", "Bearer token-1"]
    assert fake_cache.data[client.token_cache_key] == "token-1"


def test_one_token_refresh_at_a_time(fake_cache):
    """Ten workers find no token at once: one asks Daraja, the others wait for its token."""
    import threading
    import time as clock

    class SlowTokens(StubSession):
        def request(self, method, url, timeout=None, **kwargs):
            if url.endswith(daraja.OAUTH_PATH):
                clock.sleep(0.3)
            return super().request(method, url, timeout, **kwargs)

    session = SlowTokens()
    client = make_client(session)
    start, tokens = threading.Barrier(10), []

    def ask():
        start.wait()
        tokens.append(client.access_token())

    threads = [threading.Thread(target=ask) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert session.tokens_issued == 1 and tokens == ["token-1"] * 10


def test_the_token_expiry_daraja_sends_as_a_string_sets_the_cache_time(fake_cache):
    session = StubSession(token_answer=FakeResponse(200, {"access_token": "short", "expires_in": "120"}))
    client = make_client(session)
    client.access_token()
    assert fake_cache.timeouts[client.token_cache_key] == 60


def test_a_till_push_sends_buy_goods_with_the_store_number_and_the_till(fake_cache):
    session = StubSession({daraja.STK_PUSH_PATH: [FakeResponse(200, ACCEPTED)]})
    till = daraja.PayTo("300584", "till-passkey", "CustomerBuyGoodsOnline", "5170231")
    make_client(session).stk_push("0712345678", 10, "R1", "Shop", pay_to=till, callback_url="https://x.example/s/1/")
    sent = session.posts()[0]["json"]
    assert (sent["TransactionType"], sent["BusinessShortCode"], sent["PartyB"], sent["CallBackURL"]) == (
        "CustomerBuyGoodsOnline", "300584", "5170231", "https://x.example/s/1/")
    assert sent["Password"] == password("300584", "till-passkey", sent["Timestamp"])


@pytest.mark.parametrize("error, ambiguous", [
    (requests.ConnectTimeout("connect timed out"), False),
    (requests.ConnectionError("HTTPSConnectionPool: Failed to establish a new connection: refused"), False),
    (requests.ReadTimeout("read timed out"), True),
    (requests.ConnectionError("Connection reset by peer"), True),
])
def test_a_push_that_may_have_reached_daraja_is_ambiguous(fake_cache, error, ambiguous):
    session = StubSession({daraja.STK_PUSH_PATH: [error]})
    with pytest.raises(DarajaError) as caught:
        make_client(session).stk_push("0712345678", 10, "R1", "Shop")
    assert caught.value.ambiguous is ambiguous


@pytest.mark.parametrize("answer, ambiguous", [
    (FakeResponse(503, None, text="Service Unavailable"), True),
    (FakeResponse(500, {"requestId": "r", "errorCode": "500.001.1001", "errorMessage": "Wrong credentials"}), False),
    (FakeResponse(400, {"requestId": "r", "errorCode": "400.002.02", "errorMessage": "Bad Request - Invalid PartyB"}),
     False),
])
def test_a_5xx_push_is_ambiguous_unless_it_certainly_did_nothing(fake_cache, answer, ambiguous):
    session = StubSession({daraja.STK_PUSH_PATH: [answer]})
    with pytest.raises(DarajaError) as caught:
        make_client(session).stk_push("0712345678", 10, "R1", "Shop")
    assert caught.value.ambiguous is ambiguous


def test_a_token_refused_twice_is_an_error(fake_cache):
    invalid = FakeResponse(401, {"requestId": "x", "errorCode": "404.001.03", "errorMessage": "Invalid Access Token"})
    session = StubSession({daraja.STK_QUERY_PATH: [invalid, invalid]})
    with pytest.raises(DarajaError, match="Invalid Access Token") as caught:
        make_client(session).stk_query("ws_CO_1")
    assert caught.value.status == 401 and session.tokens_issued == 2


# --- STK push ----------------------------------------------------------------------------------

def test_stk_push_sends_darajas_fields(fake_cache):
    session = StubSession({daraja.STK_PUSH_PATH: [FakeResponse(200, ACCEPTED)]})
    result = make_client(session).stk_push("0712 345 678", 150, "SALE-42", "Water refill")
    assert result == daraja.StkPushResponse("29115-34620561-1", "ws_CO_191220191020363925", "0",
                                            "Success. Request accepted for processing")
    (call,) = session.posts()
    assert call["url"] == "https://daraja.test/mpesa/stkpush/v1/processrequest"
    assert call["headers"] == {"Authorization": "Bearer token-1"}
    sent = call["json"]
    stamp = sent.pop("Timestamp")
    assert base64.b64decode(sent.pop("Password")).decode() == f"174379{SANDBOX_PASSKEY}{stamp}"
    assert sent == {
        "BusinessShortCode": "174379", "TransactionType": "CustomerPayBillOnline", "Amount": 150,
        "PartyA": "254712345678", "PartyB": "174379", "PhoneNumber": "254712345678",
        "CallBackURL": "https://shop.example/payments/stk/cb-token/",
        "AccountReference": "SALE-42", "TransactionDesc": "Water refill",
    }


def test_stk_push_takes_an_integral_decimal(fake_cache):
    session = StubSession({daraja.STK_PUSH_PATH: [FakeResponse(200, ACCEPTED)]})
    make_client(session).stk_push("0712345678", Decimal("200.00"), "R1", "Laundry")
    assert session.posts()[0]["json"]["Amount"] == 200


@pytest.mark.parametrize("phone, amount, reference, description, error", [
    ("0201234567", 10, "R1", "Shop", ValidationError),
    ("0712345678", 0, "R1", "Shop", ValueError),
    ("0712345678", -5, "R1", "Shop", ValueError),
    ("0712345678", 10.5, "R1", "Shop", ValueError),
    ("0712345678", Decimal("10.50"), "R1", "Shop", ValueError),
    ("0712345678", True, "R1", "Shop", ValueError),
    ("0712345678", "10", "R1", "Shop", ValueError),
    ("0712345678", 10, "", "Shop", ValueError),
    ("0712345678", 10, "THIRTEEN-CHAR", "Shop", ValueError),
    ("0712345678", 10, "R1", "", ValueError),
    ("0712345678", 10, "R1", "fourteen chars", ValueError),
])
def test_stk_push_refuses_bad_input_before_calling_daraja(fake_cache, phone, amount, reference, description, error):
    session = StubSession()
    with pytest.raises(error):
        make_client(session).stk_push(phone, amount, reference, description)
    assert session.calls == []


@pytest.mark.parametrize("answer, message", [
    (FakeResponse(400, {"requestId": "r", "errorCode": "400.002.02",
                        "errorMessage": "Bad Request - Invalid PhoneNumber"}),
     "STK push refused: HTTP 400, 400.002.02: Bad Request - Invalid PhoneNumber"),
    (FakeResponse(500, {"requestId": "r", "errorCode": "500.001.1001", "errorMessage": "Wrong credentials"}),
     "HTTP 500, 500.001.1001: Wrong credentials"),
    (FakeResponse(200, {**ACCEPTED, "ResponseCode": "1", "ResponseDescription": "Rejected"}), "HTTP 200, 1: Rejected"),
    (FakeResponse(502, None, text="<html>Bad gateway</html>"), "HTTP 502: <html>Bad gateway</html>"),
    (FakeResponse(200, {"ResponseCode": "0"}), "lacks 'MerchantRequestID'"),
])
def test_stk_push_errors_are_readable(fake_cache, answer, message):
    session = StubSession({daraja.STK_PUSH_PATH: [answer]})
    with pytest.raises(DarajaError, match=re.escape(message)):
        make_client(session).stk_push("0712345678", 10, "R1", "Shop")


# --- STK query ---------------------------------------------------------------------------------

@pytest.mark.parametrize("answer, expected", [
    (PENDING, StkQueryResult("pending", None, "The transaction is being processed")),
    (query_answer("0", "The service request is processed successfully."),
     StkQueryResult("success", 0, "The service request is processed successfully.")),
    (query_answer("1032", "Request cancelled by user"), StkQueryResult("failed", 1032, "Request cancelled by user")),
    (query_answer(1037, "DS timeout user cannot be reached"),
     StkQueryResult("failed", 1037, "DS timeout user cannot be reached")),
    (query_answer("1", "The balance is insufficient for the transaction."),
     StkQueryResult("failed", 1, "The balance is insufficient for the transaction.")),
    (query_answer("2001", "The initiator information is invalid."),
     StkQueryResult("failed", 2001, "The initiator information is invalid.")),
    (query_answer("4999", "The transaction is still under processing"),
     StkQueryResult("pending", 4999, "The transaction is still under processing")),
    (query_answer("SFC_IC0003", "Invalid till set-up"), StkQueryResult("failed", "SFC_IC0003", "Invalid till set-up")),
])
def test_stk_query_states(fake_cache, answer, expected):
    session = StubSession({daraja.STK_QUERY_PATH: [answer]})
    assert make_client(session).stk_query("ws_CO_1") == expected
    sent = session.posts()[0]["json"]
    assert sent["CheckoutRequestID"] == "ws_CO_1" and sent["BusinessShortCode"] == "174379"
    assert sent["Password"] == password("174379", SANDBOX_PASSKEY, sent["Timestamp"])


@pytest.mark.parametrize("answer, message", [
    # Daraja reuses the pending errorCode for a wrong password: that is an error, not "pending".
    (FakeResponse(500, {"requestId": "r", "errorCode": "500.001.1001", "errorMessage": "Wrong credentials"}),
     "Wrong credentials"),
    (FakeResponse(400, {"requestId": "r", "errorCode": "400.002.02",
                        "errorMessage": "Bad Request - Invalid CheckoutRequestID"}), "Invalid CheckoutRequestID"),
    (FakeResponse(503, None, text="Service Unavailable"), "HTTP 503: Service Unavailable"),
    (FakeResponse(200, {"ResponseCode": "0"}), "STK query failed"),
    (query_answer({"code": 1}), "is not a result code"),
    (requests.ConnectTimeout("timed out"), "could not reach Daraja"),
    (requests.ConnectionError("refused"), "could not reach Daraja at https://daraja.test/mpesa/stkpushquery"),
    (requests.ReadTimeout("read timed out"), "read timed out"),
])
def test_stk_query_failures_raise_daraja_error(fake_cache, answer, message):
    session = StubSession({daraja.STK_QUERY_PATH: [answer]})
    with pytest.raises(DarajaError, match=message):
        make_client(session).stk_query("ws_CO_1")


def test_network_errors_fetching_the_token_raise_daraja_error(fake_cache):
    class Down(StubSession):
        def request(self, *args, **kwargs):
            raise requests.ConnectionError("connection refused")

    with pytest.raises(DarajaError, match="OAuth token: could not reach Daraja"):
        make_client(Down()).stk_query("ws_CO_1")


def test_get_client_reads_the_settings(settings):
    settings.MPESA_BASE_URL = "https://sandbox.safaricom.co.ke/"
    settings.MPESA_CALLBACK_BASE_URL = "https://biashara.example"
    settings.MPESA_CALLBACK_TOKEN = "t0k3n"
    settings.MPESA_SHORTCODE = "600000"
    settings.MPESA_HTTP_TIMEOUT = 7.5
    client = get_client()
    assert client.base_url == "https://sandbox.safaricom.co.ke"
    assert client.callback_url == "https://biashara.example/payments/stk/t0k3n/"
    assert client.c2b_urls() == ("https://biashara.example/payments/c2b/t0k3n/validation/",
                                 "https://biashara.example/payments/c2b/t0k3n/confirmation/")
    assert not any(word in url.lower() for url in (client.callback_url, *client.c2b_urls())
                   for word in ("mpesa", "safaricom"))  # Safaricom drops such URLs
    assert (client.shortcode, client.timeout, client.session) == ("600000", 7.5, daraja.SESSION)
    assert (client.consumer_key, client.default_pay_to.passkey) == (settings.MPESA_CONSUMER_KEY,
                                                                    settings.MPESA_PASSKEY)


# --- callbacks ---------------------------------------------------------------------------------

SUCCESS_CALLBACK = {"Body": {"stkCallback": {
    "MerchantRequestID": "19465-780693-1",
    "CheckoutRequestID": "ws_CO_27072017154747416",
    "ResultCode": 0,
    "ResultDesc": "The service request is processed successfully.",
    "CallbackMetadata": {"Item": [
        {"Name": "Amount", "Value": 1.00},
        {"Name": "MpesaReceiptNumber", "Value": "LGR7OWQX0R"},
        {"Name": "Balance"},
        {"Name": "TransactionDate", "Value": 20170727154800},
        {"Name": "PhoneNumber", "Value": 254721566839},
    ]},
}}}

CANCELLED_CALLBACK = {"Body": {"stkCallback": {
    "MerchantRequestID": "8555-67195-1",
    "CheckoutRequestID": "ws_CO_27072017151044001",
    "ResultCode": 1032,
    "ResultDesc": "Request cancelled by user",
}}}


def test_parse_a_successful_callback():
    callback = parse_callback(json.loads(json.dumps(SUCCESS_CALLBACK)))
    assert callback == daraja.StkCallback(
        merchant_request_id="19465-780693-1", checkout_request_id="ws_CO_27072017154747416", result_code=0,
        result_desc="The service request is processed successfully.", amount=Decimal("1.00"),
        receipt="LGR7OWQX0R", phone="254721566839",
        transaction_date=datetime(2017, 7, 27, 15, 48, tzinfo=daraja.NAIROBI))
    assert callback.succeeded and str(callback.amount) == "1.00"


def test_parse_a_failed_callback_has_no_payment_details():
    callback = parse_callback(CANCELLED_CALLBACK)
    assert (callback.result_code, callback.result_desc) == (1032, "Request cancelled by user")
    assert not callback.succeeded
    assert (callback.amount, callback.receipt, callback.phone, callback.transaction_date) == (None, None, None, None)


def test_parse_callback_takes_a_string_result_code_and_amount():
    body = json.loads(json.dumps(SUCCESS_CALLBACK))
    body["Body"]["stkCallback"]["ResultCode"] = "0"
    body["Body"]["stkCallback"]["CallbackMetadata"]["Item"][0]["Value"] = "1500"
    assert parse_callback(body).amount == Decimal("1500.00")


@pytest.mark.parametrize("code, expected", [(0, 0), ("0", 0), (1037.0, 1037), (" 1032 ", 1032),
                                            ("SFC_IC0003", "SFC_IC0003")])
def test_result_codes_are_numbers_or_configuration_error_codes(code, expected):
    assert daraja.result_code(code) == expected


def test_a_non_numeric_result_code_is_read_not_refused():
    callback = parse_callback(_with(ResultCode="SFC_IC0003", ResultDesc="Invalid till set-up", CallbackMetadata=...))
    assert (callback.result_code, callback.succeeded) == ("SFC_IC0003", False)


def test_an_odd_phone_is_kept_bounded_for_the_services_to_judge():
    body = json.loads(json.dumps(SUCCESS_CALLBACK))
    body["Body"]["stkCallback"]["CallbackMetadata"]["Item"][4]["Value"] = int("7" * 400)
    assert parse_callback(body).phone == "7" * 20


def _with(**changes):
    body = json.loads(json.dumps(SUCCESS_CALLBACK))
    for key, value in changes.items():
        if value is ...:
            del body["Body"]["stkCallback"][key]
        else:
            body["Body"]["stkCallback"][key] = value
    return body


@pytest.mark.parametrize("body, message", [
    ([], "not a JSON object"),
    ("{}", "not a JSON object"),
    ({}, "Body.stkCallback is missing"),
    ({"Body": "x"}, "Body.stkCallback is missing"),
    ({"Body": {}}, "Body.stkCallback is missing"),
    ({"Body": {"stkCallback": []}}, "Body.stkCallback is missing"),
    (_with(CheckoutRequestID=...), "CheckoutRequestID is missing"),
    (_with(MerchantRequestID=""), "MerchantRequestID is missing"),
    (_with(ResultCode=...), "ResultCode is missing"),
    (_with(ResultCode={"code": 0}), "is not a result code"),
    (_with(ResultCode=1.5), "is not a result code"),
    (_with(ResultCode=float("inf")), "is not a result code"),
    (_with(ResultCode=True), "is not a result code"),
    (_with(ResultCode="not a code"), "is not a result code"),
    (_with(ResultCode=10**400), "is not a result code"),
    (_with(CheckoutRequestID="c" * 65), "CheckoutRequestID 'ccc"),
    (_with(MerchantRequestID=["m"]), "MerchantRequestID \\['m'\\] is not an identifier"),
    (_with(CallbackMetadata={"Item": {"Name": "Amount"}}), "CallbackMetadata.Item is not a list"),
    (_with(CallbackMetadata=[]), "CallbackMetadata.Item is not a list"),
    (_with(CallbackMetadata={"Item": [{"Value": 1}]}), "has no Name"),
    (_with(CallbackMetadata=...), "must carry CallbackMetadata with MpesaReceiptNumber"),
    (_with(CallbackMetadata={"Item": [{"Name": "Amount", "Value": 1}]}), "MpesaReceiptNumber"),
    (_with(CallbackMetadata={"Item": [{"Name": "Amount", "Value": "lots"},
                                      {"Name": "MpesaReceiptNumber", "Value": "LGR7OWQX0R"}]}),
     "Amount 'lots' is not a number"),
    (_with(CallbackMetadata={"Item": [{"Name": "Amount", "Value": 1e300},
                                      {"Name": "MpesaReceiptNumber", "Value": "LGR7OWQX0R"}]}),
     "is not an amount M-Pesa carries"),
    (_with(CallbackMetadata={"Item": [{"Name": "MpesaReceiptNumber", "Value": "Q" * 21}]}), "is not a receipt number"),
    (_with(CallbackMetadata={"Item": [{"Name": "MpesaReceiptNumber", "Value": 1234567}]}), "is not a receipt number"),
])
def test_malformed_callbacks_raise_value_error(body, message):
    with pytest.raises(ValueError, match=message):
        parse_callback(body)
