"""Core events turned into notifications (subscribed in module.py; run after the event's commit)."""

from decimal import Decimal

from django.urls import reverse

from . import services


def on_stock_low(*, business, item_id, location_id, quantity, **_):
    """``stock.low`` from inventory: the business's staff and the owner."""
    from modules.core.inventory.models import StockLevel

    level = StockLevel.objects.select_related("item", "location").filter(item_id=item_id,
                                                                        location_id=location_id).first()
    if level is None:
        return
    left = Decimal(quantity).normalize()
    services.send(services.LOW_STOCK, to=[*services.staff_roles(business), "Owner"], business=business,
                  message=f"Low stock: {level.item.name} at {level.location.name}, {left:f} {level.item.unit} left",
                  link=reverse("admin:inventory_item_change", args=[level.item_id]), obj=level)


def on_payment_received(*, business, payment_id, **_):
    """``payment.received``: M-Pesa money only (cash is taken face to face at the counter)."""
    from modules.core.payments.models import Payment

    payment = Payment.objects.select_related("stk_request").filter(pk=payment_id).first()
    if payment is None or payment.method != Payment.Method.MPESA:
        return
    receipt = f" ({payment.mpesa_receipt})" if payment.mpesa_receipt else ""
    services.send(services.PAYMENT_RECEIVED, business=business, obj=payment,
                  message=f"M-Pesa KES {payment.amount:,} received from {payment.payer_phone or 'a customer'}"
                          f" for {payment.document.payable_reference}{receipt}",
                  link=reverse("admin:payments_payment_change", args=[payment.pk]))


def on_payment_failed(*, business, stk_request_id, **_):
    """``payment.failed``: the person who asked for the money, and the owner."""
    from modules.core.payments.models import StkRequest

    request = StkRequest.objects.select_related("requested_by").filter(pk=stk_request_id).first()
    if request is None:
        return
    to = ["Owner", *([request.requested_by] if request.requested_by else [])]
    services.send(services.PAYMENT_FAILED, to=to, business=business, obj=request,
                  message=f"M-Pesa KES {request.amount:,} from {request.phone} not paid: "
                          f"{request.get_status_display().lower()}",
                  link=reverse("admin:payments:stk_wait", args=[request.pk]))


def on_mpesa_paid_late(*, business, stk_request_id, receipt_id, **_):
    """``mpesa.paid_late``: the customer paid after we stopped waiting. The owner, and the person who
    asked (who may have taken cash meanwhile), are told the customer did pay."""
    from modules.core.payments.models import StkRequest

    request = StkRequest.objects.select_related("requested_by").filter(pk=stk_request_id).first()
    if request is None:
        return
    to = ["Owner", *([request.requested_by] if request.requested_by else [])]
    services.send(services.MPESA_PAID_LATE, to=to, business=business, obj=request,
                  message=f"The customer did pay: M-Pesa KES {request.amount:,} from {request.phone} for "
                          f"{request.document.payable_reference} ({request.mpesa_receipt}) came after we stopped "
                          "waiting. It is in the M-Pesa inbox: allocate it or refund any cash taken.",
                  link=reverse("admin:payments:receipt", args=[receipt_id]))


def on_mpesa_unallocated(*, business, receipt_id, **_):
    """``mpesa.unallocated``: money on our M-Pesa number that nothing claimed (late STK money has
    its own message above); the owner and the business's staff, who may know whose it is."""
    from modules.core.payments.models import MpesaReceipt

    row = MpesaReceipt.objects.filter(pk=receipt_id).first()
    if row is None or row.stk_request_id or row.state != MpesaReceipt.State.UNALLOCATED:
        return
    who = row.payer_name or row.phone or "a customer"
    hint = f" Suggested: {row.suggestion_note}." if row.suggestion_note else ""
    services.send(services.MPESA_UNALLOCATED, to=["Owner", *services.staff_roles(business)], business=business,
                  obj=row, message=f"M-Pesa KES {row.amount:,} from {who} ({row.receipt}) is waiting in the inbox."
                                   f"{hint}", link=reverse("admin:payments:receipt", args=[row.pk]))


def on_mpesa_setup_error(*, business, stk_request_id, message, **_):
    """``mpesa.setup_error``: M-Pesa refused because of how our number is set up: the owner, with what
    to check (at most hourly per business, however many pushes fail)."""
    services.send(services.MPESA_SETUP_ERROR, business=business, message=message, throttle_key=f"setup:{business}",
                  link=reverse("admin:payments_mpesasetting_changelist"))
