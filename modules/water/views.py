"""Water's phone pages under /admin/water/: a batch (start, post), bottles (deposit, refund) and a
delivery (send out, delivered and paid, failed). Each checks the permission and the business."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path

from modules.core.businesses.models import Business
from modules.core.businesses.services import can_see_business
from modules.core.inventory.services import default_location
from modules.core.ledger.services import LedgerError
from modules.core.payments import services as payments

from . import services
from .models import BottleMovement, DeliveryOrder, ProductionBatch


def _allow(request, permission, business_code=services.BUSINESS_CODE):
    if not (request.user.has_perm(permission) and can_see_business(request.user, business_code)):
        raise PermissionDenied


def _scoped(request, model, pk, permission):
    obj = get_object_or_404(model.objects.select_related("business"), pk=pk)
    _allow(request, permission, obj.business.code)
    return obj


def _render(request, template, context):
    return TemplateResponse(request, template, {**admin.site.each_context(request), **context})


def _errors(request, error):
    if isinstance(error, ValidationError):
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.error(request, str(error))


# --- production batch --------------------------------------------------------------------------

def batch_view(request, pk):
    batch = _scoped(request, ProductionBatch, pk, "water.view_productionbatch")
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "start":
                _allow(request, "water.change_productionbatch", batch.business.code)
                services.start_batch(batch, request.user)
                messages.success(request, f"{batch} started.")
            elif action == "post":
                _allow(request, "water.post_productionbatch", batch.business.code)
                batch = services.post_batch(batch, produced=request.POST.get("produced", ""),
                                            rejects=request.POST.get("rejects") or 0, user=request.user)
                messages.success(request, f"{batch} posted: {batch.quantity_produced.normalize():f} made at "
                                          f"KES {batch.unit_cost or 0:.2f} each.")
        except (ValidationError, LedgerError) as error:
            _errors(request, error)
        else:
            return redirect("admin:water:batch", batch.pk)
        batch.refresh_from_db()
    location = batch.location or default_location(batch.business)
    quantity = batch.planned_quantity
    if batch.status == ProductionBatch.Status.POSTED:
        quantity = batch.quantity_produced + batch.rejects
    rows = services.requirements(batch.recipe, quantity, location)
    return _render(request, "water/batch.html", {
        "title": str(batch), "batch": batch, "rows": rows, "location": location,
        "short": [] if batch.status == ProductionBatch.Status.POSTED else services.shortages(
            batch.recipe, batch.planned_quantity, location),
        "can_start": request.user.has_perm("water.change_productionbatch"),
        "can_post": request.user.has_perm("water.post_productionbatch"),
        "total_cost": sum(row["cost"] for row in rows)})


# --- bottles -----------------------------------------------------------------------------------

def bottles_view(request):
    _allow(request, "water.view_bottlemovement")
    business = Business.objects.get(code=services.BUSINESS_CODE)
    phone = (request.POST.get("phone") or request.GET.get("phone") or "").strip()
    if request.method == "POST":
        _allow(request, "water.add_bottlemovement")
        action = request.POST.get("action")
        try:
            if action == "deposit":
                method = request.POST.get("method", "cash")
                movement = services.take_deposit(business, phone, request.POST.get("bottles") or 0, method=method,
                                                 per_bottle=request.POST.get("per_bottle") or services.DEPOSIT_PER_BOTTLE,
                                                 name=request.POST.get("name", ""), user=request.user)
                if method == "mpesa":
                    stk = payments.ask_mpesa(movement, movement.customer_phone, user=request.user)
                    return redirect("admin:payments:stk_wait", stk.pk)
                messages.success(request, f"{movement}: KES {movement.amount:,} deposit taken in cash.")
            elif action == "refund":
                movement = services.refund_deposit(business, phone, request.POST.get("bottles") or 0,
                                                   user=request.user)
                messages.success(request, f"{movement}: refund KES {movement.amount:,} in cash.")
            return redirect(f"{request.path}?phone={movement.customer_phone}")
        except (ValidationError, LedgerError, ValueError) as error:
            _errors(request, error)
    balance = None
    history = []
    if phone:
        try:
            balance = services.bottle_balance(business, phone)
        except ValidationError:
            pass
        else:
            history = BottleMovement.objects.filter(business=business, customer_phone=balance["phone"])[:20]
    return _render(request, "water/bottles.html", {
        "title": "Bottles and deposits", "phone": phone, "balance": balance, "history": history,
        "customers": services.bottle_balances(business, phone_contains=phone if phone.isdigit() else ""),
        "per_bottle": services.DEPOSIT_PER_BOTTLE, "can_add": request.user.has_perm("water.add_bottlemovement"),
        "bottles_out": services.bottles_out(business)})


# --- deliveries --------------------------------------------------------------------------------

def delivery_view(request, pk):
    order = _scoped(request, DeliveryOrder, pk, "water.view_deliveryorder")
    if request.method == "POST":
        _allow(request, "water.change_deliveryorder", order.business.code)
        action = request.POST.get("action")
        try:
            if action == "dispatch":
                services.dispatch(order, driver=request.POST.get("driver", ""), user=request.user)
                messages.success(request, f"{order} is out for delivery.")
            elif action in ("cash", "mpesa"):
                _allow(request, "sales.add_sale", order.business.code)
                order = services.deliver(order, method=action, user=request.user)
                stk = payments.ask_mpesa(order.sale, order.customer_phone, user=request.user) \
                    if action == "mpesa" else None
                if stk is not None:
                    return redirect("admin:payments:stk_wait", stk.pk)
                messages.success(request, f"{order} delivered: receipt {order.sale.receipt_number}, "
                                          f"KES {order.sale.total:,} in cash.")
            elif action == "fail":
                services.fail(order, reason=request.POST.get("reason", ""), user=request.user)
                messages.warning(request, f"{order} marked failed.")
        except (ValidationError, LedgerError) as error:
            _errors(request, error)
        else:
            return redirect("admin:water:delivery", order.pk)
        order.refresh_from_db()
    return _render(request, "water/delivery.html", {
        "title": str(order), "order": order, "lines": order.lines.select_related("item"),
        "can_change": request.user.has_perm("water.change_deliveryorder"),
        "open": order.status in (DeliveryOrder.Status.PENDING, DeliveryOrder.Status.OUT),
        "due": payments.amount_due(order.sale) if order.sale_id else None})


admin_urlpatterns = [
    path("water/batches/<int:pk>/run/", batch_view, name="batch"),
    path("water/bottles/", bottles_view, name="bottles"),
    path("water/deliveries/<int:pk>/run/", delivery_view, name="delivery"),
]
