"""Payments' admin screens: ask for M-Pesa, the waiting screen, a code typed from the customer's
SMS, and the M-Pesa inbox. None of them calls Daraja: pushes and queries are RQ jobs."""

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from modules.core.businesses.admin_kit import render_page, scoped_or_403
from modules.core.businesses.services import businesses_for
from modules.core.registry import registry

from . import receipts, services, stk
from .models import Allocation, Invoice, MpesaReceipt, Payment, StkRequest

POLL_SECONDS = 2.5
INBOX_SHOWN = 50


def _back_to(document) -> str:
    # a document may name its own page (optional payable_admin_url); invoices go back to their list
    return getattr(document, "payable_admin_url", None) or reverse("admin:payments_invoice_changelist")


def request_mpesa(request, invoice_id):
    """Phone number form for an invoice, then the STK push (queued; the waiting screen follows it)."""
    invoice = scoped_or_403(request, Invoice, "payments.add_stkrequest", pk=invoice_id)
    due = services.amount_due(invoice)
    error = None
    if request.method == "POST":
        try:
            stk_request = services.ask_mpesa(invoice, request.POST.get("phone", ""), user=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            if stk_request is not None:
                return redirect("admin:payments:stk_wait", stk_request.pk)
            error = "Nothing is due on this invoice."
    return render_page(request, "payments/request_mpesa.html", {
        "title": f"M-Pesa for {invoice}", "invoice": invoice, "due": due, "error": error,
        "phone": request.POST.get("phone", invoice.customer_phone)})


def _status_context(stk_request):
    return {"stk": stk_request, "poll_seconds": POLL_SECONDS, "due": services.amount_due(stk_request.document)}


def stk_wait(request, pk):
    stk_request = scoped_or_403(request, StkRequest, "payments.view_stkrequest", pk=pk)
    return render_page(request, "payments/stk_wait.html", {"title": "Waiting for M-Pesa", **_status_context(stk_request)})


def stk_status(request, pk):
    """Polled every 2.5 s by the waiting screen. It only reads; when a check is due it asks the
    worker for one (an enqueue, never a Daraja call here)."""
    stk_request = scoped_or_403(request, StkRequest, "payments.view_stkrequest", pk=pk)
    if stk.check_due(stk_request):
        stk.enqueue("check_stk", stk_request.pk)
    return TemplateResponse(request, "payments/_stk_status.html", _status_context(stk_request))


@require_POST
def stk_retry(request, pk):
    stk_request = scoped_or_403(request, StkRequest, "payments.add_stkrequest", pk=pk)
    try:
        again = services.ask_mpesa(stk_request.document, stk_request.phone, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("admin:payments:stk_wait", stk_request.pk)
    return redirect("admin:payments:stk_wait", (again or stk_request).pk)


@require_POST
def stk_take_cash(request, pk):
    stk_request = scoped_or_403(request, StkRequest, "payments.add_payment", pk=pk)
    document = stk_request.document
    if services.may_still_pay(document):
        messages.error(request, "M-Pesa may still bring this money: wait for its answer before taking cash.")
        return redirect("admin:payments:stk_wait", stk_request.pk)
    due = services.amount_due(document)
    if due > 0:
        services.record_payment(document, method=Payment.Method.CASH, amount=due, user=request.user)
        messages.success(request, f"KES {due} taken in cash.")
    return redirect(_back_to(document))


# --- a code typed from the customer's SMS (paid to the till or paybill from their phone) ---------

def typed_code(request, content_type_id, object_id):
    content_type = get_object_or_404(ContentType, pk=content_type_id)
    try:
        document = content_type.get_object_for_this_type(pk=object_id)
    except content_type.model_class().DoesNotExist as error:
        raise Http404("No such document") from error
    if not hasattr(document, "payable_total"):
        raise Http404("Not a payable document")
    scoped_or_403(request, document, "payments.add_payment")
    error = None
    if request.method == "POST":
        try:
            payment = services.record_typed_code(document, request.POST.get("code", ""), user=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"M-Pesa {payment.mpesa_receipt}: KES {payment.amount:,} recorded for "
                                      f"{document.payable_reference}.")
            return redirect(_back_to(document))
    return render_page(request, "payments/typed_code.html", {
        "title": "Paid to the till or paybill", "document": document, "due": services.amount_due(document),
        "error": error, "code": request.POST.get("code", "")})


# --- the M-Pesa inbox --------------------------------------------------------------------------

def inbox(request):
    if not request.user.has_perm("payments.view_mpesareceipt"):
        raise PermissionDenied
    businesses = businesses_for(request.user)
    waiting = list(services.inbox(businesses)[:INBOX_SHOWN])
    flagged = list(MpesaReceipt.objects.filter(business__in=businesses).exclude(problem="")
                   .exclude(state=MpesaReceipt.State.NEVER_ARRIVED).select_related("business")[:INBOX_SHOWN])
    unconfirmed = list(receipts.unconfirmed_typed().filter(business__in=businesses).select_related("business")
                       [:INBOX_SHOWN])
    return render_page(request, "payments/inbox.html", {
        "title": "M-Pesa inbox", "waiting": waiting, "flagged": flagged, "unconfirmed": unconfirmed,
        "can_allocate": request.user.has_perm("payments.add_allocation")})


def receipt_page(request, pk):
    row = scoped_or_403(request, MpesaReceipt.objects.select_related("business", "stk_request"),
                        "payments.view_mpesareceipt", pk=pk)
    allocations = list(row.allocations.select_related("user", "reverses").order_by("created_at"))
    standing = [a for a in allocations if a.kind != Allocation.Kind.REVERSAL
                and not any(b.reverses_id == a.pk for b in allocations)]
    user = request.user
    return render_page(request, "payments/receipt.html", {
        "title": str(row), "row": row, "allocations": allocations, "standing": standing,
        "suggested": row.suggested if row.suggested_type_id else None,
        "candidates": [(ContentType.objects.get_for_model(document).pk, document) for document in
                       (receipts.candidates(row)[:5] if row.state == MpesaReceipt.State.UNALLOCATED else [])],
        "can_allocate": user.has_perm("payments.add_allocation"),
        "can_refund": user.has_perm("payments.refund_mpesareceipt"),
        "can_reverse": user.has_perm("payments.reverse_allocation")})


def _document_from(request, row):
    """The document the form names: a suggestion (content type + id) or a typed reference."""
    if request.POST.get("document_type"):
        content_type = get_object_or_404(ContentType, pk=request.POST["document_type"])
        if f"{content_type.app_label}.{content_type.model}" not in {p.model.lower() for p in registry.payables()}:
            raise ValidationError("That is not something customers pay.")
        document = content_type.get_object_for_this_type(pk=request.POST.get("document_id"))
    else:
        document = receipts.find_document(row.business, request.POST.get("reference", ""))
    if document is None:
        raise ValidationError("No open document has that number in this business. Type the receipt or ticket "
                              "number as printed, e.g. W-000123.")
    return document


@require_POST
def allocate(request, pk):
    row = get_object_or_404(MpesaReceipt, pk=pk)
    action = request.POST.get("action")
    permission = {"document": "payments.add_allocation", "credit": "payments.add_allocation",
                  "not_ours": "payments.refund_mpesareceipt",
                  "never_arrived": "payments.refund_mpesareceipt"}.get(action)
    if permission is None:
        raise Http404("No such action")
    scoped_or_403(request, row, permission)
    try:
        if action == "document":
            document = _document_from(request, row)
            services.allocate_to_document(row, document, user=request.user)
            messages.success(request, f"{row} allocated to {document.payable_reference}.")
        elif action == "credit":
            services.allocate_to_credit(row, request.POST.get("phone", ""), user=request.user)
            messages.success(request, f"{row} kept as the customer's credit.")
        elif action == "not_ours":
            services.mark_not_ours(row, request.POST.get("reason", ""), user=request.user)
            messages.success(request, f"{row} marked not ours.")
        else:
            services.mark_never_arrived(row, request.POST.get("reason", ""), user=request.user)
            messages.success(request, f"{row} marked as never arrived; the document is due again.")
    except (ValidationError, ObjectDoesNotExist) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else "No such document.")
    return redirect("admin:payments:receipt", row.pk)


@require_POST
def reverse_allocation(request, pk):
    allocation = get_object_or_404(Allocation, pk=pk)
    scoped_or_403(request, allocation, "payments.reverse_allocation")
    try:
        services.reverse_allocation(allocation, request.POST.get("reason", ""), user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Allocation reversed: the receipt is back in the inbox.")
    return redirect("admin:payments:receipt", allocation.receipt_id)


admin_urlpatterns = [
    path("payments/invoice/<int:invoice_id>/mpesa/", request_mpesa, name="request_mpesa"),
    path("payments/stk/<int:pk>/", stk_wait, name="stk_wait"),
    path("payments/stk/<int:pk>/status/", stk_status, name="stk_status"),
    path("payments/stk/<int:pk>/retry/", stk_retry, name="stk_retry"),
    path("payments/stk/<int:pk>/cash/", stk_take_cash, name="stk_take_cash"),
    path("payments/typed/<int:content_type_id>/<str:object_id>/", typed_code, name="typed_code"),
    path("payments/inbox/", inbox, name="inbox"),
    path("payments/inbox/<int:pk>/", receipt_page, name="receipt"),
    path("payments/inbox/<int:pk>/allocate/", allocate, name="allocate"),
    path("payments/allocations/<int:pk>/reverse/", reverse_allocation, name="reverse_allocation"),
]

