"""M-Pesa receipts: money that reached one of our numbers, booked exactly once, and the inbox of
those not yet allocated (allocate to a document or a customer's credit, or "not ours"; audited
and reversible).

Booking: a receipt that settles the document it was asked for (an STK push) is one payment entry
(Dr M-Pesa till / Cr Receivables). Any other receipt is first booked Dr M-Pesa till / Cr
*Unallocated M-Pesa receipts* (a liability, ``MPESA_UNALLOCATED``); allocating it moves it from
there (Dr Unallocated / Cr Receivables, Customer credit, or the till again when it is refunded).
A receipt number exists once (``MpesaReceipt.receipt`` is unique), whoever reports it first.
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.registry import events, registry

from .accounts import MPESA_UNALLOCATED
from .daraja import receipt_number
from .documents import amount_due, post_payment, undo_payment
from .models import Allocation, MpesaReceipt, Payment, StatementLine, StkRequest
from modules.core.customers.phones import normalize_phone, phone_hash, same_phone

MATCH_WINDOW = timedelta(minutes=10)  # a till payment matches documents made this long before it
TYPED_CONFIRM_WITHIN = timedelta(hours=24)  # a typed code M-Pesa has not confirmed by then is flagged
SAME_PAYMENT_WITHIN = timedelta(minutes=10)  # reports of one payment without a shared receipt number
State = MpesaReceipt.State


def by_receipt(code: str, *, lock: bool = False) -> MpesaReceipt | None:
    rows = MpesaReceipt.objects.select_for_update() if lock else MpesaReceipt.objects
    return rows.filter(receipt=code).first()


def book_unallocated(business, *, amount, source: str, memo: str, receipt: str | None = None, **fields) -> MpesaReceipt:
    """Money M-Pesa received that no document claims yet: into the till and the inbox."""
    amount = Decimal(amount)
    with transaction.atomic():
        row = MpesaReceipt.objects.create(business=business, receipt=receipt, amount=amount, source=source,
                                          state=State.UNALLOCATED, **fields)
        row.journal_entry = ledger.post(business, timezone.localdate(), memo[:200], [
            ledger.debit(chart.MPESA, amount), ledger.credit(MPESA_UNALLOCATED, amount)], source=row)
        row.save(update_fields=["journal_entry"])
        confirm_from_statement(row)
        events.publish("mpesa.unallocated", business=business.code, receipt_id=row.pk)
    return row


def _locked_unallocated(receipt: MpesaReceipt) -> MpesaReceipt:
    row = MpesaReceipt.objects.select_for_update().get(pk=receipt.pk)
    if row.state != State.UNALLOCATED:
        raise ValidationError(f"{row} is already {row.get_state_display().lower()}.")
    return row


def _done(row: MpesaReceipt, state: str):
    row.state = state
    row.suggested_type, row.suggested_id, row.suggestion_note = None, "", ""
    row.save(update_fields=["state", "suggested_type", "suggested_id", "suggestion_note", "updated_at"])


@transaction.atomic
def allocate_to_document(receipt: MpesaReceipt, document, *, user=None, automatic: bool = False) -> Allocation:
    """The receipt pays a document; what exceeds its amount due becomes the customer's credit."""
    row = _locked_unallocated(receipt)
    if document.business_id != row.business_id:
        raise ValidationError(f"{document.payable_reference} belongs to another business.")
    payment = post_payment(document, method=Payment.Method.MPESA, amount=row.amount, debit=MPESA_UNALLOCATED,
                           payer_phone=row.phone, mpesa_receipt=row.receipt, user=user)
    _done(row, State.ALLOCATED)
    return Allocation.objects.create(
        receipt=row, business=row.business, kind=Allocation.Kind.DOCUMENT, amount=row.amount, payment=payment,
        document_type=ContentType.objects.get_for_model(document), document_id=str(document.pk),
        journal_entry=payment.journal_entry, automatic=automatic, user=user)


@transaction.atomic
def allocate_to_credit(receipt: MpesaReceipt, phone: str, *, user=None, automatic: bool = False) -> Allocation:
    """The receipt becomes credit the customer (by phone) holds with the business."""
    phone = normalize_phone(phone)
    row = _locked_unallocated(receipt)
    entry = ledger.post(row.business, timezone.localdate(), f"M-Pesa {row.receipt or ''} as credit for {phone}", [
        ledger.debit(MPESA_UNALLOCATED, row.amount), ledger.credit(chart.CUSTOMER_CREDIT, row.amount)],
        source=row, user=user)
    _done(row, State.ALLOCATED)
    return Allocation.objects.create(receipt=row, business=row.business, kind=Allocation.Kind.CREDIT,
                                     amount=row.amount, customer_phone=phone, journal_entry=entry,
                                     automatic=automatic, user=user)


@transaction.atomic
def mark_not_ours(receipt: MpesaReceipt, reason: str, *, user=None) -> Allocation:
    """Money that was not for us (a wrong number, a double payment) and went back outside: it
    leaves the till again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the money is not ours (for example: refunded to 0712… by M-Pesa).")
    row = _locked_unallocated(receipt)
    entry = ledger.post(row.business, timezone.localdate(), f"M-Pesa {row.receipt or ''} not ours: {reason}"[:200], [
        ledger.debit(MPESA_UNALLOCATED, row.amount), ledger.credit(chart.MPESA, row.amount)], source=row, user=user)
    _done(row, State.NOT_OURS)
    return Allocation.objects.create(receipt=row, business=row.business, kind=Allocation.Kind.NOT_OURS,
                                     amount=row.amount, journal_entry=entry, reason=reason[:255], user=user)


@transaction.atomic
def reverse_allocation(allocation: Allocation, reason: str, *, user=None) -> Allocation:
    """Undo an allocation: its entry is reversed, the receipt is back in the inbox, a document it
    paid is due again. Only the standing allocation of a receipt can be reversed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the allocation is undone.")
    row = MpesaReceipt.objects.select_for_update().get(pk=allocation.receipt_id)
    allocation = Allocation.objects.get(pk=allocation.pk)
    if allocation.kind not in (Allocation.Kind.DOCUMENT, Allocation.Kind.CREDIT, Allocation.Kind.NOT_OURS):
        raise ValidationError("Only an allocation can be reversed.")
    if Allocation.objects.filter(reverses=allocation).exists():
        raise ValidationError("This allocation was already reversed.")
    if allocation.kind == Allocation.Kind.DOCUMENT:
        undone = undo_payment(allocation.payment, kind=Allocation.Kind.REVERSAL, receipt=row, reason=reason,
                              user=user, reverses=allocation)
    else:
        entry = ledger.reverse(allocation.journal_entry, memo=f"Undone: {reason}"[:200], user=user)
        undone = Allocation.objects.create(receipt=row, business=row.business, kind=Allocation.Kind.REVERSAL,
                                           amount=allocation.amount, journal_entry=entry, reverses=allocation,
                                           reason=reason[:255], user=user)
    row.state = State.UNALLOCATED
    row.save(update_fields=["state", "updated_at"])
    return undone


# --- codes typed by staff (offline till payments) -----------------------------------------------

@transaction.atomic
def record_typed_code(document, code: str, *, amount=None, user=None) -> Payment:
    """The customer paid the till or paybill from their own phone and shows the SMS: staff type its
    code. Money M-Pesa already reported under that code (a C2B confirmation, a statement line) is
    allocated to the document; otherwise the payment is booked now and waits for M-Pesa to confirm
    it (flagged if it never does)."""
    try:
        code = receipt_number(code)
    except ValueError:
        raise ValidationError("Type the M-Pesa code from the customer's SMS: 10 letters and digits, "
                              "like QK7AB1CD2E.") from None
    known = by_receipt(code, lock=True)
    if known is not None:
        if known.state != State.UNALLOCATED:
            raise ValidationError(f"M-Pesa code {code} is already in the books ({known.get_state_display().lower()}).")
        if known.business_id != document.business_id:
            raise ValidationError(f"M-Pesa code {code} was paid to another business's number.")
        return allocate_to_document(known, document, user=user).payment
    amount = Decimal(amount) if amount not in (None, "") else amount_due(document)
    if amount <= 0:
        raise ValidationError(f"Nothing is due on {document.payable_reference}.")
    payment = post_payment(document, method=Payment.Method.MPESA, amount=amount, mpesa_receipt=code, user=user)
    note_direct_payment(payment, code, source=MpesaReceipt.Source.TYPED, confirmed=False)
    return payment


def note_direct_payment(payment: Payment, code: str | None, *, source: str, confirmed: bool,
                        stk_request=None, transaction_time=None) -> MpesaReceipt:
    """The receipt row of an M-Pesa payment booked straight to its document (no inbox). Raises
    IntegrityError when the code is already in the books: the caller's transaction rolls back."""
    with transaction.atomic():
        row = MpesaReceipt.objects.create(
            business=payment.business, receipt=code, amount=payment.amount, source=source, state=State.ALLOCATED,
            phone=payment.payer_phone, stk_request=stk_request, transaction_time=transaction_time,
            confirmed_at=timezone.now() if confirmed else None, journal_entry=payment.journal_entry,
            shortcode=stk_request.shortcode if stk_request else "",
            transaction_type=stk_request.transaction_type if stk_request else "")
        confirm_from_statement(row)
    return row


def confirm_from_statement(row: MpesaReceipt) -> None:
    """A statement imported before the receipt was booked lists it: the line is matched now, so the
    reconciliation does not offer to book it again (and confirms a typed code)."""
    if not row.receipt:
        return
    for line in StatementLine.objects.select_for_update().filter(
            business=row.business_id, receipt=row.receipt, kind=StatementLine.Kind.PAYMENT, mpesa_receipt__isnull=True):
        line.mpesa_receipt = row
        line.save(update_fields=["mpesa_receipt"])
        confirm(row, amount=line.amount, transaction_time=line.completed_at, account_reference=line.account)


def confirm(row: MpesaReceipt, *, amount, transaction_time=None, **details) -> MpesaReceipt:
    """M-Pesa (a confirmation or a statement line) reports a receipt we already have: note it, and
    flag a typed code whose amount differs from what M-Pesa received."""
    changed = []
    if row.confirmed_at is None:
        row.confirmed_at = timezone.now()
        changed.append("confirmed_at")
    if transaction_time and not row.transaction_time:
        row.transaction_time = transaction_time
        changed.append("transaction_time")
    for name, value in details.items():
        if value and not getattr(row, name):
            setattr(row, name, value)
            changed.append(name)
    if Decimal(amount) != row.amount and not row.problem:
        row.problem = f"Booked KES {row.amount:,}, M-Pesa received KES {Decimal(amount):,}."
        changed.append("problem")
    if changed:
        row.save(update_fields=[*changed, "updated_at"])
    return row


@transaction.atomic
def mark_never_arrived(receipt: MpesaReceipt, reason: str, *, user=None) -> Allocation:
    """A typed code M-Pesa never confirmed: its payment is undone and the document is due again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say what you checked (for example: not on the statement of 12 March).")
    row = MpesaReceipt.objects.select_for_update().get(pk=receipt.pk)
    if row.source != MpesaReceipt.Source.TYPED or row.confirmed_at or row.state != State.ALLOCATED:
        raise ValidationError("Only a typed code M-Pesa has not confirmed can be marked as never arrived.")
    payment = Payment.objects.get(journal_entry=row.journal_entry)
    undone = undo_payment(payment, kind=Allocation.Kind.NEVER_ARRIVED, receipt=row, reason=reason[:255], user=user)
    row.state = State.NEVER_ARRIVED
    row.save(update_fields=["state", "updated_at"])
    return undone


def unconfirmed_typed(business=None, *, now=None):
    """Typed codes M-Pesa has not confirmed within TYPED_CONFIRM_WITHIN: flagged."""
    rows = MpesaReceipt.objects.filter(source=MpesaReceipt.Source.TYPED, confirmed_at__isnull=True,
                                       state=State.ALLOCATED,
                                       created_at__lt=(now or timezone.now()) - TYPED_CONFIRM_WITHIN)
    return rows.filter(business=business) if business is not None else rows


# --- matching money that came on its own ---------------------------------------------------------

def find_document(business, reference: str):
    """The document a paybill account number or a typed reference names, across every payable
    kind the modules declare; None when none or several do."""
    reference = (reference or "").strip()
    if not reference:
        return None
    found = [doc for payable in registry.payables()
             if (doc := import_string(payable.find)(business, reference)) is not None]
    return found[0] if len(found) == 1 else None


def _phones_of(document) -> set[str]:
    phones = {getattr(document, "customer_phone", "") or ""}
    customer = getattr(document, "customer", None)
    if customer is not None:
        phones.add(getattr(customer, "phone", "") or "")
        if hasattr(customer, "phones"):
            phones.update(customer.phones.values_list("phone", flat=True))
    return {phone for phone in phones if phone}


def candidates(row: MpesaReceipt) -> list:
    """Open documents of the receipt's business with exactly its amount due, made in the few minutes
    before it arrived; those of the payer (by phone or its hash) first."""
    when = row.transaction_time or row.created_at or timezone.now()
    found = []
    for payable in registry.payables():
        for document in import_string(payable.open)(row.business, when - MATCH_WINDOW):
            if amount_due(document) == row.amount:
                found.append(document)
    payer = [doc for doc in found if _is_payer(row, doc)]
    return payer + [doc for doc in found if doc not in payer]


def _is_payer(row: MpesaReceipt, document) -> bool:
    phones = _phones_of(document)
    return bool(row.phone and row.phone in phones) or bool(
        row.phone_hash and row.phone_hash in {phone_hash(phone) for phone in phones})


def match(row: MpesaReceipt, *, user=None) -> Allocation | None:
    """Place money that arrived on its own. Automatic only when it cannot be wrong: a paybill account
    number that names one document, or exactly one open document of the payer for exactly that
    amount. Otherwise the best candidate is stored as a one-tap suggestion in the inbox."""
    document = find_document(row.business, row.account_reference)
    if document is not None:
        return allocate_to_document(row, document, user=user, automatic=True)
    found = candidates(row)
    payer = [doc for doc in found if _is_payer(row, doc)]
    if len(payer) == 1:
        return allocate_to_document(row, payer[0], user=user, automatic=True)
    if found:
        best = found[0]
        others = len(found) - 1
        why = "the payer's" if payer else "an"
        row.suggested_type = ContentType.objects.get_for_model(best)
        row.suggested_id = str(best.pk)
        row.suggestion_note = (f"{why} open {best.payable_reference} of KES {row.amount:,}"
                               + (f" ({others} other{'s' if others > 1 else ''} of the same amount: check)"
                                  if others else ""))[:255]
        row.save(update_fields=["suggested_type", "suggested_id", "suggestion_note", "updated_at"])
    return None


def inbox(businesses):
    """What waits for someone: unallocated receipts, then flagged ones."""
    return (MpesaReceipt.objects.filter(business__in=businesses, state=State.UNALLOCATED)
            .select_related("business", "stk_request").order_by("-created_at"))


def attach_receipt(row: MpesaReceipt, code: str, transaction_time=None) -> bool:
    """Give a receipt row learned without a number (STK Query) the number M-Pesa reports later.
    False when that number is already someone else's."""
    row.receipt = code
    if transaction_time and not row.transaction_time:
        row.transaction_time = transaction_time
    try:
        with transaction.atomic():
            row.save(update_fields=["receipt", "transaction_time", "updated_at"])
            if row.stk_request_id:
                StkRequest.objects.filter(pk=row.stk_request_id, mpesa_receipt__isnull=True).update(
                    mpesa_receipt=code, transaction_time=row.transaction_time)
            confirm_from_statement(row)
    except IntegrityError:
        row.receipt = None
        return False
    return True


# --- one payment reported several ways without a shared receipt number ----------------------------
# STK Query says "paid" but gives no receipt number; a C2B confirmation and a statement line give
# one but no request. The same business, amount and payer within a few minutes is the same money.

def claim_unnumbered(business, *, receipt: str, amount, when=None, payer: str = "") -> MpesaReceipt | None:
    """M-Pesa reports money with its number (a C2B confirmation, a statement line) that an STK
    payment settled by STK Query already booked without one: that row learns the number. ``payer``:
    the phone as reported (plain, masked or hashed; empty when not given)."""
    when = when or timezone.now()
    span = (when - SAME_PAYMENT_WITHIN, when + SAME_PAYMENT_WITHIN)
    near = Q(transaction_time__range=span) | Q(transaction_time__isnull=True, created_at__range=span)
    for row in (MpesaReceipt.objects.select_for_update().filter(near, business=business, receipt__isnull=True,
                                                               amount=amount)
                .exclude(state=State.NEVER_ARRIVED).order_by("created_at")):
        if payer and row.phone and not same_phone(payer, row.phone):
            continue
        if attach_receipt(row, receipt, when):
            return row
    return None


def reported_before(request) -> MpesaReceipt | None:
    """Money M-Pesa reported on its own (a C2B confirmation, a statement line booked to the inbox)
    that is the payment STK Query now says it made for ``request``: same business, amount and
    payer (a positive match), since the request was made and not claimed by another request."""
    rows = (MpesaReceipt.objects.select_for_update()
            .filter(business=request.business, amount=request.amount, stk_request__isnull=True,
                    source__in=(MpesaReceipt.Source.C2B, MpesaReceipt.Source.STATEMENT),
                    created_at__gte=request.created_at)
            .exclude(state=State.NEVER_ARRIVED).order_by("created_at"))
    for row in rows:
        if row.state != State.UNALLOCATED and not pays(row, request.document):
            continue
        seen = [row.phone, row.phone_hash, *(line.phone_seen for line in row.statement_lines.all())]
        if any(value and same_phone(value, request.phone) for value in seen):
            return row
    return None


def pays(row: MpesaReceipt, document) -> bool:
    """Whether the receipt's standing allocation pays ``document``."""
    return row.allocations.filter(
        kind=Allocation.Kind.DOCUMENT, reversed_by__isnull=True, document_id=str(document.pk),
        document_type=ContentType.objects.get_for_model(document)).exists()


def statement_line_for(row: MpesaReceipt, request) -> bool:
    """A statement imported before STK Query settled ``request`` (booked as ``row``, no number yet)
    lists its payment: same amount and payer since the request was made. The row learns the number."""
    lines = (StatementLine.objects.select_for_update()
             .filter(business=row.business_id, kind=StatementLine.Kind.PAYMENT, mpesa_receipt__isnull=True,
                     amount=row.amount, completed_at__gte=request.created_at - SAME_PAYMENT_WITHIN)
             .order_by("completed_at"))
    for line in lines:
        if line.phone_seen and same_phone(line.phone_seen, request.phone) and not by_receipt(line.receipt):
            return attach_receipt(row, line.receipt, line.completed_at)
    return False
