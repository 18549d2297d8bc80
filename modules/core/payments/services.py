"""Public surface of payments: record money received, ask for M-Pesa, and the M-Pesa inbox.

A payable document (an Invoice, a sale, a laundry job …) offers ``business``, ``payable_total``,
``payable_reference`` and ``mark_paid(when)`` (see ``documents``); its own posting put the amount
in Receivables, and payments settle Receivables. What exceeds the amount due is customer credit.

* Cash, or M-Pesa the customer paid on their own: ``record_payment``, ``record_typed_code``.
* M-Pesa by STK push: ``ask_mpesa`` (the one retry rule every page uses); RQ jobs send it and
  follow it up (``stk``); the waiting screen reads the request.
* Money that reached our M-Pesa numbers with no document yet (C2B, late STK, statement lines) is
  in the M-Pesa inbox (``receipts``): ``allocate_to_document``, ``allocate_to_credit``,
  ``mark_not_ours``, ``reverse_allocation``.
"""

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from modules.core.customers import services as customers
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account
from modules.core.tax import services as tax

from . import stk
from .documents import (ZERO, amount_due, amount_paid, customer_credit, payments_for, post_payment,
                        stk_requests_for, with_amount_paid)
from .models import Invoice, MpesaReceipt, Payment, StkRequest
from modules.core.customers.phones import normalize_phone
from .accounts import MPESA_CHARGES, MPESA_UNALLOCATED
from .receipts import (allocate_to_credit, allocate_to_document, inbox,
                       mark_never_arrived, mark_not_ours, note_direct_payment, record_typed_code,
                       reverse_allocation, unconfirmed_typed)
from .stk import GIVE_UP_AFTER, check_due, handle_callback, pay_to_for, reconcile_pending
from .stk import check as check_stk_request

__all__ = [
    "ZERO", "PAYMENT_DESK", "MPESA_CHARGES", "MPESA_UNALLOCATED", "GIVE_UP_AFTER",
    "amount_due", "amount_paid", "customer_credit", "payments_for", "stk_requests_for", "with_amount_paid",
    "issue_invoice", "record_payment", "record_typed_code", "ask_mpesa", "request_stk_push", "check_due",
    "pay_to_for", "reconcile_pending", "check_stk_request", "handle_callback", "may_still_pay",
    "unallocated_total", "typed_code_url", "inbox", "allocate_to_document", "allocate_to_credit", "mark_not_ours",
    "reverse_allocation", "mark_never_arrived", "unconfirmed_typed",
]

# Permissions a counter attendant needs to bill and take payments (used in business modules' roles).
PAYMENT_DESK = ("payments.view_invoice", "payments.add_invoice", "payments.view_payment", "payments.add_payment",
                "payments.view_stkrequest", "payments.add_stkrequest", "payments.view_mpesareceipt",
                "payments.add_allocation")


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


def record_payment(document, *, method: str, amount, payer_phone: str = "", mpesa_receipt=None,
                   stk_request=None, user=None, due=None) -> Payment:
    """Money received for a document: settles what is due; any surplus becomes customer credit.
    M-Pesa money recorded this way (not through an STK push or the inbox) gets its receipt row,
    waiting for M-Pesa to confirm it; a receipt number already in the books is refused.
    ``due``: what the document owes, given only by the code that made it in the transaction still
    open (the sale engine's cash at the till): no one else can see it yet, so nothing is locked or
    read back, no M-Pesa request for it can exist, and a refusal fails that whole transaction."""
    with transaction.atomic(savepoint=due is None):
        if method == Payment.Method.CASH and due is None and may_still_pay(document):
            raise ValidationError(f"An M-Pesa request for {document.payable_reference} may still be paid: wait "
                                  "for M-Pesa's answer before taking cash, or the customer pays twice.")
        payment = post_payment(document, method=method, amount=amount, payer_phone=payer_phone,
                               mpesa_receipt=mpesa_receipt, stk_request=stk_request, user=user, due=due)
        if method == Payment.Method.MPESA and stk_request is None:
            note_direct_payment(payment, mpesa_receipt or None, source=MpesaReceipt.Source.TYPED, confirmed=False)
    return payment


def ask_mpesa(document, phone: str, *, amount=None, user=None) -> StkRequest | None:
    """The one way a page asks a customer's phone for M-Pesa for a document, with one retry rule:
    while the document's latest request may still pay it is returned as it is, so a double tap, a
    replayed form or a reload never prompts the phone twice; a new prompt goes out only when
    something is due and the latest request is final (paid a part, or can no longer pay). When
    nothing is due the latest request (or None) is returned. Raises ValidationError when the phone
    is busy with another request or just cancelled one. Follow it on ``admin:payments:stk_wait``."""
    latest = stk_requests_for(document).first()
    if latest is not None and not latest.is_final:
        return latest
    if amount_due(document) <= 0:
        return latest
    return request_stk_push(document, phone, amount=amount, user=user)


def request_stk_push(document, phone: str, *, amount=None, user=None) -> StkRequest:
    """Queue an STK push now (prefer ``ask_mpesa``): an RQ job sends it, never the web request."""
    return stk.request_push(document, phone, amount=amount, user=user)


def typed_code_url(document) -> str:
    """The page where staff type the code of an M-Pesa payment made to our till or paybill from the
    customer's own phone (offline till payments), for a document's page to link to."""
    return reverse("admin:payments:typed_code", args=[ContentType.objects.get_for_model(document).pk, document.pk])


def may_still_pay(document) -> bool:
    """Whether an M-Pesa request for the document may still bring money: no "take cash" then."""
    return stk_requests_for(document).filter(status__in=StkRequest.MAY_STILL_PAY).exists()


def unallocated_total(business) -> Decimal:
    """What the inbox holds for a business, from the ledger account the inbox keeps."""
    account = Account.objects.filter(business=business, code=MPESA_UNALLOCATED).first()
    return ledger.balance(account) if account else ZERO
