"""The M-Pesa callback endpoint and the "waiting for M-Pesa" screen."""

import hmac
import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from modules.core.businesses.admin_kit import admin_page, scoped_or_403
from modules.core.system.network import client_ip
from modules.core.system.services import security_event

from . import services
from .models import Invoice, Payment, StkRequest

MAX_CALLBACK_BYTES = 64 * 1024
POLL_SECONDS = 2.5


@csrf_exempt
@require_POST
def mpesa_callback(request, token):
    """Daraja posts STK results here. Anything we cannot trust changes nothing and is recorded."""
    ip = client_ip(request)
    if not hmac.compare_digest(token.encode(), settings.MPESA_CALLBACK_TOKEN.encode()):
        security_event("mpesa.bad_token", "Callback with a wrong token", ip=ip)
        return JsonResponse({"ResultCode": 1, "ResultDesc": "Rejected"}, status=403)
    if settings.MPESA_CALLBACK_ALLOWED_IPS and ip not in settings.MPESA_CALLBACK_ALLOWED_IPS:
        security_event("mpesa.ip_not_allowed", f"Callback from {ip}, not in the allowlist", ip=ip)
        return JsonResponse({"ResultCode": 1, "ResultDesc": "Rejected"}, status=403)
    if len(request.body) > MAX_CALLBACK_BYTES:
        security_event("mpesa.oversized_callback", f"{len(request.body)} bytes", ip=ip)
        return JsonResponse({"ResultCode": 1, "ResultDesc": "Too large"}, status=413)
    try:
        body = json.loads(request.body)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        security_event("mpesa.malformed_callback", "Body is not JSON", ip=ip)
        return JsonResponse({"ResultCode": 1, "ResultDesc": "Not JSON"}, status=400)
    outcome = services.handle_callback(body, ip=ip)
    accepted = outcome != "rejected"
    return JsonResponse({"ResultCode": 0 if accepted else 1, "ResultDesc": "Accepted" if accepted else "Rejected"})


# --- admin screens ---------------------------------------------------------------------------

@admin_page(permission="payments.add_stkrequest", template="payments/request_mpesa.html")
def request_mpesa(request, invoice_id):
    """Phone number form for an invoice, then the STK push."""
    invoice = scoped_or_403(request, Invoice, pk=invoice_id)
    due = services.amount_due(invoice)
    error = None
    if request.method == "POST":
        try:
            stk = services.request_stk_push(invoice, request.POST.get("phone", ""), user=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect("admin:payments:stk_wait", stk.pk)
    return {"title": f"M-Pesa for {invoice}", "invoice": invoice, "due": due, "error": error,
            "phone": request.POST.get("phone", invoice.customer_phone)}


@admin_page("Waiting for M-Pesa", permission="payments.view_stkrequest", template="payments/stk_wait.html")
def stk_wait(request, pk):
    stk = scoped_or_403(request, StkRequest, pk=pk)
    return {"stk": stk, "poll_seconds": POLL_SECONDS, "due": services.amount_due(stk.document)}


def stk_status(request, pk):
    """Polled every 2.5 s by the waiting screen; also nudges STK Query when a check is due."""
    stk = scoped_or_403(request, StkRequest, "payments.view_stkrequest", pk=pk)
    if not stk.is_final:
        stk = services.check_stk_request(stk.pk)
    return TemplateResponse(request, "payments/_stk_status.html", {
        "stk": stk, "poll_seconds": POLL_SECONDS, "due": services.amount_due(stk.document)})


@require_POST
def stk_retry(request, pk):
    stk = scoped_or_403(request, StkRequest, "payments.add_stkrequest", pk=pk)
    try:
        again = services.request_stk_push(stk.document, stk.phone, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("admin:payments:stk_wait", stk.pk)
    return redirect("admin:payments:stk_wait", again.pk)


@require_POST
def stk_take_cash(request, pk):
    stk = scoped_or_403(request, StkRequest, "payments.add_payment", pk=pk)
    due = services.amount_due(stk.document)
    if due > 0:
        services.record_payment(stk.document, method=Payment.Method.CASH, amount=due, user=request.user)
        messages.success(request, f"KES {due} taken in cash.")
    # a document may name its own page (optional payable_admin_url); invoices go back to their list
    return redirect(getattr(stk.document, "payable_admin_url", None) or reverse("admin:payments_invoice_changelist"))


admin_urlpatterns = [
    path("payments/invoice/<int:invoice_id>/mpesa/", request_mpesa, name="request_mpesa"),
    path("payments/stk/<int:pk>/", stk_wait, name="stk_wait"),
    path("payments/stk/<int:pk>/status/", stk_status, name="stk_status"),
    path("payments/stk/<int:pk>/retry/", stk_retry, name="stk_retry"),
    path("payments/stk/<int:pk>/cash/", stk_take_cash, name="stk_take_cash"),
]
