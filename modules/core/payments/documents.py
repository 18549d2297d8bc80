"""What a payable document has been paid, and the one way money is recorded against it.

A payable document (an Invoice, a sale, a laundry job …) offers ``business``, ``payable_total``,
``payable_reference`` and ``mark_paid(when)`` (``mark_paid(None)``: due again, after a payment was
reversed); its own posting put the amount in Receivables, and payments settle Receivables. What
exceeds the amount due is customer credit. A payment undone later (an M-Pesa allocation reversed,
a typed M-Pesa code that never arrived) keeps its row and stops counting.
"""

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, OuterRef, Subquery, Sum
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.registry import events

from .models import Allocation, Payment, StkRequest

ZERO = Decimal("0.00")
UNDOING = (Allocation.Kind.REVERSAL, Allocation.Kind.NEVER_ARRIVED)


def document_filter(document) -> dict:
    return {"document_type": ContentType.objects.get_for_model(document), "document_id": str(document.pk)}


def standing(payments):
    """``payments`` less the undone ones."""
    return payments.exclude(allocations__kind__in=UNDOING)


def payments_for(document):
    """The payments that count for a document, oldest first (undone ones left out)."""
    return standing(Payment.objects.filter(**document_filter(document))).order_by("received_at", "pk")


def stk_requests_for(document):
    """The M-Pesa requests made for a document, newest first."""
    return StkRequest.objects.filter(**document_filter(document)).order_by("-created_at", "-pk")


def with_amount_paid(documents, via: str | None = None):
    """``documents`` (a queryset of one payable model, or of rows whose foreign key ``via`` is the
    payable: laundry jobs and their sales) annotated with ``paid``: what their payments settled, as
    amount_paid() counts it, in one query."""
    model = documents.model._meta.get_field(via).related_model if via else documents.model
    paid = (standing(Payment.objects.filter(document_type=ContentType.objects.get_for_model(model),
                                             document_id=Cast(OuterRef(f"{via}_id" if via else "pk"), CharField())))
            .values("document_id").annotate(total=Sum("applied")).values("total"))
    return documents.annotate(paid=Coalesce(Subquery(paid), ZERO))


def amount_paid(document) -> Decimal:
    return payments_for(document).aggregate(total=Coalesce(Sum("applied"), ZERO))["total"]


def amount_due(document) -> Decimal:
    return max(document.payable_total - amount_paid(document), ZERO)


def customer_credit(business, phone: str) -> Decimal:
    """Credit a customer holds with a business: overpayments, and M-Pesa receipts allocated to them."""
    overpaid = standing(Payment.objects.filter(business=business, payer_phone=phone)).aggregate(
        total=Coalesce(Sum("credit"), ZERO))["total"]
    allocated = (Allocation.objects.filter(business=business, kind=Allocation.Kind.CREDIT, customer_phone=phone,
                                           reversed_by__isnull=True)
                 .aggregate(total=Coalesce(Sum("amount"), ZERO))["total"])
    return overpaid + allocated


# where a payment's money lands; "credit" spends the customer's credit (a liability) instead
TILLS = {Payment.Method.CASH: chart.CASH, Payment.Method.MPESA: chart.MPESA, Payment.Method.BANK: chart.BANK,
         Payment.Method.CREDIT: chart.CUSTOMER_CREDIT}


def post_payment(document, *, method: str, amount, debit: str | None = None, payer_phone: str = "",
                 mpesa_receipt=None, stk_request=None, user=None, due=None) -> Payment:
    """Post and record money for a document: Dr ``debit`` (the till of ``method`` unless told, e.g.
    Unallocated M-Pesa receipts for money already in the books), Cr Receivables for what is due
    and Cr Customer credit for the rest. ``due``: what a document made in this same, still open
    transaction owes (see payments.services.record_payment): then nothing is locked or read, and
    a document it already made with ``paid_at`` set is not written again."""
    with transaction.atomic(savepoint=due is None):
        return _post_payment(document, method=method, amount=amount, debit=debit, payer_phone=payer_phone,
                             mpesa_receipt=mpesa_receipt, stk_request=stk_request, user=user, due=due)


def _post_payment(document, *, method, amount, debit, payer_phone, mpesa_receipt, stk_request, user, due):
    amount = Decimal(amount)
    if amount <= 0:
        raise ValidationError("A payment must be more than KES 0.")
    if method not in TILLS:
        raise ValidationError(f"Unknown payment method {method!r}.")
    known = due is not None
    if not known:
        document = type(document).objects.select_for_update().get(pk=document.pk)  # one payment at a time
        due = amount_due(document)
    applied = min(amount, due)
    surplus = amount - applied
    if method == Payment.Method.CREDIT and surplus:
        raise ValidationError(f"Only KES {applied:,} is due: customer credit pays what is due, no more.")
    lines = [ledger.debit(debit or TILLS[method], amount)]
    if applied:
        lines.append(ledger.credit(chart.RECEIVABLES, applied))
    if surplus:
        lines.append(ledger.credit(chart.CUSTOMER_CREDIT, surplus))
    entry = ledger.post(document.business, timezone.localdate(),
                        f"{Payment.Method(method).label} for {document.payable_reference}"
                        + (f" ({mpesa_receipt})" if mpesa_receipt else ""), lines, source=document, user=user)
    payment = Payment.objects.create(
        business=document.business, document=document, method=method, amount=amount, applied=applied,
        credit=surplus, payer_phone=payer_phone, mpesa_receipt=mpesa_receipt, stk_request=stk_request,
        journal_entry=entry, received_by=user)
    # a caller that knew what was due may have written the document as paid when it made it
    paid_in_full = applied and (due - applied if known else amount_due(document)) == 0
    if paid_in_full and not (known and getattr(document, "paid_at", None)):
        document.mark_paid(timezone.now())
    events.publish("payment.received", business=document.business.code, payment_id=payment.pk)
    return payment


def undo_payment(payment: Payment, *, kind: str, receipt, reason: str, user=None, reverses=None) -> Allocation:
    """Reverse a payment's ledger entry and record why (an Allocation of ``kind``); the document is
    due again. The Payment row stays, as every row of the books does."""
    entry = ledger.reverse(payment.journal_entry, memo=f"Undone: {reason}"[:200], user=user)
    undone = Allocation.objects.create(receipt=receipt, business=payment.business, kind=kind, amount=payment.amount,
                                       payment=payment, document_type_id=payment.document_type_id,
                                       document_id=payment.document_id, journal_entry=entry, reason=reason,
                                       user=user, reverses=reverses)
    document = payment.document
    if document is not None and payment.applied and amount_due(document) > 0:
        document.mark_paid(None)
    return undone
