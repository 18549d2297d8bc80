"""Public surface of payments: record money received, ask for M-Pesa, settle what comes back.

A payable document (Invoice today; sales and laundry orders later) offers ``business``,
``payable_total``, ``payable_reference`` and ``mark_paid(when)``; its own posting put the amount
in Receivables, and payments settle Receivables. What exceeds the amount due is customer credit.
"""

import math
from datetime import timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField, OuterRef, Subquery, Sum
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from modules.core.customers import services as customers
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.registry import events
from modules.core.sales import tax
from modules.core.system.services import security_event

from .daraja import DarajaError, get_client, parse_callback
from .models import Invoice, Payment, StkRequest
from .phones import normalize_phone, same_phone

ZERO = Decimal("0.00")
# Permissions a counter attendant needs to bill and take payments (used in business modules' roles).
PAYMENT_DESK = ("payments.view_invoice", "payments.add_invoice", "payments.view_payment", "payments.add_payment",
                "payments.view_stkrequest", "payments.add_stkrequest")
CHECK_BACKOFF = (10, 5, 5, 10, 15, 30, 60)  # seconds before the 1st, 2nd, … STK Query
GIVE_UP_AFTER = timedelta(minutes=10)  # an STK prompt expires long before this
FAILURE_STATUS = {1032: StkRequest.Status.CANCELLED, 1037: StkRequest.Status.TIMEOUT,
                  1: StkRequest.Status.INSUFFICIENT}


def _document_filter(document):
    return {"document_type": ContentType.objects.get_for_model(document), "document_id": str(document.pk)}


def payments_for(document):
    """The payments received for a document, oldest first."""
    return Payment.objects.filter(**_document_filter(document)).order_by("received_at", "pk")


def stk_requests_for(document):
    """The M-Pesa requests made for a document, newest first."""
    return StkRequest.objects.filter(**_document_filter(document)).order_by("-created_at", "-pk")


def with_amount_paid(documents):
    """``documents`` (a queryset of one payable model) annotated with ``paid``: what their payments
    settled, as amount_paid() counts it, in one query."""
    paid = (Payment.objects.filter(document_type=ContentType.objects.get_for_model(documents.model),
                                   document_id=Cast(OuterRef("pk"), CharField()))
            .values("document_id").annotate(total=Sum("applied")).values("total"))
    return documents.annotate(paid=Coalesce(Subquery(paid), ZERO))


def amount_paid(document) -> Decimal:
    return payments_for(document).aggregate(total=Coalesce(Sum("applied"), ZERO))["total"]


def amount_due(document) -> Decimal:
    return max(document.payable_total - amount_paid(document), ZERO)


def customer_credit(business, phone: str) -> Decimal:
    return Payment.objects.filter(business=business, payer_phone=phone).aggregate(
        total=Coalesce(Sum("credit"), ZERO))["total"]


@transaction.atomic
def issue_invoice(business, *, description: str, amount, customer_phone: str = "", user=None) -> Invoice:
    """Bill a customer: a VAT-inclusive amount at the standard rate into Receivables, net to Sales,
    VAT to VAT payable (the sales tax helper splits it and builds the entry)."""
    amount = tax.money(amount)
    phone = normalize_phone(customer_phone) if customer_phone else ""
    invoice = Invoice.objects.create(business=business, description=description, amount=amount,
                                     customer_phone=phone, issued_on=timezone.localdate(),
                                     customer=customers.find_or_create(phone, business=business) if phone else None)
    split = tax.split([(amount, tax.Band.STANDARD)], on=invoice.issued_on, vat_registered=business.vat_registered)
    ledger.post(business, invoice.issued_on, f"Invoice {invoice.pk}: {description}", tax.entry_lines(split),
                source=invoice, user=user)
    return invoice


@transaction.atomic
def record_payment(document, *, method: str, amount, payer_phone: str = "", mpesa_receipt=None,
                   stk_request=None, user=None) -> Payment:
    """Money received for a document: settles what is due; any surplus becomes customer credit."""
    amount = Decimal(amount)
    if amount <= 0:
        raise ValidationError("A payment must be more than KES 0.")
    document = type(document).objects.select_for_update().get(pk=document.pk)  # one payment at a time
    applied = min(amount, amount_due(document))
    surplus = amount - applied
    till = chart.MPESA if method == Payment.Method.MPESA else chart.CASH
    lines = [ledger.debit(till, amount)]
    if applied:
        lines.append(ledger.credit(chart.RECEIVABLES, applied))
    if surplus:
        lines.append(ledger.credit(chart.CUSTOMER_CREDIT, surplus))
    entry = ledger.post(document.business, timezone.localdate(),
                        f"{Payment.Method(method).label} for {document.payable_reference}", lines,
                        source=document, user=user)
    payment = Payment.objects.create(
        business=document.business, document=document, method=method, amount=amount, applied=applied,
        credit=surplus, payer_phone=payer_phone, mpesa_receipt=mpesa_receipt, stk_request=stk_request,
        journal_entry=entry, received_by=user)
    if applied and amount_due(document) == 0:
        document.mark_paid(timezone.now())
    events.publish("payment.received", business=document.business.code, payment_id=payment.pk)
    return payment


# --- M-Pesa STK push ---------------------------------------------------------------------------

def ask_mpesa(document, phone: str, *, amount=None, user=None) -> StkRequest | None:
    """The one way a page asks a customer's phone for M-Pesa for a document, with one retry rule:
    while the document's latest request may still pay it is returned as it is, so a double tap, a
    replayed form or a reload never prompts the phone twice; a new prompt goes out only when
    something is due and the latest request is final (paid a part, or can no longer pay). When
    nothing is due the latest request (or None) is returned. Follow it on ``admin:payments:stk_wait``."""
    latest = stk_requests_for(document).first()
    if latest is not None and not latest.is_final:
        return latest
    if amount_due(document) <= 0:
        return latest
    return request_stk_push(document, phone, amount=amount, user=user)


def request_stk_push(document, phone: str, *, amount=None, user=None) -> StkRequest:
    """Ask the customer's phone for M-Pesa. Call outside a transaction: it talks to Safaricom."""
    phone = normalize_phone(phone)
    amount = math.ceil(amount if amount is not None else amount_due(document))
    if amount < 1:
        raise ValidationError("Nothing is due on this document.")
    request = StkRequest.objects.create(
        business=document.business, document=document, phone=phone, amount=amount, requested_by=user,
        next_check_at=timezone.now() + timedelta(seconds=CHECK_BACKOFF[0]))
    try:
        response = get_client().stk_push(phone, amount, document.payable_reference, "Payment")
    except (DarajaError, ValueError) as error:
        _finish(request, StkRequest.Status.FAILED, None, f"M-Pesa did not accept the request: {error}", "push")
        request.save()
        return request
    request.merchant_request_id = response.merchant_request_id
    request.checkout_request_id = response.checkout_request_id
    request.save(update_fields=["merchant_request_id", "checkout_request_id"])
    return request


def _finish(request, status, result_code, result_desc, via):
    request.status = status
    request.result_code = "" if result_code is None else str(result_code)
    request.result_desc = result_desc[:255]
    request.settled_by = via
    request.settled_at = timezone.now()
    request.next_check_at = None


def _settle_success(request, *, receipt, via):
    _finish(request, StkRequest.Status.SUCCESS, 0, "Paid", via)
    request.mpesa_receipt = receipt
    request.save()
    record_payment(request.document, method=Payment.Method.MPESA, amount=request.amount,
                   payer_phone=request.phone, mpesa_receipt=receipt, stk_request=request,
                   user=request.requested_by)


def _check_phone(request, callback, ip):
    """The prompt went to ``request.phone``; a callback naming another phone is logged, and the
    payment is booked against the phone that was asked."""
    if callback.phone is not None and not same_phone(callback.phone, request.phone):
        security_event("mpesa.phone_mismatch", f"Callback names phone {callback.phone!r}, the prompt went to "
                       f"{request.phone}", ip=ip, stk_request=request.pk)


def _settle_failure(request, result_code, result_desc, via):
    _finish(request, FAILURE_STATUS.get(result_code, StkRequest.Status.FAILED), result_code, result_desc, via)
    request.save()
    events.publish("payment.failed", business=request.business.code, stk_request_id=request.pk)


def handle_callback(body, *, ip=None) -> str:
    """Apply one Daraja callback exactly once. Returns "settled", "duplicate" or "rejected";
    whatever is rejected changed nothing and is recorded as a security event."""
    try:
        callback = parse_callback(body)
    except ValueError as error:
        security_event("mpesa.malformed_callback", str(error), ip=ip)
        return "rejected"
    with transaction.atomic():
        request = (StkRequest.objects.select_for_update()
                   .filter(checkout_request_id=callback.checkout_request_id).first())
        if request is None or request.merchant_request_id != callback.merchant_request_id:
            security_event("mpesa.unknown_request", "Callback for a request we never made",
                           ip=ip, checkout_request_id=callback.checkout_request_id)
            return "rejected"
        if callback.result_code == 0 and callback.amount != request.amount:
            security_event("mpesa.amount_mismatch", f"Callback says KES {callback.amount}, we asked "
                           f"KES {request.amount}", ip=ip, stk_request=request.pk)
            return "rejected"
        if request.is_final:
            return _late_callback(request, callback, ip)
        if callback.result_code != 0:
            _settle_failure(request, callback.result_code, callback.result_desc, "callback")
            return "settled"
        _check_phone(request, callback, ip)
        try:
            with transaction.atomic():
                _settle_success(request, receipt=callback.receipt, via="callback")
        except IntegrityError:  # that receipt number already paid for something else
            security_event("mpesa.receipt_reused", f"Receipt {callback.receipt} was already used",
                           ip=ip, stk_request=request.pk)
            return "rejected"
        return "settled"


def _late_callback(request, callback, ip):
    """A duplicate, or a callback after STK Query settled it: money never changes. A receipt
    number the query could not give us is kept on the request for the accountant."""
    if callback.result_code == 0 and request.status == StkRequest.Status.SUCCESS:
        if not request.mpesa_receipt and callback.receipt:
            request.mpesa_receipt = callback.receipt
            request.save(update_fields=["mpesa_receipt"])
        return "duplicate"
    if (callback.result_code == 0) != (request.status == StkRequest.Status.SUCCESS):
        security_event("mpesa.conflicting_callback", f"Callback result {callback.result_code} contradicts "
                       f"the settled status {request.status}", ip=ip, stk_request=request.pk)
    return "duplicate"


def check_stk_request(pk) -> StkRequest | None:
    """Ask STK Query about one pending request if its check is due. Several processes may call this
    (the reconciler, a waiting screen): the conditional UPDATE lets exactly one of them query."""
    now = timezone.now()
    request = StkRequest.objects.filter(pk=pk).first()
    if request is None or request.is_final or not request.checkout_request_id:
        return request
    if request.next_check_at and request.next_check_at > now:
        return request
    delay = CHECK_BACKOFF[min(request.checks + 1, len(CHECK_BACKOFF) - 1)]
    claimed = StkRequest.objects.filter(pk=pk, status=StkRequest.Status.PENDING, checks=request.checks).update(
        checks=request.checks + 1, next_check_at=now + timedelta(seconds=delay))
    if not claimed:
        return StkRequest.objects.get(pk=pk)
    try:
        result = get_client().stk_query(request.checkout_request_id)
    except DarajaError:
        result = None  # network trouble: the next check retries
    with transaction.atomic():
        request = StkRequest.objects.select_for_update().get(pk=pk)
        if request.is_final:
            return request
        if result is None or result.state == "pending":
            if now - request.created_at > GIVE_UP_AFTER:
                _finish(request, StkRequest.Status.FAILED, None, "No final answer from M-Pesa after "
                        f"{GIVE_UP_AFTER.seconds // 60} minutes: check the M-Pesa statement", "query")
                request.save()
                events.publish("payment.failed", business=request.business.code, stk_request_id=request.pk)
            return request
        if result.state == "success":
            _settle_success(request, receipt=None, via="query")
        else:
            _settle_failure(request, result.result_code, result.result_desc, "query")
        return request


def reconcile_pending(limit: int = 100) -> int:
    """Scheduled job: STK Query for every pending request whose check is due."""
    due = (StkRequest.objects.filter(status=StkRequest.Status.PENDING, checkout_request_id__isnull=False,
                                     next_check_at__lte=timezone.now())
           .order_by("next_check_at").values_list("pk", flat=True)[:limit])
    for pk in list(due):
        check_stk_request(pk)
    return len(due)
