"""The life of an STK push, out of the web workers.

A page creates the request (``request_push``: *queued*) and returns at once; an RQ job sends it
(``send_push``) and later ones ask STK Query (``check``) until Daraja gives a final answer. The
pending rows are the outbox: the scheduled ``reconcile_pending`` sends what was never sent, queries
what is due and gives up after a bounded time, so a lost job, a killed worker or a Redis restart
loses nothing. No Daraja call ever runs inside a web request.

An *ambiguous* push (a read timeout, a reset connection, a 5xx) is **unknown**, never failed: the
prompt may still reach the phone. Its callback finds it by the request number in the callback
URL even without a CheckoutRequestID. Any success callback books the money exactly once, whatever
state the request is in: open → the document is paid; failed, timed out or given up → the money
goes to the M-Pesa inbox (``receipts``), the owner is notified and the person who asked is told.
"""

import logging
import math
from datetime import timedelta

import django_rq
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from redis.exceptions import RedisError

from modules.core.registry import events
from modules.core.system.services import security_event

from . import receipts, results
from .daraja import DarajaError, PayTo, get_client, parse_callback
from .documents import amount_due, post_payment
from .models import MpesaReceipt, MpesaSetting, Payment, StkRequest
from modules.core.customers.phones import normalize_phone, same_phone

logger = logging.getLogger(__name__)
Status = StkRequest.Status

CHECK_BACKOFF = (10, 5, 5, 10, 15, 30, 60)  # seconds before the 1st, 2nd, … STK Query
GIVE_UP_AFTER = timedelta(minutes=10)  # default of MPESA_GIVE_UP_SECONDS: an STK prompt expires long before
UNKNOWN_GIVE_UP = timedelta(minutes=3)  # an ambiguous push without a CheckoutRequestID cannot be queried
PUSH_RETRY = (5, 15, 30)  # seconds before sending again a push that never reached Daraja
COOL_DOWN_AFTER_CANCEL = timedelta(seconds=30)
DESCRIPTION = "Payment"


def give_up_after() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "MPESA_GIVE_UP_SECONDS", GIVE_UP_AFTER.total_seconds())))


def unknown_give_up() -> timedelta:
    return min(UNKNOWN_GIVE_UP, give_up_after())


def pay_to_for(business) -> PayTo:
    """The business's own paybill or till, or the MPESA_SHORTCODE paybill from the settings."""
    setting = MpesaSetting.objects.filter(business=business).first()
    if setting is None:
        return PayTo(str(settings.MPESA_SHORTCODE), settings.MPESA_PASSKEY)
    return PayTo(setting.shortcode, setting.passkey, setting.transaction_type, setting.till_number)


def _refuse_busy(business, phone, now):
    waiting = (StkRequest.objects.filter(business=business, phone=phone, status__in=StkRequest.MAY_STILL_PAY)
               .order_by("-created_at").first())
    if waiting is not None:
        raise ValidationError(
            f"{phone} already has an M-Pesa request waiting (KES {waiting.amount:,} for "
            f"{waiting.document.payable_reference}). Wait for it to finish before asking again.", code="busy")
    cancelled = (StkRequest.objects.filter(business=business, phone=phone, status=Status.CANCELLED,
                                           settled_at__gt=now - COOL_DOWN_AFTER_CANCEL)
                 .order_by("-settled_at").first())
    if cancelled is not None:
        wait = math.ceil((cancelled.settled_at + COOL_DOWN_AFTER_CANCEL - now).total_seconds())
        raise ValidationError(f"The customer cancelled the last prompt. Wait {wait} s before asking {phone} "
                              "again, or take another way to pay.", code="cool_down")


def request_push(document, phone: str, *, amount=None, user=None) -> StkRequest:
    """Queue an STK push for what is due on ``document`` (or ``amount``); an RQ job sends it after
    the caller's transaction commits. One request may be waiting per phone and business, and a
    phone whose customer just cancelled gets a short rest."""
    phone = normalize_phone(phone)
    amount = math.ceil(amount if amount is not None else amount_due(document))
    if amount < 1:
        raise ValidationError("Nothing is due on this document.")
    now = timezone.now()
    _refuse_busy(document.business, phone, now)
    pay_to = pay_to_for(document.business)
    try:
        with transaction.atomic():
            request = StkRequest.objects.create(
                business=document.business, document=document, phone=phone, amount=amount, requested_by=user,
                status=Status.QUEUED, transaction_type=pay_to.transaction_type, shortcode=pay_to.shortcode,
                party_b=pay_to.receiver, next_check_at=now + timedelta(seconds=PUSH_RETRY[0]))
    except IntegrityError:  # a concurrent request for the same phone won (stk_one_open_request_per_phone)
        _refuse_busy(document.business, phone, now)
        raise
    transaction.on_commit(lambda: enqueue("push_stk", request.pk))
    return request


def enqueue(job: str, pk: int) -> None:
    """Hand a request to the RQ worker; if Redis is away the scheduled sweep does it instead."""
    try:
        django_rq.get_queue("default").enqueue(f"modules.core.payments.jobs.{job}", pk, job_timeout=120,
                                               result_ttl=60, failure_ttl=7 * 24 * 3600)
    except RedisError as error:
        logger.warning("could not enqueue %s(%s), the reconciler will: %s", job, pk, error)


def _sending_timeout() -> timedelta:
    """How long a push may be on its way (token + push, each with the HTTP timeout) before a dead
    worker is assumed and the push becomes unknown."""
    return timedelta(seconds=4 * float(settings.MPESA_HTTP_TIMEOUT) + 30)


def send_push(pk: int) -> StkRequest | None:
    """RQ job: send one queued push to Daraja (exactly one process gets to, by a conditional UPDATE)."""
    now = timezone.now()
    request = StkRequest.objects.filter(pk=pk).first()
    if request is None or request.status != Status.QUEUED:
        return request
    claimed = StkRequest.objects.filter(pk=pk, status=Status.QUEUED, push_attempts=request.push_attempts).update(
        status=Status.SENDING, push_attempts=F("push_attempts") + 1, next_check_at=now + _sending_timeout())
    if not claimed:
        return StkRequest.objects.get(pk=pk)
    request.refresh_from_db()
    pay_to = pay_to_for(request.business)
    client = get_client()
    try:
        response = client.stk_push(request.phone, request.amount, request.document.payable_reference[:12],
                                   DESCRIPTION, pay_to=pay_to, callback_url=f"{client.callback_url}{request.pk}/")
    except DarajaError as error:
        return _push_failed(request, error)
    except (ValueError, ValidationError) as error:
        return _finish_failure(request, None, f"M-Pesa was not asked: {error}", "push", config=False)
    with transaction.atomic():
        request = StkRequest.objects.select_for_update().get(pk=pk)
        if request.checkout_request_id is None:  # a callback may have been quicker and adopted the ids
            request.merchant_request_id = response.merchant_request_id
            request.checkout_request_id = response.checkout_request_id
        if request.status == Status.SENDING:
            request.status = Status.PENDING
            request.next_check_at = timezone.now() + timedelta(seconds=CHECK_BACKOFF[0])
        request.transaction_type, request.shortcode, request.party_b = (
            pay_to.transaction_type, pay_to.shortcode, pay_to.receiver)
        request.save()
    return request


def _push_failed(request, error: DarajaError):
    now = timezone.now()
    if error.ambiguous:
        StkRequest.objects.filter(pk=request.pk, status=Status.SENDING).update(
            status=Status.UNKNOWN, result_desc=f"M-Pesa's answer was lost: {error}"[:255],
            next_check_at=now + unknown_give_up())
        return StkRequest.objects.get(pk=request.pk)
    if error.status is None:  # never reached Daraja: send again a little later, a few times
        if request.push_attempts < len(PUSH_RETRY):
            StkRequest.objects.filter(pk=request.pk, status=Status.SENDING).update(
                status=Status.QUEUED, result_desc=str(error)[:255],
                next_check_at=now + timedelta(seconds=PUSH_RETRY[request.push_attempts]))
            return StkRequest.objects.get(pk=request.pk)
        return _finish_failure(request, None, f"Could not reach M-Pesa: {error}", "push", config=False)
    refused_field = any(word in str(error) for word in ("PhoneNumber", "Amount"))
    return _finish_failure(request, error.code, f"M-Pesa did not accept the request: {error}", "push",
                           config=not refused_field)


def _finish(request, status, result_code, result_desc, via):
    request.status = status
    request.result_code = "" if result_code is None else str(result_code)
    request.result_desc = str(result_desc)[:255]
    request.settled_by = via
    request.settled_at = timezone.now()
    request.next_check_at = None


def _finish_failure(request, code, desc, via, *, config: bool):
    """A push Daraja refused outright: final. A refusal of our set-up tells the owner what to check."""
    with transaction.atomic():
        request = StkRequest.objects.select_for_update().get(pk=request.pk)
        if request.is_final:
            return request
        _finish(request, Status.FAILED, code, desc, via)
        request.save()
        events.publish("payment.failed", business=request.business.code, stk_request_id=request.pk)
        if config:
            result = results.configuration_error(code or "refused", desc, business=request.business)
            events.publish("mpesa.setup_error", business=request.business.code, stk_request_id=request.pk,
                           message=result.owner)
    return request


def _settle_failure(request, code, desc, via):
    result = results.for_code(code, desc, business=request.business)
    if result.status == Status.PENDING:  # 4999: still being processed
        return
    _finish(request, result.status, code, desc, via)
    request.save()
    events.publish("payment.failed", business=request.business.code, stk_request_id=request.pk)
    if result.configuration_error:
        events.publish("mpesa.setup_error", business=request.business.code, stk_request_id=request.pk,
                       message=result.owner)


def _settle_success(request, *, receipt, transaction_time, via):
    """The money settles the document it was asked for, booked once: money M-Pesa reported already
    (a C2B confirmation, a statement line booked to the inbox; found by the receipt number, or for
    STK Query, which gives none, by amount and payer) is adopted, not booked again."""
    _finish(request, Status.SUCCESS, 0, "Paid", via)
    request.mpesa_receipt = receipt
    request.transaction_time = transaction_time
    request.save()
    known = receipts.by_receipt(receipt, lock=True) if receipt else receipts.reported_before(request)
    if known is not None:
        _adopt(request, known)
        if known.state == MpesaReceipt.State.UNALLOCATED:
            receipts.allocate_to_document(known, request.document, user=request.requested_by, automatic=True)
        return
    payment = post_payment(request.document, method=Payment.Method.MPESA, amount=request.amount,
                           payer_phone=request.phone, mpesa_receipt=receipt, stk_request=request,
                           user=request.requested_by)
    row = receipts.note_direct_payment(payment, receipt, source=MpesaReceipt.Source.STK, confirmed=True,
                                       stk_request=request, transaction_time=transaction_time)
    if receipt is None:  # a statement imported earlier may list it, with its number
        receipts.statement_line_for(row, request)


def _adopt(request, known, *, placed_anywhere=False):
    """The request's money is a receipt M-Pesa reported on its own: tie them (the request learns
    its receipt number). The receipt may already pay the request's document (its paybill account
    number named it): it stays, booked once. A receipt of another request or amount, or (unless
    ``placed_anywhere``: money paid after we stopped waiting) placed elsewhere, is a reuse."""
    if known.stk_request_id not in (None, request.pk) or known.amount != request.amount or not (
            placed_anywhere or known.state == MpesaReceipt.State.UNALLOCATED
            or receipts.pays(known, request.document)):
        raise IntegrityError(f"receipt {known.receipt} is another payment")
    known.stk_request = request
    known.save(update_fields=["stk_request", "updated_at"])
    if known.receipt and request.mpesa_receipt != known.receipt:
        request.mpesa_receipt = known.receipt
        request.transaction_time = request.transaction_time or known.transaction_time
        request.save(update_fields=["mpesa_receipt", "transaction_time"])


def _book_late(request, *, receipt, transaction_time):
    """Paid after we stopped waiting (failed, timed out, given up): the money is real. It goes to
    the inbox with the request's document as the suggestion, never straight onto a document the
    seller may have settled in cash meanwhile."""
    request.status = Status.PAID_LATE
    request.mpesa_receipt = receipt
    request.transaction_time = transaction_time
    request.settled_by = "callback"
    request.save()
    known = receipts.by_receipt(receipt, lock=True)
    if known is not None:  # a C2B confirmation or a statement line booked it already
        _adopt(request, known, placed_anywhere=True)
        events.publish("mpesa.paid_late", business=request.business.code, stk_request_id=request.pk,
                       receipt_id=known.pk)
        return
    row = receipts.book_unallocated(
        request.business, amount=request.amount, source=MpesaReceipt.Source.STK, receipt=receipt,
        memo=f"M-Pesa {receipt} from {request.phone}, paid after we stopped waiting for "
             f"{request.document.payable_reference}",
        transaction_time=transaction_time, phone=request.phone, stk_request=request, confirmed_at=timezone.now(),
        shortcode=request.shortcode, transaction_type=request.transaction_type,
        suggested_type_id=request.document_type_id, suggested_id=request.document_id,
        suggestion_note=f"asked for {request.document.payable_reference} by STK push")
    events.publish("mpesa.paid_late", business=request.business.code, stk_request_id=request.pk, receipt_id=row.pk)


def _check_phone(request, callback, ip):
    """The prompt went to ``request.phone``; a callback naming another phone is logged, and the
    payment is booked against the phone that was asked."""
    if callback.phone is not None and not same_phone(callback.phone, request.phone):
        security_event("mpesa.phone_mismatch", f"Callback names phone {callback.phone!r}, the prompt went to "
                       f"{request.phone}", ip=ip, stk_request=request.pk)


def handle_callback(body, *, ip=None, ref: int | None = None) -> str:
    """Apply one Daraja STK callback exactly once. Returns "settled", "duplicate" or "rejected";
    whatever is rejected changed nothing and is recorded as a security event. ``ref``: the request
    number from the callback URL, which finds a push whose answer was lost (no CheckoutRequestID)."""
    try:
        callback = parse_callback(body)
    except ValueError as error:
        security_event("mpesa.malformed_callback", str(error), ip=ip)
        return "rejected"
    with transaction.atomic():
        request = (StkRequest.objects.select_for_update()
                   .filter(checkout_request_id=callback.checkout_request_id).first())
        if request is None and ref is not None:
            request = StkRequest.objects.select_for_update().filter(pk=ref, checkout_request_id__isnull=True).first()
            if request is not None:  # the push's answer never reached us: its callback names it
                request.checkout_request_id = callback.checkout_request_id
                request.merchant_request_id = callback.merchant_request_id
                request.save(update_fields=["checkout_request_id", "merchant_request_id"])
        if request is None or request.merchant_request_id != callback.merchant_request_id:
            security_event("mpesa.unknown_request", "Callback for a request we never made",
                           ip=ip, checkout_request_id=callback.checkout_request_id)
            return "rejected"
        if callback.succeeded and callback.amount is not None and callback.amount != request.amount:
            security_event("mpesa.amount_mismatch", f"Callback says KES {callback.amount}, we asked "
                           f"KES {request.amount}", ip=ip, stk_request=request.pk)
            return "rejected"
        if not callback.succeeded:
            if request.is_final:
                if request.paid:
                    security_event("mpesa.conflicting_callback", f"Callback result {callback.result_code} "
                                   f"contradicts the settled status {request.status}", ip=ip, stk_request=request.pk)
                return "duplicate"
            _settle_failure(request, callback.result_code, callback.result_desc, "callback")
            return "settled"
        _check_phone(request, callback, ip)
        try:
            with transaction.atomic():
                return _callback_success(request, callback)
        except IntegrityError:  # that receipt number already paid for something else
            security_event("mpesa.receipt_reused", f"Receipt {callback.receipt} was already used",
                           ip=ip, stk_request=request.pk)
            return "rejected"


def _callback_success(request, callback) -> str:
    if request.paid:  # a duplicate, or STK Query settled it first: learn what the query could not say
        if request.mpesa_receipt is None:
            request.mpesa_receipt = callback.receipt
            request.transaction_time = request.transaction_time or callback.transaction_date
            request.save(update_fields=["mpesa_receipt", "transaction_time"])
            row = MpesaReceipt.objects.filter(stk_request=request).first()
            if row is not None and row.receipt is None and not receipts.attach_receipt(
                    row, callback.receipt, callback.transaction_date):
                raise IntegrityError(f"receipt {callback.receipt} is already in the books")
        return "duplicate"
    if request.may_still_pay:
        _settle_success(request, receipt=callback.receipt, transaction_time=callback.transaction_date,
                        via="callback")
    else:
        _book_late(request, receipt=callback.receipt, transaction_time=callback.transaction_date)
    return "settled"


def check(pk: int) -> StkRequest | None:
    """RQ job: ask STK Query about one request if its check is due. Several processes may call this
    (the schedule, a job the waiting screen asked for): the conditional UPDATE lets exactly one query."""
    now = timezone.now()
    request = StkRequest.objects.filter(pk=pk).first()
    if request is None or request.status not in (Status.PENDING, Status.UNKNOWN):
        return request
    if request.next_check_at and request.next_check_at > now:
        return request
    if not request.checkout_request_id:  # unknown and not queryable: wait for a callback, then give up
        if now - request.created_at > unknown_give_up():
            _give_up(pk, f"No answer from M-Pesa after {_minutes(unknown_give_up())}")
        return StkRequest.objects.get(pk=pk)
    delay = CHECK_BACKOFF[min(request.checks + 1, len(CHECK_BACKOFF) - 1)]
    claimed = StkRequest.objects.filter(pk=pk, status=request.status, checks=request.checks).update(
        checks=request.checks + 1, next_check_at=now + timedelta(seconds=delay))
    if not claimed:
        return StkRequest.objects.get(pk=pk)
    try:
        result = get_client().stk_query(request.checkout_request_id, pay_to=pay_to_for(request.business))
    except DarajaError:
        result = None  # network trouble: the next check retries
    with transaction.atomic():
        request = StkRequest.objects.select_for_update().get(pk=pk)
        if request.is_final:
            return request
        if result is None or result.state == "pending":
            if now - request.created_at > give_up_after():
                _give_up(pk, f"No final answer from M-Pesa after {_minutes(give_up_after())}")
                request.refresh_from_db()
            return request
        if result.state == "success":
            _settle_success(request, receipt=None, transaction_time=None, via="query")
        else:
            _settle_failure(request, result.result_code, result.result_desc, "query")
        return request


def _minutes(span: timedelta) -> str:
    minutes = span.total_seconds() / 60
    return f"{minutes:g} minute{'s' if minutes != 1 else ''}"


def _give_up(pk, why):
    with transaction.atomic():
        request = StkRequest.objects.select_for_update().get(pk=pk)
        if request.is_final:
            return
        _finish(request, Status.GAVE_UP, None, f"{why}: check the M-Pesa statement", "query")
        request.save()
        events.publish("payment.failed", business=request.business.code, stk_request_id=request.pk)


def check_due(request: StkRequest) -> bool:
    return request.status in (Status.PENDING, Status.UNKNOWN) and (
        request.next_check_at is None or request.next_check_at <= timezone.now())


def reconcile_pending(limit: int = 100) -> int:
    """Scheduled job (every 15 s): send pushes never sent, turn pushes stuck in sending (a worker
    died mid-call) into unknown ones, query what is due and give up what waited too long."""
    now = timezone.now()
    StkRequest.objects.filter(status=Status.SENDING, next_check_at__lte=now).update(
        status=Status.UNKNOWN, result_desc="The worker stopped while sending: M-Pesa may have the request",
        next_check_at=now)
    queued = list(StkRequest.objects.filter(status=Status.QUEUED, next_check_at__lte=now)
                  .order_by("next_check_at").values_list("pk", flat=True)[:limit])
    for pk in queued:
        send_push(pk)
    due = list(StkRequest.objects.filter(status__in=(Status.PENDING, Status.UNKNOWN), next_check_at__lte=now)
               .order_by("next_check_at").values_list("pk", flat=True)[:limit])
    for pk in due:
        check(pk)
    return len(queued) + len(due)
