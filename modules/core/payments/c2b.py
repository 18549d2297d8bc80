"""C2B: customers paying a till or paybill from their own phone (no STK push).

Safaricom posts each payment to the URLs registered for the number (``register``): first the
validation URL, which may accept or refuse a paybill account number, then the confirmation URL
once the money moved. Confirmations are idempotent by TransID: the first books the money (into the
inbox, then ``receipts.match`` places it: a paybill account number, or the payer's hashed phone and
an open document of the same amount), any repeat changes nothing.

Since 2024 ``MSISDN`` carries the payer's number as a SHA-256 hex digest (older shortcodes may
still see ``2547*****678`` or the plain number); all three are read.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.system.services import security_event

from . import receipts
from .daraja import NAIROBI, DarajaError, get_client, money, receipt_number, transaction_time
from .models import MpesaReceipt, MpesaSetting
from modules.core.customers.phones import normalize_phone

ACCEPT = {"ResultCode": "0", "ResultDesc": "Accepted"}
# Daraja's validation refusals
INVALID_ACCOUNT = "C2B00012"
INVALID_AMOUNT = "C2B00013"
INVALID_SHORTCODE = "C2B00015"
OTHER_ERROR = "C2B00016"
HASH = re.compile(r"[0-9a-f]{64}")
SHORTCODE = re.compile(r"[0-9]{5,10}")
TEXT_MAX = 40


@dataclass(frozen=True)
class C2BPayment:
    receipt: str
    amount: Decimal
    shortcode: str
    transaction_type: str = ""
    transaction_time: datetime | None = None
    account: str = ""  # BillRefNumber: the paybill account number the customer typed
    phone: str = ""  # when M-Pesa sends the plain number
    phone_hash: str = ""  # SHA-256 hex of 2547XXXXXXXX
    payer_name: str = ""


def _text(value, limit: int = TEXT_MAX) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return ""
    return " ".join(str(value).split())[:limit]


def parse(body) -> C2BPayment:
    """Read a C2B validation or confirmation body; ValueError for anything malformed."""
    if not isinstance(body, dict):
        raise ValueError("C2B: the body is not a JSON object")
    for field in ("TransID", "TransAmount", "BusinessShortCode"):
        if body.get(field) in (None, ""):
            raise ValueError(f"C2B: {field} is missing")
    shortcode = _text(body["BusinessShortCode"], 10)
    if not SHORTCODE.fullmatch(shortcode):
        raise ValueError(f"C2B: BusinessShortCode {shortcode!r} is not a shortcode")
    msisdn = _text(body.get("MSISDN"), 64).lower()
    phone = phone_hash = ""
    if HASH.fullmatch(msisdn):
        phone_hash = msisdn
    elif msisdn and "*" not in msisdn:
        try:
            phone = normalize_phone(msisdn)
        except Exception:  # noqa: BLE001  an odd number is only a lost hint, never a lost payment
            phone = ""
    if phone:
        phone_hash = receipts.phone_hash(phone)
    name = " ".join(part for part in (_text(body.get(key), 30) for key in ("FirstName", "MiddleName", "LastName"))
                    if part)
    return C2BPayment(
        receipt=receipt_number(body["TransID"]), amount=money(body["TransAmount"], "TransAmount"),
        shortcode=shortcode, transaction_type=_text(body.get("TransactionType"), 32),
        transaction_time=transaction_time(body.get("TransTime")), account=_text(body.get("BillRefNumber")),
        phone=phone, phone_hash=phone_hash, payer_name=name[:80])


def business_for(shortcode: str, account: str = "") -> Business | None:
    """Whose number was paid: a business's till or paybill (a till before its store number), or
    the MPESA_SHORTCODE paybill shared by businesses without their own (the account number tells
    which; the first of them otherwise)."""
    settings_rows = list(MpesaSetting.objects.filter(Q(till_number=shortcode) | Q(shortcode=shortcode))
                         .select_related("business").order_by("business__code"))
    tills = [row for row in settings_rows if row.till_number == shortcode]
    if tills or settings_rows:
        return (tills or settings_rows)[0].business
    if shortcode != str(settings.MPESA_SHORTCODE):
        return None
    shared = list(Business.objects.filter(mpesa_setting__isnull=True).order_by("code"))
    for business in shared:
        if account and receipts.find_document(business, account) is not None:
            return business
    return shared[0] if shared else None


def validate(body, *, ip=None) -> dict:
    """Safaricom asks before completing a payment: refuse what cannot be ours, and a paybill account
    number nobody knows when the business asks for that (the customer can correct it at once)."""
    try:
        payment = parse(body)
    except ValueError as error:
        security_event("mpesa.malformed_c2b", str(error), ip=ip)
        return {"ResultCode": OTHER_ERROR, "ResultDesc": "Rejected"}
    business = business_for(payment.shortcode, payment.account)
    if business is None:
        return {"ResultCode": INVALID_SHORTCODE, "ResultDesc": "Rejected"}
    setting = MpesaSetting.objects.filter(business=business).first()
    paybill = setting is None or setting.kind == MpesaSetting.Kind.PAYBILL
    strict = setting.reject_unknown_accounts if setting else False
    if paybill and strict and not _known_account(business, payment.account):
        return {"ResultCode": INVALID_ACCOUNT, "ResultDesc": "Rejected"}
    return ACCEPT


def _known_account(business, account: str) -> bool:
    if receipts.find_document(business, account) is not None:
        return True
    try:
        normalize_phone(account)  # a customer paying into their own account (credit)
    except Exception:  # noqa: BLE001
        return False
    return True


def confirm(body, *, ip=None) -> str:
    """Book a confirmed C2B payment exactly once. "booked", "duplicate" or "rejected"."""
    try:
        payment = parse(body)
    except ValueError as error:
        security_event("mpesa.malformed_c2b", str(error), ip=ip)
        return "rejected"
    business = business_for(payment.shortcode, payment.account)
    if business is None:
        security_event("mpesa.unknown_shortcode", f"C2B confirmation for {payment.shortcode}, not one of ours",
                       ip=ip, receipt=payment.receipt)
        return "rejected"
    try:
        with transaction.atomic():
            known = receipts.by_receipt(payment.receipt, lock=True)
            if known is not None:
                receipts.confirm(known, amount=payment.amount, transaction_time=payment.transaction_time,
                                 phone_hash=payment.phone_hash, payer_name=payment.payer_name,
                                 account_reference=payment.account)
                return "duplicate"
            claimed = receipts.claim_unnumbered(business, receipt=payment.receipt, amount=payment.amount,
                                                when=payment.transaction_time, payer=payment.phone or payment.phone_hash)
            if claimed is not None:  # an STK payment STK Query settled without its number
                receipts.confirm(claimed, amount=payment.amount, phone_hash=payment.phone_hash,
                                 payer_name=payment.payer_name, account_reference=payment.account)
                return "duplicate"
            row = receipts.book_unallocated(
                business, amount=payment.amount, source=MpesaReceipt.Source.C2B, receipt=payment.receipt,
                memo=f"M-Pesa {payment.receipt} to {payment.shortcode}"
                     + (f", account {payment.account}" if payment.account else ""),
                transaction_time=payment.transaction_time, phone=payment.phone, phone_hash=payment.phone_hash,
                payer_name=payment.payer_name, account_reference=payment.account, shortcode=payment.shortcode,
                transaction_type=payment.transaction_type, confirmed_at=timezone.now())
            _place(row)
    except IntegrityError:  # the same TransID confirmed concurrently: the other one booked it
        return "duplicate"
    return "booked"


def _place(row):
    """Match the new receipt; a paybill account that is a phone number becomes that customer's credit."""
    if receipts.match(row) is not None or not row.account_reference:
        return
    try:
        phone = normalize_phone(row.account_reference)
    except Exception:  # noqa: BLE001
        return
    receipts.allocate_to_credit(row, phone, automatic=True)


def register(setting: MpesaSetting | None = None) -> str:
    """Register our validation and confirmation URLs for a business's number (or the settings'
    paybill). Safaricom registers once per number; run again after changing the callback base."""
    shortcode = setting.shortcode if setting else str(settings.MPESA_SHORTCODE)
    try:
        answer = get_client().register_c2b_urls(shortcode)
    except DarajaError as error:
        if setting:
            setting.c2b_registration = f"Refused: {error}"[:255]
            setting.save(update_fields=["c2b_registration", "updated_at"])
        raise
    if setting:
        setting.c2b_registered_at = timezone.now()
        setting.c2b_registration = f"{answer} ({timezone.localtime().astimezone(NAIROBI):%d %b %Y %H:%M})"[:255]
        setting.save(update_fields=["c2b_registered_at", "c2b_registration", "updated_at"])
    return answer
