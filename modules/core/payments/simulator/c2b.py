"""Simulated C2B (a customer paying a till or paybill from their own phone) and the M-Pesa business
portal's statement of everything the simulator received (documented in __init__)."""

import base64
import binascii
import csv
import hashlib
import hmac
import io
import logging
import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import requests
from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from modules.core.payments.configuration import FORBIDDEN_URL_WORDS
from modules.core.payments.daraja import NAIROBI

from .deliveries import later
from .models import SimulatedC2BPayment, SimulatedC2BRegistration, SimulatedStkPush
from .views import PHONE, BadRequest, bearer_required, new_receipt, numbers, simulator_setting

logger = logging.getLogger(__name__)

STATEMENT_HEADERS = ["Receipt No.", "Completion Time", "Initiation Time", "Details", "Transaction Status",
                     "Paid In", "Withdrawn", "Balance", "Balance Confirmed", "Reason Type", "Other Party Info",
                     "Linked Transaction ID", "A/C No."]
TIME_FORMAT = "%d-%m-%Y %H:%M:%S"  # as the business portal writes it
CHARGE_RATE = Decimal("0.0055")  # the simulated tariff: 0.55 % of what is received, at most KES 200
CHARGE_CAP = Decimal("200")
CENT = Decimal("0.01")


def charge_for(amount: Decimal) -> Decimal:
    return min((amount * CHARGE_RATE).quantize(CENT), CHARGE_CAP)


def customer_name(phone: str) -> str:
    return f"CUSTOMER {phone[-3:]}"


def masked(phone: str) -> str:
    return f"{phone[:4]}*****{phone[-3:]}"


@csrf_exempt
@require_POST
@bearer_required
def register_url(request, data):
    """C2B register URL: one pair of URLs per shortcode; Safaricom's filter on words is applied."""
    if not isinstance(data, dict):
        raise BadRequest("JSON")
    shortcode = str(data.get("ShortCode", ""))
    if shortcode not in numbers() and not any(shortcode in entry["tills"] for entry in numbers().values()):
        raise BadRequest("ShortCode")
    if data.get("ResponseType") not in ("Completed", "Cancelled"):
        raise BadRequest("ResponseType")
    urls = [str(data.get("ValidationURL", "")), str(data.get("ConfirmationURL", ""))]
    for url in urls:
        if not url.startswith(("http://", "https://")) or any(word in url.lower() for word in FORBIDDEN_URL_WORDS):
            raise BadRequest("URL")
    SimulatedC2BRegistration.objects.update_or_create(shortcode=shortcode, defaults={
        "validation_url": urls[0], "confirmation_url": urls[1], "response_type": data["ResponseType"],
        "registered_at": timezone.now()})
    return JsonResponse({"OriginatorCoversationID": secrets.token_hex(8), "ResponseCode": "0",
                         "ResponseDescription": "Success"})


def c2b_body(payment: SimulatedC2BPayment, balance: Decimal) -> dict:
    """The confirmation (and validation) body, with the payer's number hashed as since 2024."""
    return {
        "TransactionType": "Pay Bill" if payment.command_id == "CustomerPayBillOnline" else "Buy Goods",
        "TransID": payment.trans_id,
        "TransTime": payment.created_at.astimezone(NAIROBI).strftime("%Y%m%d%H%M%S"),
        "TransAmount": f"{payment.amount:.2f}",
        "BusinessShortCode": payment.shortcode,
        "BillRefNumber": payment.bill_ref,
        "InvoiceNumber": "",
        "OrgAccountBalance": f"{balance:.2f}",
        "ThirdPartyTransID": "",
        "MSISDN": hashlib.sha256(payment.phone.encode()).hexdigest(),
        "FirstName": payment.first_name,
        "MiddleName": "",
        "LastName": "",
    }


def deliver_c2b(payment_pk: int) -> None:
    """Runs in a timer thread: validation (when registered) then, unless refused, confirmation."""
    try:
        _deliver_c2b(payment_pk)
    finally:
        connection.close()  # this thread's own database connection


def _deliver_c2b(payment_pk: int) -> None:
    payment = SimulatedC2BPayment.objects.get(pk=payment_pk)
    # a till's payments go to the URLs registered for it, or for its store number
    stores = [store for store, entry in numbers().items() if payment.shortcode in entry["tills"]]
    registration = (SimulatedC2BRegistration.objects.filter(shortcode__in=[payment.shortcode, *stores])
                    .order_by("-registered_at").first())
    if registration is None:
        SimulatedC2BPayment.objects.filter(pk=payment.pk).update(completed=True)  # nobody to tell
        return
    body = c2b_body(payment, Decimal("0"))
    try:
        answer = requests.post(registration.validation_url, json=body, timeout=8).json()
        accepted = str(answer.get("ResultCode")) == "0"
    except (requests.RequestException, ValueError, AttributeError) as error:
        logger.warning("simulated C2B validation to %s failed: %s", registration.validation_url, error)
        accepted = registration.response_type == "Completed"
    if not accepted:
        return
    SimulatedC2BPayment.objects.filter(pk=payment.pk).update(completed=True)
    body["OrgAccountBalance"] = f"{balance_of(payment.shortcode, timezone.now()):.2f}"
    try:
        requests.post(registration.confirmation_url, json=body, timeout=10)
    except requests.RequestException as error:
        logger.warning("simulated C2B confirmation to %s failed: %s", registration.confirmation_url, error)


@csrf_exempt
@require_POST
@bearer_required
def simulate(request, data):
    """Daraja's sandbox C2B simulate: a customer pays ShortCode from Msisdn (BillRefNumber for a paybill)."""
    if not isinstance(data, dict):
        raise BadRequest("JSON")
    shortcode, command = str(data.get("ShortCode", "")), data.get("CommandID")
    if command not in ("CustomerPayBillOnline", "CustomerBuyGoodsOnline"):
        raise BadRequest("CommandID")
    phone = str(data.get("Msisdn", ""))
    if not PHONE.fullmatch(phone):
        raise BadRequest("Msisdn")
    try:
        amount = Decimal(str(data.get("Amount")))
    except ArithmeticError:
        raise BadRequest("Amount") from None
    if not amount.is_finite() or amount < 1 or amount != amount.to_integral_value():
        raise BadRequest("Amount")
    payment = SimulatedC2BPayment.objects.create(
        trans_id=new_receipt(), shortcode=shortcode, command_id=command, amount=amount, phone=phone,
        bill_ref=str(data.get("BillRefNumber") or "")[:20], first_name=str(data.get("FirstName") or
                                                                       customer_name(phone))[:30])
    later(simulator_setting("MPESA_SIMULATOR_DELAY", 2), deliver_c2b, payment.pk).start()
    return JsonResponse({"OriginatorCoversationID": secrets.token_hex(8), "ResponseCode": "0",
                         "ResponseDescription": "Accept the service request successfully.",
                         "TransID": payment.trans_id})


# --- the business portal's statement ---------------------------------------------------------------

def movements(shortcode: str, until: datetime):
    """Everything the number received up to ``until``, oldest first: (time, receipt, amount,
    details, other party, account, reason)."""
    found = []
    for push in SimulatedStkPush.objects.filter(party_b=shortcode, receipt__isnull=False, settles_at__lte=until):
        paybill = push.transaction_type == "CustomerPayBillOnline"
        party = f"{masked(push.phone)} - {customer_name(push.phone)}"
        details = (f"Pay Bill Online from {party} Acc. {push.account_reference}" if paybill
                   else f"Merchant Payment Online from {party}")
        found.append((push.settles_at, push.receipt, push.amount, details, party, push.account_reference,
                      "Pay Bill Online" if paybill else "Merchant Payment Online"))
    for payment in SimulatedC2BPayment.objects.filter(shortcode=shortcode, completed=True, created_at__lte=until):
        paybill = payment.command_id == "CustomerPayBillOnline"
        party = f"{masked(payment.phone)} - {payment.first_name}"
        details = f"Pay Bill from {party} Acc. {payment.bill_ref}" if paybill else f"Merchant Payment from {party}"
        found.append((payment.created_at, payment.trans_id, payment.amount, details, party, payment.bill_ref,
                      "Pay Bill" if paybill else "Merchant Payment"))
    return sorted(found, key=lambda row: (row[0], row[1]))


def balance_of(shortcode: str, until: datetime) -> Decimal:
    return sum((amount - charge_for(amount) for _, _, amount, *_ in movements(shortcode, until)), Decimal("0"))


def statement_csv(shortcode: str, start: date, end: date) -> str:
    """The business portal's CSV for one number and period: a few heading lines, then one line per
    payment received and one per Safaricom charge, newest first, with the running balance."""
    begin = datetime.combine(start, time.min, tzinfo=NAIROBI)
    finish = datetime.combine(end, time.max, tzinfo=NAIROBI)
    balance = balance_of(shortcode, begin - timedelta(microseconds=1))
    opening = balance
    lines = []
    for when, receipt, amount, details, party, account, reason in movements(shortcode, finish):
        if when < begin:
            continue
        stamp = when.astimezone(NAIROBI).strftime(TIME_FORMAT)
        balance += amount
        lines.append([receipt, stamp, stamp, details, "Completed", f"{amount:,.2f}", "", f"{balance:,.2f}",
                      "Yes", reason, party, "", account])
        charge = charge_for(amount)
        balance -= charge
        lines.append([receipt, stamp, stamp, f"{reason} Charge", "Completed", "", f"-{charge:,.2f}",
                      f"{balance:,.2f}", "Yes", f"{reason} Charge", "", "", ""])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Account Holder:", f"SIMULATED BUSINESS {shortcode}"])
    writer.writerow(["Short Code:", shortcode])
    writer.writerow(["Account:", "Utility Account"])
    writer.writerow(["Time Period:", f"{begin.strftime(TIME_FORMAT)} - {finish.strftime(TIME_FORMAT)}"])
    writer.writerow(["Opening Balance:", f"{opening:,.2f}"])
    writer.writerow(["Closing Balance:", f"{balance:,.2f}"])
    writer.writerow([])
    writer.writerow(STATEMENT_HEADERS)
    writer.writerows(reversed(lines))
    return out.getvalue()


@require_GET
def statement(request):
    """What the owner downloads from the business portal (HTTP Basic: the consumer key and secret)."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    try:
        key, _, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        key = secret = ""
    if scheme != "Basic" or not (hmac.compare_digest(key, settings.MPESA_CONSUMER_KEY)
                                 and hmac.compare_digest(secret, settings.MPESA_CONSUMER_SECRET)):
        return HttpResponse("Log in to the business portal first.", status=401)
    try:
        start = date.fromisoformat(request.GET.get("start", ""))
        end = date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        return HttpResponse("start and end are dates like 2026-11-01.", status=400)
    shortcode = request.GET.get("shortcode", "")
    response = HttpResponse(statement_csv(shortcode, start, end), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="statement-{shortcode}-{start}-{end}.csv"'
    return response
