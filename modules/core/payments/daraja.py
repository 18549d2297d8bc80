"""A small Safaricom Daraja client: OAuth token (cached), STK Push, STK Query, and callback parsing.

The same client talks to the local simulator (MPESA_MODE=simulator), the sandbox or production; only
MPESA_BASE_URL and the credentials differ. Amounts are whole Kenyan shillings; times are Nairobi's.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.core.cache import cache

from modules.core.customers.phones import normalize_phone

NAIROBI = ZoneInfo("Africa/Nairobi")
SESSION = requests.Session()  # shared keep-alive connections; the client takes another for tests

OAUTH_PATH = "/oauth/v1/generate"
STK_PUSH_PATH = "/mpesa/stkpush/v1/processrequest"
STK_QUERY_PATH = "/mpesa/stkpushquery/v1/query"
C2B_REGISTER_PATH = "/mpesa/c2b/v2/registerurl"
INVALID_TOKEN_CODE = "404.001.03"
TOKEN_LOCK_SECONDS = 15  # how long others wait for the one process fetching a new token

RESULT_SUCCESS = 0
RESULT_INSUFFICIENT_FUNDS = 1
RESULT_CANCELLED = 1032
RESULT_NO_RESPONSE = 1037
# STK Query answers a request M-Pesa is still processing with HTTP 500 and this errorCode. Daraja
# reuses the code for other failures (e.g. "Wrong credentials"), so the message is checked too.
PENDING_ERROR_CODE = "500.001.1001"
PENDING_ERROR_TEXT = "being processed"
# Integrators report ResultCode 4999 "still under processing" from STK Query (not in Safaricom's
# published list): treated as pending, so a payment that may still succeed is never marked failed.
PENDING_RESULT_CODES = {4999}

ACCOUNT_REFERENCE_MAX = 12
DESCRIPTION_MAX = 13
# Bounds on what a callback may carry, so a hostile body fails as malformed, never in the database.
IDENTIFIER_MAX = 64
RESULT_CODE_MAX = 10**9
CODE_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,31}")  # "SFC_IC0003"
RECEIPT = re.compile(r"[A-Z0-9]{6,20}")
AMOUNT_MAX = Decimal("999999999")
PHONE_TEXT_MAX = 20


class DarajaError(Exception):
    """Daraja refused the request, answered something unexpected, or could not be reached.

    ``status`` is the HTTP status (None when there was no answer), ``code`` Daraja's errorCode or
    ResponseCode when it gave one. ``ambiguous``: the request may have reached Daraja and done its
    work (a read timeout, a reset connection, a 5xx), so the outcome is unknown, not a refusal.
    """

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 ambiguous: bool = False):
        super().__init__(message)
        self.status = status
        self.code = code
        self.ambiguous = ambiguous


@dataclass(frozen=True)
class PayTo:
    """Where an STK push sends the money: a paybill (CustomerPayBillOnline, PartyB = the paybill) or
    a Buy Goods till (CustomerBuyGoodsOnline, BusinessShortCode = the store number, PartyB = the till)."""

    shortcode: str  # BusinessShortCode: the paybill, or the till's store number
    passkey: str
    transaction_type: str = "CustomerPayBillOnline"
    party_b: str = ""  # the till for Buy Goods; the paybill (= shortcode) when empty

    @property
    def receiver(self) -> str:
        return self.party_b or self.shortcode


@dataclass(frozen=True)
class StkPushResponse:
    merchant_request_id: str
    checkout_request_id: str
    response_code: str
    customer_message: str


@dataclass(frozen=True)
class StkQueryResult:
    state: str  # "pending", "success" or "failed"
    result_code: int | None
    result_desc: str


@dataclass(frozen=True)
class StkCallback:
    merchant_request_id: str
    checkout_request_id: str
    result_code: int | str  # text for configuration errors such as "SFC_IC0003"
    result_desc: str
    amount: Decimal | None = None
    receipt: str | None = None
    phone: str | None = None  # as sent, not yet checked
    transaction_date: datetime | None = None  # from YYYYmmddHHMMSS, Nairobi time

    @property
    def succeeded(self) -> bool:
        return self.result_code == RESULT_SUCCESS


# --- pure helpers ------------------------------------------------------------------------------

def timestamp(now: datetime | None = None) -> str:
    """Daraja's Timestamp: YYYYmmddHHMMSS in Nairobi time."""
    return (now or datetime.now(NAIROBI)).astimezone(NAIROBI).strftime("%Y%m%d%H%M%S")


def password(shortcode: str, passkey: str, stamp: str) -> str:
    """Daraja's STK Password: base64(shortcode + passkey + timestamp)."""
    return base64.b64encode(f"{shortcode}{passkey}{stamp}".encode()).decode()


def token_ttl(expires_in: int) -> int:
    """How long to cache a token: a minute less than Daraja grants, at least 30 s, never longer than granted."""
    return max(0, min(expires_in, max(30, expires_in - 60)))


def whole_shillings(amount) -> int:
    """Daraja takes whole shillings only: an int (or an integral Decimal) of at least 1."""
    if isinstance(amount, Decimal) and amount.is_finite() and amount == amount.to_integral_value():
        amount = int(amount)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
        raise ValueError(f"M-Pesa amounts are whole shillings of at least 1, not {amount!r}")
    return amount


def result_code(value) -> int | str:
    """Daraja's ResultCode as an int (``0``, ``"1032"``, ``1037.0``) or, for the non-numeric codes a
    wrong till or paybill set-up gives (``"SFC_IC0003"``), the code as text. Anything else (an
    object, a fraction, ``1e400``, free text) is malformed: ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"ResultCode {value!r} is not a result code")
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if abs(value) > RESULT_CODE_MAX:
            raise ValueError(f"ResultCode {value!r} is not a result code")
        return value
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?[0-9]{1,9}", text):
            return int(text)
        if CODE_TEXT.fullmatch(text):
            return text
    raise ValueError(f"ResultCode {_short(value)} is not a result code")


def _short(value) -> str:
    """A value for an error message, never longer than a line."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _identifier(callback: dict, field: str) -> str:
    value = callback.get(field)
    if value in (None, ""):
        raise ValueError(f"STK callback: {field} is missing")
    if not isinstance(value, (str, int)) or isinstance(value, bool) or len(str(value)) > IDENTIFIER_MAX:
        raise ValueError(f"STK callback: {field} {_short(value)} is not an identifier")
    return str(value)


def receipt_number(value) -> str:
    """An M-Pesa receipt (TransID): 6–20 uppercase letters and digits, e.g. ``LGR7OWQX0R``."""
    text = value.strip().upper() if isinstance(value, str) else ""
    if not RECEIPT.fullmatch(text):
        raise ValueError(f"M-Pesa receipt {_short(value)} is not a receipt number")
    return text


def money(value, what: str = "Amount") -> Decimal:
    """A positive KES amount with cents, as Daraja sends it (``1``, ``1.00``, ``"1500"``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(f"{what} {_short(value)} is not a number")
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"{what} {_short(value)} is not a number") from None
    if not amount.is_finite() or not 0 < amount <= AMOUNT_MAX:
        raise ValueError(f"{what} {_short(value)} is not an amount M-Pesa carries")
    return amount.quantize(Decimal("0.01"))


def transaction_time(value) -> datetime | None:
    """Daraja's YYYYmmddHHMMSS (Nairobi) as an aware datetime; None when absent or unreadable."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"[0-9]{14}", text):
        return None
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=NAIROBI)
    except ValueError:
        return None


def parse_callback(body: dict) -> StkCallback:
    """Read an STK callback (``Body.stkCallback``); CallbackMetadata is present only on success.
    Raises ValueError for anything malformed; values are checked for type and size, so nothing
    Daraja (or a forger) sends can reach the database unchecked."""
    if not isinstance(body, dict):
        raise ValueError("STK callback: the body is not a JSON object")
    outer = body.get("Body")
    callback = outer.get("stkCallback") if isinstance(outer, dict) else None
    if not isinstance(callback, dict):
        raise ValueError("STK callback: Body.stkCallback is missing")
    merchant_request_id = _identifier(callback, "MerchantRequestID")
    checkout_request_id = _identifier(callback, "CheckoutRequestID")
    if callback.get("ResultCode") in (None, ""):
        raise ValueError("STK callback: ResultCode is missing")
    code = result_code(callback["ResultCode"])

    items: dict[str, object] = {}
    metadata = callback.get("CallbackMetadata")
    if metadata is not None:
        entries = metadata.get("Item") if isinstance(metadata, dict) else None
        if not isinstance(entries, list):
            raise ValueError("STK callback: CallbackMetadata.Item is not a list")
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("Name"), str) or not entry["Name"]:
                raise ValueError(f"STK callback: CallbackMetadata item {_short(entry)} has no Name")
            items[entry["Name"]] = entry.get("Value")  # "Balance" comes without a Value
    receipt = amount = None
    if code == RESULT_SUCCESS:
        if not items.get("MpesaReceiptNumber"):
            raise ValueError("STK callback: a successful payment must carry CallbackMetadata with MpesaReceiptNumber")
        receipt = receipt_number(items["MpesaReceiptNumber"])
    if items.get("Amount") is not None:
        amount = money(items["Amount"])
    phone = items.get("PhoneNumber")
    return StkCallback(
        merchant_request_id=merchant_request_id,
        checkout_request_id=checkout_request_id,
        result_code=code,
        result_desc=str(callback.get("ResultDesc", ""))[:255],
        amount=amount,
        receipt=receipt,
        # kept as sent (bounded); services compare it with the phone that was asked
        phone=str(phone)[:PHONE_TEXT_MAX] if isinstance(phone, (str, int)) and not isinstance(phone, bool) else None,
        transaction_date=transaction_time(items.get("TransactionDate")),
    )


def _json(response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _describe(response, body: dict) -> str:
    """'HTTP 400, 400.002.02: Bad Request - Invalid PhoneNumber' from whatever Daraja answered."""
    code = body.get("errorCode") or body.get("ResponseCode")
    message = body.get("errorMessage") or body.get("ResponseDescription") or body.get("CustomerMessage")
    if not message:
        message = (response.text or "").strip()[:200] or "no body"
    return f"HTTP {response.status_code}" + (f", {code}" if code not in (None, "") else "") + f": {message}"


def _is_pending(body: dict) -> bool:
    return (body.get("errorCode") == PENDING_ERROR_CODE
            and PENDING_ERROR_TEXT in str(body.get("errorMessage", "")).lower())


# --- the client --------------------------------------------------------------------------------

class DarajaClient:
    def __init__(self, *, base_url: str, consumer_key: str, consumer_secret: str, shortcode: str,
                 passkey: str, callback_base_url: str, callback_token: str, timeout: float = 10.0,
                 session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.default_pay_to = PayTo(str(shortcode), passkey)
        self.callback_base_url = callback_base_url.rstrip("/")
        self.callback_token = callback_token
        self.timeout = timeout
        self.session = session or SESSION

    @property
    def shortcode(self) -> str:
        return self.default_pay_to.shortcode

    @property
    def callback_url(self) -> str:
        """STK results. Registered and callback URLs must not say "mpesa" or "safaricom"."""
        return f"{self.callback_base_url}/payments/stk/{self.callback_token}/"

    def c2b_urls(self) -> tuple[str, str]:
        """(validation, confirmation) URLs to register for C2B payments."""
        base = f"{self.callback_base_url}/payments/c2b/{self.callback_token}"
        return f"{base}/validation/", f"{base}/confirmation/"

    @property
    def token_cache_key(self) -> str:
        """One token per Daraja and app (consumer key); the key itself is not written to Redis."""
        digest = hashlib.sha256(f"{self.base_url}|{self.consumer_key}".encode()).hexdigest()[:16]
        return f"mpesa:token:{digest}"

    # --- HTTP ----------------------------------------------------------------------------------

    def _send(self, method: str, path: str, what: str, **kwargs):
        url = self.base_url + path
        try:
            return self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            raise DarajaError(f"{what}: could not reach Daraja at {url}: {error}",
                              ambiguous=_may_have_arrived(error)) from error

    def access_token(self, *, refresh: bool = False, stale: str | None = None) -> str:
        """A cached OAuth token; a miss asks Daraja for a new one, one process at a time: the others
        wait for it in the cache. ``stale``: a token Daraja just refused (dropped if still cached)."""
        key = self.token_cache_key
        if stale is not None and cache.get(key) == stale:
            cache.delete(key)
        if not refresh:
            token = cache.get(key)
            if token and token != stale:
                return token
        lock = f"{key}:refreshing"
        if not cache.add(lock, "1", TOKEN_LOCK_SECONDS):
            if cache.get(lock) is not None:  # another process is fetching: wait for its token
                deadline = time.monotonic() + TOKEN_LOCK_SECONDS
                while time.monotonic() < deadline and cache.get(lock) is not None:
                    time.sleep(0.05)
                    token = cache.get(key)
                    if token and token != stale:
                        return token
            # no lock visible: the cache is down (every call is a miss) or the holder gave up
        try:
            return self._fetch_token()
        finally:
            cache.delete(lock)

    def _fetch_token(self) -> str:
        response = self._send("GET", OAUTH_PATH, "OAuth token", params={"grant_type": "client_credentials"},
                              auth=(self.consumer_key, self.consumer_secret))
        body = _json(response)
        token = body.get("access_token")
        if response.status_code != 200 or not token:
            raise DarajaError(f"OAuth token refused: {_describe(response, body)}",
                              status=response.status_code, code=body.get("errorCode"))
        try:
            expires_in = int(body.get("expires_in", 3599))  # Daraja sends the string "3599"
        except (TypeError, ValueError):
            expires_in = 3599
        ttl = token_ttl(expires_in)
        if ttl:
            cache.set(self.token_cache_key, token, ttl)
        return token

    def _post(self, path: str, payload: dict, what: str):
        """POST with a bearer token. A token Daraja refuses (HTTP 401, or errorCode 404.001.03 "Invalid
        Access Token", which several clients report with other statuses) is dropped and one fresh
        token tried."""
        response, token = None, None
        for attempt in range(2):
            token = self.access_token(refresh=attempt > 0, stale=token)
            response = self._send("POST", path, what, json=payload, headers={"Authorization": f"Bearer {token}"})
            if not _token_refused(response):
                break
        return response

    def _credentials(self, pay_to: PayTo) -> dict:
        stamp = timestamp()
        return {"BusinessShortCode": pay_to.shortcode,
                "Password": password(pay_to.shortcode, pay_to.passkey, stamp), "Timestamp": stamp}

    # --- API -----------------------------------------------------------------------------------

    def stk_push(self, phone: str, amount: int, account_reference: str, description: str, *,
                 pay_to: PayTo | None = None, callback_url: str | None = None) -> StkPushResponse:
        """Ask the customer's phone to approve a payment. Raises ValidationError for a bad phone number,
        ValueError for a bad amount/reference/description, DarajaError when Daraja does not accept it
        (``ambiguous`` when it may have accepted it anyway)."""
        pay_to = pay_to or self.default_pay_to
        phone = normalize_phone(phone)
        amount = whole_shillings(amount)
        if not account_reference or len(account_reference) > ACCOUNT_REFERENCE_MAX:
            raise ValueError(f"AccountReference must be 1–{ACCOUNT_REFERENCE_MAX} characters: {account_reference!r}")
        if not description or len(description) > DESCRIPTION_MAX:
            raise ValueError(f"TransactionDesc must be 1–{DESCRIPTION_MAX} characters: {description!r}")
        payload = {
            **self._credentials(pay_to),
            "TransactionType": pay_to.transaction_type,
            "Amount": amount,
            "PartyA": phone,
            "PartyB": pay_to.receiver,
            "PhoneNumber": phone,
            "CallBackURL": callback_url or self.callback_url,
            "AccountReference": account_reference,
            "TransactionDesc": description,
        }
        response = self._post(STK_PUSH_PATH, payload, "STK push")
        body = _json(response)
        if not response.ok or str(body.get("ResponseCode")) != "0":
            code = body.get("errorCode") or body.get("ResponseCode")
            raise DarajaError(f"STK push refused: {_describe(response, body)}", status=response.status_code,
                              code=code, ambiguous=response.status_code >= 500 and not _is_definite(body))
        try:
            return StkPushResponse(
                merchant_request_id=str(body["MerchantRequestID"]),
                checkout_request_id=str(body["CheckoutRequestID"]),
                response_code=str(body["ResponseCode"]),
                customer_message=str(body.get("CustomerMessage", "")),
            )
        except KeyError as missing:
            raise DarajaError(f"STK push: Daraja's answer lacks {missing}", status=response.status_code,
                              ambiguous=True) from None

    def stk_query(self, checkout_request_id: str, *, pay_to: PayTo | None = None) -> StkQueryResult:
        """Where an STK push stands now. Network errors and unexpected answers raise DarajaError;
        a non-numeric ResultCode (a set-up error) is a final failure, like Daraja's numeric ones."""
        payload = {**self._credentials(pay_to or self.default_pay_to), "CheckoutRequestID": checkout_request_id}
        response = self._post(STK_QUERY_PATH, payload, "STK query")
        body = _json(response)
        if _is_pending(body):
            return StkQueryResult("pending", None, str(body.get("errorMessage", "")))
        if not response.ok or str(body.get("ResponseCode", "0")) != "0" or "ResultCode" not in body:
            raise DarajaError(f"STK query failed: {_describe(response, body)}", status=response.status_code,
                              code=body.get("errorCode") or body.get("ResponseCode"))
        try:
            code = result_code(body["ResultCode"])
        except ValueError:
            raise DarajaError(f"STK query: ResultCode {_short(body['ResultCode'])} is not a result code",
                              status=response.status_code) from None
        desc = str(body.get("ResultDesc", ""))[:255]
        if code in PENDING_RESULT_CODES:
            return StkQueryResult("pending", code, desc)
        return StkQueryResult("success" if code == RESULT_SUCCESS else "failed", code, desc)

    def register_c2b_urls(self, shortcode: str, *, response_type: str = "Completed") -> str:
        """Register our validation and confirmation URLs for a paybill or till (C2B). ``Completed``:
        when our validation URL cannot be reached, M-Pesa completes the payment (never lose a sale).
        Returns Daraja's ResponseDescription; DarajaError when refused."""
        validation, confirmation = self.c2b_urls()
        payload = {"ShortCode": str(shortcode), "ResponseType": response_type,
                   "ConfirmationURL": confirmation, "ValidationURL": validation}
        response = self._post(C2B_REGISTER_PATH, payload, "C2B register URL")
        body = _json(response)
        if not response.ok or str(body.get("ResponseCode", "")).strip() != "0":
            raise DarajaError(f"C2B register URL refused: {_describe(response, body)}", status=response.status_code,
                              code=body.get("errorCode") or body.get("ResponseCode"))
        return str(body.get("ResponseDescription") or "Success")


def _token_refused(response) -> bool:
    return response.status_code == 401 or _json(response).get("errorCode") == INVALID_TOKEN_CODE


def _is_definite(body: dict) -> bool:
    """A 5xx that certainly did nothing: Daraja's "Wrong credentials" (a bad password)."""
    return "credential" in str(body.get("errorMessage", "")).lower()


def _may_have_arrived(error: requests.RequestException) -> bool:
    """Whether a failed call may still have reached Daraja: not when the connection was never made."""
    if isinstance(error, requests.ConnectTimeout):
        return False
    if isinstance(error, requests.ConnectionError):
        text = repr(error)
        return not any(sign in text for sign in ("NewConnectionError", "NameResolutionError",
                                                 "Failed to establish a new connection", "Connection refused"))
    return isinstance(error, (requests.Timeout, requests.exceptions.ChunkedEncodingError))


def get_client() -> DarajaClient:
    """The client configured by the MPESA_* settings."""
    return DarajaClient(
        base_url=settings.MPESA_BASE_URL,
        consumer_key=settings.MPESA_CONSUMER_KEY,
        consumer_secret=settings.MPESA_CONSUMER_SECRET,
        shortcode=settings.MPESA_SHORTCODE,
        passkey=settings.MPESA_PASSKEY,
        callback_base_url=settings.MPESA_CALLBACK_BASE_URL,
        callback_token=settings.MPESA_CALLBACK_TOKEN,
        timeout=settings.MPESA_HTTP_TIMEOUT,
    )
