"""The one-handed quick sale, its JSON submit endpoint and the receipt."""

import csv
import json
from contextlib import nullcontext
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from modules.core.businesses.admin_kit import admin_page, render_page, scoped_or_403
from modules.core.businesses.models import Business
from modules.core.businesses.services import businesses_for
from modules.core.customers.models import Customer
from modules.core.exports import services as exports
from modules.core.exports.models import ExportJob
from modules.core.exports.streaming import csv_cell
from modules.core.ledger.services import LedgerError
from modules.core.notifications import services as notifications
from modules.core.payments import services as payments
from modules.core.registry.roles import business_codes_for
from modules.core.sms.services import enabled as sms_enabled

from . import accounts, fiscal, services, texts
from .models import Sale

SESSION_KEY = "quick_sale_business"
OFFLINE_REFUSED = "sales.offline_refused"
RECEIPT_SALT = "sales.receipt"
RECEIPT_REFRESH_SECONDS = 15  # a pending receipt on the customer's phone, as the admin's live poll
TILL = "till"  # paid to the till from the customer's own phone: the M-Pesa code typed in, matched later


def _sell_businesses(request):
    if not request.user.has_perm("sales.add_sale"):
        raise PermissionDenied
    return businesses_for(request.user)


@admin_page(gettext_lazy("Quick sale"), permission="sales.add_sale", template="sales/quick_sale.html")
def quick_sale(request):
    """Pick the business once (remembered), then tap items, then Cash or M-Pesa."""
    businesses = list(businesses_for(request.user))
    wanted = request.GET["business"] if "business" in request.GET else request.session.get(SESSION_KEY)
    business = next((b for b in businesses if b.code == wanted), businesses[0] if len(businesses) == 1 else None)
    if business is not None:
        request.session[SESSION_KEY] = business.code
    items = services.quick_sale_tiles(business) if business else []
    config = {"items": items, "business": business.code if business else "", "csrf": get_token(request),
              "submitUrl": reverse("admin:sales:submit"),
              "renderedAt": timezone.localtime().strftime("%H:%M")}  # offline, "prices from 10:42"
    # the tiles are rendered with the page (they paint before any script runs), priced as the page's money() shows them
    tiles = [{**item, "price_text": f"KES {Decimal(item['price'] or '0'):,.2f}"} for item in items]
    response = render_page(request, "sales/quick_sale.html", {
        "title": gettext("Quick sale"), "business": business, "businesses": businesses, "tiles": tiles,
        "config_json": json.dumps(config),
        "recent_phones": services.recent_customer_phones(business) if business else []})
    if business:  # the service worker keeps this page (items and prices) for selling offline
        response["X-BS-Business"] = business.code
    return response


def _item_id(value) -> int:
    """An item's id as the page sends it: a whole number in the database's range."""
    number = int(str(value))
    if not 0 < number < 2**63:
        raise ValueError("not an item id")
    return number


def _json_error(message, status):
    return JsonResponse({"error": message}, status=status)


@require_POST
def submit(request):
    """JSON in, JSON out. Same UUID again: the same receipt (200); different contents: 409.
    ``method``: cash, mpesa (an STK prompt to ``phone``), split (``cash`` now, the rest by M-Pesa) or
    till (the customer paid the till themselves; ``code`` is the M-Pesa code from their SMS, booked as
    paid and matched when M-Pesa confirms it, as a code typed on a receipt is)."""
    businesses = _sell_businesses(request)
    try:
        data = json.loads(request.body, parse_float=Decimal, parse_constant=Decimal)
        business = businesses.get(code=data["business"])
        lines = [services.SaleLineInput(_item_id(line["item"]), services.quantity(line["quantity"]))
                 for line in data["lines"]]
        discount = Decimal(str(data.get("discount") or "0"))
        cash = Decimal(str(data["cash"])) if data.get("cash") not in (None, "") else None
        if not (discount.is_finite() and discount >= 0 and (cash is None or (cash.is_finite() and cash >= 0))):
            raise ValueError("negative or infinite amount")
        discount = services.amount(discount, "discount")
        cash = services.amount(cash, "cash part") if cash is not None else None
        # a business customer's KRA PIN: checked with KRA; KRA down never blocks the sale
        buyer = fiscal.check_buyer(str(data["buyer_pin"])) if data.get("buyer_pin") else None
    except ValidationError as error:
        return _json_error(" ".join(error.messages), 400)
    except (ValueError, KeyError, TypeError, InvalidOperation, AttributeError, OverflowError, RecursionError):
        return _json_error("The sale could not be read; reload the page and try again.", 400)
    except businesses.model.DoesNotExist:
        return _json_error("You cannot sell for that business.", 403)
    method = data.get("method", "cash")
    try:
        # a till code refused takes its sale back with it; any other sale is create_sale's own
        # transaction (an outer one would only add a savepoint's two round trips)
        with transaction.atomic() if method == TILL else nullcontext():
            sale, created = services.create_sale(
                business=business, client_uuid=data.get("uuid"), lines=lines,
                method="mpesa" if method == TILL else method, discount=discount,
                customer_phone=data.get("phone", ""), cash_amount=cash, user=request.user, buyer=buyer)
            if created and method == TILL:
                payments.record_typed_code(sale, str(data.get("code") or ""), user=request.user)
    except ValidationError as error:  # a UUID used for another sale, or stock gone since the tap: 409
        conflict = isinstance(error, (services.SaleConflict, services.OutOfStock))
        return _refused(request, data, business, " ".join(error.messages), 409 if conflict else 400)
    next_url = reverse("admin:sales:receipt", args=[sale.pk])
    if buyer is not None and not buyer.checked:
        messages.warning(request, f"KRA could not be asked about the PIN {buyer.pin} just now: the sale is "
                                  "recorded with it, not verified.")
    if sale.payment_method in ("mpesa", "split") and method != TILL:  # on credit ("deni") the customer pays later
        try:
            stk = payments.ask_mpesa(sale, data.get("phone", ""), user=request.user)  # a replay never asks twice
        except ValidationError as error:  # the phone is busy with another request: the receipt shows what is due
            messages.warning(request, " ".join(error.messages))
        else:
            if stk is not None:
                next_url = reverse("admin:payments:stk_wait", args=[stk.pk])
    return JsonResponse({"sale": sale.pk, "receipt": sale.receipt_number, "created": created, "next": next_url},
                        status=201 if created else 200)


def _refused(request, data, business, message, status):
    """A refusal; a sale made offline and refused when the phone sent it (out of stock, item
    retired) is also told to the owner: the seller already took the money."""
    if data.get("offline"):
        notifications.send(
            OFFLINE_REFUSED, business=business, throttle_key=f"offline-sale:{data.get('uuid')}", throttle=24 * 3600,
            link=reverse("admin:sales_sale_changelist"),
            message=f"{business.name}: a sale {request.user.get_username()} made offline was refused "
                    f"when sent: {message}")
    return _json_error(message, status)


def share_token(sale, issue: int | None = None) -> str:
    """The customer's link; ``issue`` is which print or share of the signed receipt it is (1: the
    original, more: a COPY; see fiscal.py)."""
    return signing.dumps(sale.pk if issue is None else {"sale": sale.pk, "issue": issue},
                         salt=RECEIPT_SALT, compress=True)


def public_receipt(request, token):
    """The customer's copy: a signed link, no login, shareable on WhatsApp or SMS. It expires
    after ``RECEIPT_LINK_MAX_AGE`` (the shop shares a fresh one from the admin's receipt)."""
    try:
        found = signing.loads(token, salt=RECEIPT_SALT, max_age=settings.RECEIPT_LINK_MAX_AGE)
    except signing.SignatureExpired:
        return HttpResponse("This receipt link has expired. Ask the shop to send it again.",
                            status=410, content_type="text/plain; charset=utf-8")
    except signing.BadSignature as error:
        raise Http404("No such receipt") from error
    pk, issue = (found["sale"], found["issue"]) if isinstance(found, dict) else (found, None)
    sale = get_object_or_404(Sale.objects.select_related("business", "customer"), pk=pk)
    block = fiscal.block(sale, issue=issue)
    return TemplateResponse(request, "sales/public_receipt.html", {
        "customer_language": getattr(sale.customer, "language", "") or settings.LANGUAGE_CODE,  # theirs
        "sale": sale, "lines": sale.lines.select_related("item"), "paid": payments.amount_paid(sale),
        "vat_bands": services.vat_by_band(sale), "fiscal": block, "fiscal_template": fiscal.template(),
        "print": request.GET.get("print") == "1",
        # a pending receipt looks again by itself (no script) and becomes the signed one
        "refresh_seconds": RECEIPT_REFRESH_SECONDS if block and block.state == "pending" else None})


def public_statement(request, token):
    """The customer's own statement with one business (the statement text's link): signed, no login,
    expires after ``STATEMENT_LINK_MAX_AGE``. It shows that customer's dealings with that business
    only: the balance from the ledger, what is still due and the last three months' lines."""
    try:
        customer_id, business_id = texts.read_statement_token(token, settings.STATEMENT_LINK_MAX_AGE)
    except signing.SignatureExpired:
        return HttpResponse("This statement link has expired. Ask the shop to send it again.",
                            status=410, content_type="text/plain; charset=utf-8")
    except signing.BadSignature as error:
        raise Http404("No such statement") from error
    customer = get_object_or_404(Customer, pk=customer_id)
    business = get_object_or_404(Business, pk=business_id)
    figures = accounts.subledgers(customer, business).get(business.pk, {})
    start = timezone.localdate() - STATEMENT_DAYS
    response = TemplateResponse(request, "sales/public_statement.html", {
        "customer": customer, "business": business, "balance": figures.get("balance", Decimal("0")),
        "open": accounts.open_sales(customer, business),
        "account": accounts.statement(customer, start=start, business=business), "start": start})
    response["Cache-Control"], response["Referrer-Policy"] = "private, no-store", "no-referrer"
    return response


@admin_page(permission="sales.view_sale", template="sales/receipt.html")
def receipt(request, pk):
    sale = scoped_or_403(request, Sale.objects.select_related("business", "customer"), pk=pk)
    due = payments.amount_due(sale)
    credit = accounts.credit_available(sale.customer, sale.business) if due and sale.customer_id else 0
    return {"title": f"Receipt {sale.receipt_number}", "sale": sale, "lines": sale.lines.select_related("item"),
            "credit": credit, "can_use_credit": credit > 0 and request.user.has_perm("payments.add_payment"),
            "paid": payments.amount_paid(sale), "due": due, "vat_bands": services.vat_by_band(sale),
            "typed_code_url": payments.typed_code_url(sale), "fiscal": fiscal.block(sale),
            "fiscal_template": fiscal.template(), "refresh_url": reverse("admin:sales:receipt_fiscal", args=[sale.pk])}


def receipt_fiscal(request, pk):
    """The receipt's fiscal part alone: the live poll swaps it in when the authority signs a pending sale."""
    sale = scoped_or_403(request, Sale.objects.select_related("business"), "sales.view_sale", pk=pk)
    block = fiscal.block(sale)
    if block is None:
        raise Http404("This sale was not declared to the tax authority")
    return TemplateResponse(request, fiscal.template(), {
        "block": block, "refresh_url": reverse("admin:sales:receipt_fiscal", args=[sale.pk])})


@require_POST
def issue_receipt(request, pk):
    """Print or share (``how``): the customer's page for this issue of the receipt (the first of
    the signed receipt is the original, later ones say COPY; before KRA signs, a provisional slip)."""
    sale = scoped_or_403(request, Sale.objects.select_related("business"), "sales.view_sale", pk=pk)
    number = fiscal.issue(sale)
    url = request.build_absolute_uri(reverse("sales:public_receipt", args=[share_token(sale, number)]))
    if request.POST.get("how") == "print":
        return redirect(f"{url}?print=1")
    if request.headers.get("Accept", "").startswith("application/json"):  # the phone's own share sheet
        return JsonResponse({"url": url, "issue": number})
    return redirect(f"https://wa.me/?{urlencode({'text': url})}")


# --- customer accounts ----------------------------------------------------------------------------

def _customer(request, pk, permission="customers.view_customer"):
    """A customer this user may see (staff: one of their businesses' customers); else 403."""
    customer = get_object_or_404(Customer.objects.prefetch_related("phones"), pk=pk)
    if not request.user.has_perm(permission):
        raise PermissionDenied
    mine = list(businesses_for(request.user))
    if business_codes_for(request.user) is not None and not customer.businesses.filter(
            pk__in=[b.pk for b in mine]).exists():
        raise PermissionDenied
    return customer, mine


STATEMENT_DAYS = timedelta(days=90)


def statement(request, pk):
    """The customer's account on a phone: what they owe or hold as credit with each business, every
    sale, payment, void and refund with a dated running balance, a CSV of the same lines; take a
    payment against the balance (cash, M-Pesa, bank); refund credit (the owner)."""
    customer, mine = _customer(request, pk)
    chosen = request.GET.get("business") or request.POST.get("business") or ""
    business = next((b for b in mine if b.code == chosen), None)
    if chosen and business is None:
        raise PermissionDenied
    # the owner and the accountant see every business's lines; staff only their own business's
    scope = business or (None if business_codes_for(request.user) is None else mine[0])
    try:
        start = date.fromisoformat(request.GET["start"]) if request.GET.get("start") else None
        end = date.fromisoformat(request.GET["end"]) if request.GET.get("end") else None
    except ValueError:
        start = end = None
        messages.error(request, "Dates are written YYYY-MM-DD; showing the whole account.")
    if "start" not in request.GET:
        # on a phone, the last three months with all before as the opening balance; an empty
        # "From" shows (and downloads) the whole account
        start = timezone.localdate() - STATEMENT_DAYS
    if request.method == "POST":
        return _statement_action(request, customer, scope or business, mine)
    account = accounts.statement(customer, start=start, end=end, business=scope)
    if request.GET.get("format") == "csv":
        return _statement_csv(request, customer, account)
    figures = accounts.subledgers(customer, scope)
    dealings = set(customer.businesses.values_list("pk", flat=True)) | set(figures)
    empty = {"owed": Decimal("0"), "credit": Decimal("0"), "balance": Decimal("0")}
    balances = [(b, figures.get(b.pk, empty)) for b in (mine if scope is None else [scope]) if b.pk in dealings]
    return render_page(request, "sales/statement.html", {
        "title": f"Statement: {customer}", "customer": customer,
        "account": account, "balances": balances, "business": scope, "businesses": mine,
        "start": start, "end": end, "owed_total": sum((b["owed"] for _, b in balances), Decimal("0")),
        "can_take": request.user.has_perm("payments.add_payment"),
        "can_mpesa": request.user.has_perm("payments.add_stkrequest"),
        "can_refund": request.user.has_perm("sales.add_creditrefund"),
        "can_remind": request.user.has_perm("sms.add_smsmessage") and sms_enabled(),
        "csv_url": "?" + urlencode({k: v for k, v in request.GET.items() if k != "format"}
                                   | {"start": start.isoformat() if start else "", "format": "csv"})})


def _statement_action(request, customer, business, mine):
    """Take a payment against the balance, refund credit, or text the customer the balance
    due (the owner: ``sms.add_smsmessage``); always back to the statement."""
    back = redirect(f"{reverse('admin:sales:statement', args=[customer.pk])}?business={business.code if business else ''}")
    if business is None:
        messages.error(request, "Choose the business first.")
        return back
    action, method = request.POST.get("action"), request.POST.get("method", "cash")
    try:
        if action == "remind":
            if not request.user.has_perm("sms.add_smsmessage"):
                raise PermissionDenied
            message, fresh = texts.remind(customer, business)
            if message.status == "skipped":
                messages.warning(request, f"{customer} asked for no SMS: nothing was sent.")
            elif fresh:
                messages.success(request, f"Balance texted to {message.phone}.")
            else:
                messages.info(request, f"{customer} was already reminded today ({message.get_status_display()}).")
            return back
        amount = services.amount(request.POST.get("amount", ""), "amount")
        if action == "pay" and method == "mpesa":
            if not request.user.has_perm("payments.add_stkrequest"):
                raise PermissionDenied
            oldest = accounts.open_sales(customer, business).first()
            if oldest is None:
                raise ValidationError(f"{customer} owes {business.name} nothing.")
            stk = payments.ask_mpesa(oldest, request.POST.get("phone") or customer.primary_phone,
                                     amount=min(amount, oldest.due), user=request.user)
            if stk is None:
                raise ValidationError("Nothing is due to ask M-Pesa for.")
            return redirect("admin:payments:stk_wait", stk.pk)
        if action == "pay":
            if not request.user.has_perm("payments.add_payment"):
                raise PermissionDenied
            accounts.receive(customer, business, amount=amount, method=method, user=request.user)
            messages.success(request, f"KES {amount:,} received from {customer}.")
        elif action == "refund":
            if not request.user.has_perm("sales.add_creditrefund"):
                raise PermissionDenied
            refund = accounts.refund_credit(customer, business, amount=amount, method=method, user=request.user)
            messages.success(request, f"{refund.reference}: KES {amount:,} of credit refunded.")
        else:
            messages.error(request, "Nothing to do.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except LedgerError as error:
        messages.error(request, str(error))
    return back


def _statement_csv(request, customer, account):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statement_{customer.pk}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["Date", "Business", "Reference", "What", "Debit (KES)", "Credit (KES)", "Balance (KES)"])
    writer.writerow([csv_cell(account["lines"][0].day.isoformat() if account["lines"] else ""), "", "",
                     "Opening balance", "", "", account["opening"]])
    for line in account["lines"]:
        writer.writerow([line.day.isoformat(), csv_cell(line.business), csv_cell(line.reference), csv_cell(line.what),
                         line.debit or "", line.credit or "", line.balance])
    exports.record(request.user, kind="sales.statement", label=f"Statement: {customer}", file_format="csv",
                   filters={"customer": customer.pk}, mode=ExportJob.Mode.INLINE, rows=len(account["lines"]))
    return response


@require_POST
def use_credit(request, pk):
    """On a receipt with something still due: spend the customer's credit with the business on it."""
    sale = get_object_or_404(Sale.objects.select_related("business", "customer"), pk=pk)
    if not (request.user.has_perm("payments.add_payment")
            and businesses_for(request.user).filter(pk=sale.business_id).exists()):
        raise PermissionDenied
    try:
        with transaction.atomic():
            payment = accounts.apply_credit(sale, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"KES {payment.amount:,} of {sale.customer}'s credit used.")
    return redirect("admin:sales:receipt", sale.pk)


admin_urlpatterns = [
    path("sales/quick/", quick_sale, name="quick_sale"),
    path("sales/quick/submit/", submit, name="submit"),
    path("sales/receipt/<int:pk>/", receipt, name="receipt"),
    path("sales/receipt/<int:pk>/credit/", use_credit, name="use_credit"),
    path("sales/receipt/<int:pk>/fiscal/", receipt_fiscal, name="receipt_fiscal"),
    path("sales/receipt/<int:pk>/issue/", issue_receipt, name="issue_receipt"),
    path("sales/customers/<int:pk>/statement/", statement, name="statement"),
]
