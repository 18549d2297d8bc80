"""The phone-first LPG exchange, its receipt, customers' deposit cylinders and the supplier restock
(admin pages mounted by Module.admin_urls under /admin/shop/lpg/, names admin:shop:…)."""

import json
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.views.decorators.http import require_POST
from django.utils.translation import gettext, gettext_lazy

from modules.core.businesses.admin_kit import admin_page, scoped_or_403
from modules.core.businesses.models import Business
from modules.core.inventory.models import Location
from modules.core.payments import services as payments
from modules.core.purchasing.models import PurchaseOrder

from . import services
from .models import CylinderType, LpgSale, Size

POLL_SECONDS = 2.5


def _business(request) -> Business:
    """The shop, if this user may see it; 403 otherwise."""
    return scoped_or_403(request, Business, code=services.BUSINESS_CODE)


def _sizes(business):
    """Types grouped by size, with stock on hand, for the big buttons."""
    stock = services.cylinder_stock(business)
    groups = []
    for size in Size:
        rows = [row for row in stock if row["type"].size_kg == size.value]
        if rows:
            groups.append({"size": size, "rows": rows, "swap_fee": services.swap_fee(business, size.value)})
    return groups


@admin_page(gettext_lazy("LPG exchange"), permission="shop.add_lpgsale", template="shop/lpg_exchange.html")
def exchange(request):
    """Pick size + brand, then refill / swap / cylinder + gas / deposit / return, then Cash or M-Pesa.
    The form carries a UUID made when the page was drawn: tapping Pay twice records one receipt."""
    business = _business(request)
    error, data = None, request.POST if request.method == "POST" else request.GET  # a tile or a website request
    if request.method == "POST":
        try:
            types = {str(t.pk): t for t in services.cylinder_types(business)}
            sale, _ = services.record_lpg(
                business=business, client_uuid=data.get("uuid"), kind=data.get("kind", ""),
                cylinder_type=types.get(data.get("type", "")), empty_type=types.get(data.get("empty_type", "")),
                quantity=data.get("quantity") or 1, method=data.get("method", "cash"),
                customer_phone=data.get("phone", ""), user=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
            if isinstance(exc, services.LpgConflict):  # a new ID: what the form now holds is another sale
                data = {**data.dict(), "uuid": str(uuid.uuid4())}
        else:
            if sale.payment_method == LpgSale.Method.MPESA and sale.sale_id:
                try:
                    payments.ask_mpesa(sale.sale, sale.customer_phone, user=request.user)  # a replay never asks twice
                except ValidationError as exc:  # the phone is busy with another request
                    messages.warning(request, " ".join(exc.messages))
            return redirect("admin:shop:lpg_receipt", sale.pk)
    groups = _sizes(business)
    prices = {str(row["type"].pk): {"refill": str(row["type"].refill_price), "outright": str(row["type"].outright_price),
                                    "deposit": str(row["type"].deposit), "size": row["type"].size_kg,
                                    "swap": str(group["swap_fee"])}
              for group in groups for row in group["rows"]}
    return {
        "groups": groups, "kinds": LpgSale.Kind.choices, "error": error,
        "uuid": data.get("uuid") or str(uuid.uuid4()), "data": data, "prices_json": json.dumps(prices),
        "recent": LpgSale.objects.filter(business=business).select_related("cylinder_type", "sale")[:5]}


def _scoped_sale(request, pk, *permissions) -> LpgSale:
    return scoped_or_403(request, LpgSale.objects.select_related("business", "cylinder_type", "empty_type", "sale"),
                         *permissions, pk=pk)


@admin_page(permission="shop.view_lpgsale", template="shop/lpg_receipt.html")
def receipt(request, pk):
    sale = _scoped_sale(request, pk)
    stk = payments.stk_requests_for(sale.sale).first() if sale.sale_id else None
    stock = {row["type"].pk: row for row in services.cylinder_stock(sale.business)}
    return {
        "title": gettext("LPG receipt %(number)s") % {"number": sale.receipt_number}, "sale": sale, "stk": stk, "poll_seconds": POLL_SECONDS,
        "paid": payments.amount_paid(sale.sale) if sale.sale_id else 0,
        "due": payments.amount_due(sale.sale) if sale.sale_id else 0,
        "stock": [stock[t.pk] for t in {sale.cylinder_type, sale.empty_type or sale.cylinder_type} if t.pk in stock]}


@require_POST
def take_cash(request, pk):
    sale = _scoped_sale(request, pk, "payments.add_payment")
    due = services.take_cash(sale, user=request.user)
    if due:
        messages.success(request, gettext("KES %(due)s taken in cash.") % {"due": f"{due:,}"})
    return redirect("admin:shop:lpg_receipt", sale.pk)


@admin_page(gettext_lazy("Deposit cylinders out"), permission="shop.view_lpgsale", template="shop/lpg_deposits.html")
def deposits(request):
    """Customers holding our cylinders on deposit, per type: how many and the deposit to refund."""
    business = _business(request)
    phone = request.GET.get("phone", "").strip()
    try:
        rows = services.deposit_balances(business, phone or None)
    except ValidationError as exc:
        rows = []
        messages.error(request, " ".join(exc.messages))
    return {"rows": rows, "phone": phone}


def _lpg_lines(po):
    full_items = dict(CylinderType.objects.filter(business=po.business).values_list("full_item_id", "pk"))
    return [(line, full_items.get(line.item_id)) for line in po.lines.select_related("item") if line.outstanding > 0]


@admin_page(gettext_lazy("LPG restock"), permission="purchasing.add_goodsreceipt", template="shop/lpg_restock_list.html")
def restock_list(request):
    business = _business(request)
    orders = (PurchaseOrder.objects.filter(business=business, status__in=[PurchaseOrder.Status.SENT,
                                                                          PurchaseOrder.Status.PARTLY_RECEIVED])
              .select_related("supplier").order_by("-created_at"))
    return {"orders": orders, "stock": services.cylinder_stock(business)}


@admin_page(permission="purchasing.add_goodsreceipt", template="shop/lpg_restock.html")
def restock(request, po_id):
    """Receive fulls on a sent order and hand the supplier our empties, in one posting."""
    business = _business(request)
    po = get_object_or_404(PurchaseOrder.objects.select_related("supplier"), pk=po_id, business=business)
    lines = _lpg_lines(po)
    if request.method == "POST":
        quantities = {line.pk: request.POST.get(f"line-{line.pk}", "") for line, _ in lines}
        empties = {line.pk: request.POST.get(f"empty-{line.pk}", "") or 0 for line, type_id in lines if type_id}
        try:
            location = Location.objects.filter(business=business, is_default=True).first()
            receipt_ = services.restock_exchange(po, quantities, location, empties=empties, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Received KES {receipt_.total:,} of gas on {po}; empties handed back.")
            return redirect("admin:shop:lpg_restock_list")
    rows = [{"line": line, "is_lpg": bool(type_id),
             "received": request.POST.get(f"line-{line.pk}", f"{line.outstanding.normalize():f}"),
             "empties": request.POST.get(f"empty-{line.pk}", f"{line.outstanding.normalize():f}" if type_id else "")}
            for line, type_id in lines]
    return {"title": f"Restock {po} from {po.supplier.name}", "po": po, "rows": rows}


admin_urlpatterns = [
    path("shop/lpg/", exchange, name="lpg"),
    path("shop/lpg/receipt/<int:pk>/", receipt, name="lpg_receipt"),
    path("shop/lpg/receipt/<int:pk>/cash/", take_cash, name="lpg_cash"),
    path("shop/lpg/deposits/", deposits, name="lpg_deposits"),
    path("shop/lpg/restock/", restock_list, name="lpg_restock_list"),
    path("shop/lpg/restock/<int:po_id>/", restock, name="lpg_restock"),
]
