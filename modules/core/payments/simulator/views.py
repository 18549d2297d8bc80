"""Daraja's OAuth, STK Push and STK Query endpoints, simulated (behaviour documented in __init__)."""

import base64
import binascii
import hmac
import json
import logging
import re
import secrets
import string
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from functools import wraps

import requests
from django.conf import settings
from django.db import transaction
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from modules.core.payments.daraja import NAIROBI, password

from modules.core.payments.models import MpesaSetting

from .deliveries import later
from .models import SimulatedAccessToken, SimulatedC2BPayment, SimulatedStkPush
from .outcomes import OUTCOMES, outcome_for

logger = logging.getLogger(__name__)

TOKEN_SECONDS = 3599
PHONE = re.compile(r"254[17][0-9]{8}")
RECEIPT_ALPHABET = string.ascii_uppercase + string.digits
ACCEPTED = "Success. Request accepted for processing"


class BadRequest(Exception):
    """A field Daraja would reject with 400.002.02 "Bad Request - Invalid <field>"."""


class WrongCredentials(Exception):
    pass


def daraja_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"requestId": uuid.uuid4().hex[:20], "errorCode": code, "errorMessage": message},
                        status=status)


def simulator_setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def token_seconds() -> int:
    return int(simulator_setting("MPESA_SIMULATOR_TOKEN_SECONDS", TOKEN_SECONDS))


def bearer_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token.strip():
            return daraja_error(401, "404.001.03", "Invalid Access Token")
        if not SimulatedAccessToken.objects.filter(token=token.strip(), expires_at__gt=timezone.now()).exists():
            # an expired or revoked token: answered as several clients report it, not with a 401
            return daraja_error(404, "404.001.03", "Invalid Access Token")
        try:
            data = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return daraja_error(400, "400.002.02", "Bad Request - Invalid JSON")
        try:
            return view(request, data, *args, **kwargs)
        except BadRequest as field:
            return daraja_error(400, "400.002.02", f"Bad Request - Invalid {field}")
        except WrongCredentials:
            return daraja_error(500, "500.001.1001", "Wrong credentials")

    return wrapper


def numbers() -> dict[str, dict]:
    """The numbers this simulated Daraja knows: each business's paybill or till (its M-Pesa setting)
    and the MPESA_SHORTCODE paybill: {shortcode: {"passkey", "paybill": bool, "tills": set}}."""
    known = {str(settings.MPESA_SHORTCODE): {"passkey": settings.MPESA_PASSKEY, "paybill": True, "tills": set()}}
    for setting in MpesaSetting.objects.all():
        entry = known.setdefault(setting.shortcode, {"passkey": setting.passkey, "paybill": False, "tills": set()})
        entry["passkey"] = setting.passkey
        if setting.kind == MpesaSetting.Kind.TILL:
            entry["tills"].add(setting.till_number)
        else:
            entry["paybill"] = True
    return known


def check_credentials(data) -> dict:
    """BusinessShortCode, Timestamp and Password = base64(shortcode + passkey + timestamp); returns
    what the simulator knows of the shortcode."""
    if not isinstance(data, dict):
        raise BadRequest("JSON")
    stamp = str(data.get("Timestamp", ""))
    try:
        if len(stamp) != 14:
            raise ValueError(stamp)
        datetime.strptime(stamp, "%Y%m%d%H%M%S")
    except ValueError:
        raise BadRequest("Timestamp") from None
    shortcode = str(data.get("BusinessShortCode", ""))
    known = numbers().get(shortcode)
    if not shortcode.isdigit() or known is None:
        raise BadRequest("BusinessShortCode")
    if not hmac.compare_digest(str(data.get("Password", "")), password(shortcode, known["passkey"], stamp)):
        raise WrongCredentials
    return known


def set_up_right(data, known) -> bool:
    """A paybill is pushed as CustomerPayBillOnline to itself; a till as CustomerBuyGoodsOnline with
    the store number as BusinessShortCode and the till as PartyB. Anything else: SFC_IC0003."""
    party_b = str(data.get("PartyB", ""))
    if data["TransactionType"] == "CustomerPayBillOnline":
        return known["paybill"] and party_b == str(data["BusinessShortCode"])
    return party_b in known["tills"]


def whole_amount(value) -> int:
    if isinstance(value, bool):
        raise BadRequest("Amount")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or value < 1:
        raise BadRequest("Amount")
    return value


def new_receipt() -> str:
    """Safaricom-like: 10 uppercase letters and digits, starting with a letter, unique."""
    while True:
        receipt = secrets.choice(string.ascii_uppercase) + "".join(
            secrets.choice(RECEIPT_ALPHABET) for _ in range(9))
        if not (SimulatedStkPush.objects.filter(receipt=receipt).exists()
                or SimulatedC2BPayment.objects.filter(trans_id=receipt).exists()):
            return receipt


def callback_body(push: SimulatedStkPush) -> dict:
    outcome = push.result
    callback = {
        "MerchantRequestID": push.merchant_request_id,
        "CheckoutRequestID": push.checkout_request_id,
        "ResultCode": outcome.result_code,
        "ResultDesc": outcome.result_desc,
    }
    if outcome.paid:
        callback["CallbackMetadata"] = {"Item": [
            {"Name": "Amount", "Value": float(push.amount)},
            {"Name": "MpesaReceiptNumber", "Value": push.receipt},
            {"Name": "Balance"},
            {"Name": "TransactionDate", "Value": int(push.settles_at.astimezone(NAIROBI).strftime("%Y%m%d%H%M%S"))},
            {"Name": "PhoneNumber", "Value": int(push.phone)},
        ]}
    return {"Body": {"stkCallback": callback}}


def deliver(url: str, body: dict, times: int) -> None:
    """Runs in a timer thread: POST the callback (twice for the duplicate outcome); errors are dropped."""
    for _ in range(times):
        try:
            response = requests.post(url, json=body, timeout=10)
            logger.info("simulated STK callback to %s answered %s", url, response.status_code)
        except requests.RequestException as error:
            logger.warning("simulated STK callback to %s failed: %s", url, error)


def schedule_callbacks(push: SimulatedStkPush) -> None:
    outcome = push.result
    if not outcome.callbacks:
        return
    delay = (push.settles_at - timezone.now()).total_seconds()
    if outcome.late:
        delay = max(delay, simulator_setting("MPESA_SIMULATOR_LATE_SECONDS", 20))
    if outcome.query_pending_code:
        return
    transaction.on_commit(later(delay, deliver, push.callback_url, callback_body(push), outcome.callbacks).start)


@csrf_exempt
@require_GET
def oauth(request):
    if request.GET.get("grant_type") != "client_credentials":
        return daraja_error(400, "400.008.02", "Invalid grant type passed")
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    try:
        key, _, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        key = secret = ""
    if scheme != "Basic" or not (hmac.compare_digest(key, settings.MPESA_CONSUMER_KEY)
                                 and hmac.compare_digest(secret, settings.MPESA_CONSUMER_SECRET)):
        return daraja_error(400, "400.008.01", "Invalid Authentication passed")
    token = SimulatedAccessToken.objects.create(
        token=secrets.token_urlsafe(21), expires_at=timezone.now() + timedelta(seconds=token_seconds()))
    return JsonResponse({"access_token": token.token, "expires_in": str(token_seconds())})


@csrf_exempt
@require_POST
@bearer_required
def stk_push(request, data):
    known = check_credentials(data)
    if data.get("TransactionType") not in ("CustomerPayBillOnline", "CustomerBuyGoodsOnline"):
        raise BadRequest("TransactionType")
    amount = whole_amount(data.get("Amount"))
    phone = str(data.get("PhoneNumber", ""))
    if not PHONE.fullmatch(phone):
        raise BadRequest("PhoneNumber")
    if str(data.get("PartyA", "")) != phone:
        raise BadRequest("PartyA")
    if not str(data.get("PartyB", "")).isdigit():
        raise BadRequest("PartyB")
    callback_url = str(data.get("CallBackURL", ""))
    if not callback_url.startswith(("http://", "https://")):
        raise BadRequest("CallBackURL")
    reference, description = str(data.get("AccountReference", "")), str(data.get("TransactionDesc", ""))
    if not 1 <= len(reference) <= 12:
        raise BadRequest("AccountReference")
    if not 1 <= len(description) <= 13:
        raise BadRequest("TransactionDesc")

    now = timezone.now()
    if set_up_right(data, known):
        outcome = outcome_for(phone, earlier_pushes=SimulatedStkPush.objects.filter(phone=phone).count())
    else:
        outcome = OUTCOMES["setup_error"]
    settles = simulator_setting("MPESA_SIMULATOR_AFTER_GIVE_UP_SECONDS", 660) if outcome.after_give_up else \
        simulator_setting("MPESA_SIMULATOR_DELAY", 2)
    push = SimulatedStkPush.objects.create(
        checkout_request_id=f"ws_CO_{now.astimezone(NAIROBI):%d%m%Y%H%M%S}{secrets.randbelow(10**9):09d}",
        merchant_request_id=f"{secrets.randbelow(90000) + 10000}-{secrets.randbelow(9 * 10**7) + 10**7}-1",
        business_shortcode=str(data["BusinessShortCode"]), party_b=str(data["PartyB"]),
        transaction_type=data["TransactionType"], phone=phone, amount=Decimal(amount), account_reference=reference,
        callback_url=callback_url, outcome=outcome.key, receipt=new_receipt() if outcome.paid else None,
        created_at=now, settles_at=now + timedelta(seconds=settles),
    )
    schedule_callbacks(push)
    if outcome.push_answer == "503":  # the prompt went out, but the answer says otherwise
        return JsonResponse({"requestId": uuid.uuid4().hex[:20], "errorCode": "503.001.01",
                             "errorMessage": "Service Unavailable"}, status=503)
    if outcome.push_answer == "slow":  # answered after the client stopped waiting
        time.sleep(simulator_setting("MPESA_SIMULATOR_SLOW_SECONDS", float(settings.MPESA_HTTP_TIMEOUT) + 2))
    return JsonResponse({
        "MerchantRequestID": push.merchant_request_id,
        "CheckoutRequestID": push.checkout_request_id,
        "ResponseCode": "0",
        "ResponseDescription": ACCEPTED,
        "CustomerMessage": ACCEPTED,
    })


@csrf_exempt
@require_POST
@bearer_required
def stk_query(request, data):
    check_credentials(data)
    push = SimulatedStkPush.objects.filter(checkout_request_id=str(data.get("CheckoutRequestID", ""))).first()
    if push is None:
        raise BadRequest("CheckoutRequestID")
    if timezone.now() < push.settles_at:
        if push.result.query_pending_code:
            return JsonResponse({"ResponseCode": "0", "ResponseDescription": "The service request has been accepted",
                                 "MerchantRequestID": push.merchant_request_id,
                                 "CheckoutRequestID": push.checkout_request_id, "ResultCode": "4999",
                                 "ResultDesc": "The transaction is still under processing"})
        return daraja_error(500, "500.001.1001", "The transaction is being processed")
    return JsonResponse({
        "ResponseCode": "0",
        "ResponseDescription": "The service request has been accepted successfully",
        "MerchantRequestID": push.merchant_request_id,
        "CheckoutRequestID": push.checkout_request_id,
        "ResultCode": str(push.result.result_code),  # Daraja's query sends it as a string
        "ResultDesc": push.result.result_desc,
    })
