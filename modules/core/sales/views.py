"""The one-handed quick sale, its JSON submit endpoint and the receipt."""

import json
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from modules.core.businesses.admin_kit import admin_page, render_page, scoped_or_403
from modules.core.businesses.services import businesses_for
from modules.core.notifications import services as notifications
from modules.core.payments import services as payments

from . import services
from .models import Sale

SESSION_KEY = "quick_sale_business"
OFFLINE_REFUSED = "sales.offline_refused"
RECEIPT_SALT = "sales.receipt"
TILL = "till"  # paid to the till from the customer's own phone: the M-Pesa code typed in, matched later


def _sell_businesses(request):
    if not request.user.has_perm("sales.add_sale"):
        raise PermissionDenied
    return businesses_for(request.user)


@admin_page("Quick sale", permission="sales.add_sale", template="sales/quick_sale.html")
def quick_sale(request):
    """Pick the business once (remembered), then tap items, then Cash or M-Pesa."""
    businesses = list(businesses_for(request.user))
    wanted = request.GET["business"] if "business" in request.GET else request.session.get(SESSION_KEY)
    business = next((b for b in businesses if b.code == wanted), businesses[0] if len(businesses) == 1 else None)
    if business is not None:
        request.session[SESSION_KEY] = business.code
    items = [{"id": i.pk, "name": i.name, "price": str(i.selling_price), "unit": i.unit}
             for i in services.favourite_items(business)] if business else []
    config = {"items": items, "business": business.code if business else "", "csrf": get_token(request),
              "submitUrl": reverse("admin:sales:submit"),
              "renderedAt": timezone.localtime().strftime("%H:%M")}  # offline, "prices from 10:42"
    response = render_page(request, "sales/quick_sale.html", {
        "title": "Quick sale", "business": business, "businesses": businesses, "config_json": json.dumps(config),
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
    except ValidationError as error:
        return _json_error(" ".join(error.messages), 400)
    except (ValueError, KeyError, TypeError, InvalidOperation, AttributeError, OverflowError, RecursionError):
        return _json_error("The sale could not be read; reload the page and try again.", 400)
    except businesses.model.DoesNotExist:
        return _json_error("You cannot sell for that business.", 403)
    method = data.get("method", "cash")
    try:
        with transaction.atomic():  # a till code refused takes its sale back with it
            sale, created = services.create_sale(
                business=business, client_uuid=data.get("uuid"), lines=lines,
                method="mpesa" if method == TILL else method, discount=discount,
                customer_phone=data.get("phone", ""), cash_amount=cash, user=request.user)
            if created and method == TILL:
                payments.record_typed_code(sale, str(data.get("code") or ""), user=request.user)
    except ValidationError as error:  # a UUID used for another sale, or stock gone since the tap: 409
        conflict = isinstance(error, (services.SaleConflict, services.OutOfStock))
        return _refused(request, data, business, " ".join(error.messages), 409 if conflict else 400)
    next_url = reverse("admin:sales:receipt", args=[sale.pk])
    if sale.payment_method != "cash" and method != TILL:
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


def share_token(sale) -> str:
    return signing.dumps(sale.pk, salt=RECEIPT_SALT, compress=True)


def public_receipt(request, token):
    """The customer's copy: a signed link, no login, shareable on WhatsApp or SMS. It expires
    after ``RECEIPT_LINK_MAX_AGE`` (the shop shares a fresh one from the admin's receipt)."""
    try:
        pk = signing.loads(token, salt=RECEIPT_SALT, max_age=settings.RECEIPT_LINK_MAX_AGE)
    except signing.SignatureExpired:
        return HttpResponse("This receipt link has expired. Ask the shop to send it again.",
                            status=410, content_type="text/plain; charset=utf-8")
    except signing.BadSignature as error:
        raise Http404("No such receipt") from error
    sale = get_object_or_404(Sale.objects.select_related("business"), pk=pk)
    return TemplateResponse(request, "sales/public_receipt.html", {
        "sale": sale, "lines": sale.lines.select_related("item"), "paid": payments.amount_paid(sale)})


@admin_page(permission="sales.view_sale", template="sales/receipt.html")
def receipt(request, pk):
    sale = scoped_or_403(request, Sale.objects.select_related("business", "customer"), pk=pk)
    return {"title": f"Receipt {sale.receipt_number}", "sale": sale, "lines": sale.lines.select_related("item"),
            "paid": payments.amount_paid(sale), "due": payments.amount_due(sale),
            "typed_code_url": payments.typed_code_url(sale),
            "share_url": request.build_absolute_uri(reverse("sales:public_receipt", args=[share_token(sale)]))}


admin_urlpatterns = [
    path("sales/quick/", quick_sale, name="quick_sale"),
    path("sales/quick/submit/", submit, name="submit"),
    path("sales/receipt/<int:pk>/", receipt, name="receipt"),
]
