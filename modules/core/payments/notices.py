"""Payments' notifications: M-Pesa money received, failed, paid late, waiting unallocated, and a till
set-up problem. Declared in module.py (the kinds and durable subscriptions); notifications only
delivers them."""

from django.urls import reverse

from modules.core.notifications import services as notifications

from .kinds import MPESA_PAID_LATE, MPESA_SETUP_ERROR, MPESA_UNALLOCATED, PAYMENT_FAILED, PAYMENT_RECEIVED
from .models import MpesaReceipt, Payment, StkRequest


def on_payment_received(*, business, payment_id, **_):
    """``payment.received``: M-Pesa money only (cash is taken face to face at the counter)."""
    payment = Payment.objects.select_related("stk_request").filter(pk=payment_id).first()
    if payment is None or payment.method != Payment.Method.MPESA:
        return
    receipt = f" ({payment.mpesa_receipt})" if payment.mpesa_receipt else ""
    notifications.send(PAYMENT_RECEIVED, business=business, obj=payment,
                  message=f"M-Pesa KES {payment.amount:,} received from {payment.payer_phone or 'a customer'}"
                          f" for {payment.document.payable_reference}{receipt}",
                  link=reverse("admin:payments_payment_change", args=[payment.pk]))


def on_payment_failed(*, business, stk_request_id, **_):
    """``payment.failed``: the person who asked for the money, and the owner."""
    request = StkRequest.objects.select_related("requested_by").filter(pk=stk_request_id).first()
    if request is None:
        return
    to = ["Owner", *([request.requested_by] if request.requested_by else [])]
    notifications.send(PAYMENT_FAILED, to=to, business=business, obj=request,
                  message=f"M-Pesa KES {request.amount:,} from {request.phone} not paid: "
                          f"{request.get_status_display().lower()}",
                  link=reverse("admin:payments:stk_wait", args=[request.pk]))


def on_mpesa_paid_late(*, business, stk_request_id, receipt_id, **_):
    """``mpesa.paid_late``: the customer paid after we stopped waiting. The owner, and the person who
    asked (who may have taken cash meanwhile), are told the customer did pay."""
    request = StkRequest.objects.select_related("requested_by").filter(pk=stk_request_id).first()
    if request is None:
        return
    to = ["Owner", *([request.requested_by] if request.requested_by else [])]
    notifications.send(MPESA_PAID_LATE, to=to, business=business, obj=request,
                  message=f"The customer did pay: M-Pesa KES {request.amount:,} from {request.phone} for "
                          f"{request.document.payable_reference} ({request.mpesa_receipt}) came after we stopped "
                          "waiting. It is in the M-Pesa inbox: allocate it or refund any cash taken.",
                  link=reverse("admin:payments:receipt", args=[receipt_id]))


def on_mpesa_unallocated(*, business, receipt_id, **_):
    """``mpesa.unallocated``: money on our M-Pesa number that nothing claimed (late STK money has
    its own message above); the owner and the business's staff, who may know whose it is."""
    row = MpesaReceipt.objects.filter(pk=receipt_id).first()
    if row is None or row.stk_request_id or row.state != MpesaReceipt.State.UNALLOCATED:
        return
    who = row.payer_name or row.phone or "a customer"
    hint = f" Suggested: {row.suggestion_note}." if row.suggestion_note else ""
    notifications.send(MPESA_UNALLOCATED, to=["Owner", *notifications.staff_roles(business)], business=business,
                  obj=row, message=f"M-Pesa KES {row.amount:,} from {who} ({row.receipt}) is waiting in the inbox."
                                   f"{hint}", link=reverse("admin:payments:receipt", args=[row.pk]))


def on_mpesa_setup_error(*, business, stk_request_id, message, **_):
    """``mpesa.setup_error``: M-Pesa refused because of how our number is set up: the owner, with what
    to check (at most hourly per business, however many pushes fail)."""
    notifications.send(MPESA_SETUP_ERROR, business=business, message=message, throttle_key=f"setup:{business}",
                  link=reverse("admin:payments_mpesasetting_changelist"))
