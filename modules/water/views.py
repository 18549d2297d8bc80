"""Water's phone pages under /admin/water/: a batch (start, post), bottles (deposit, refund) and a
delivery (send out, delivered and paid, failed). Each checks the permission and the business."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from modules.core.businesses.admin_kit import admin_page, scoped_or_403
from modules.core.businesses.models import Business
from modules.core.inventory.services import default_location
from modules.core.payments import services as payments

from . import services
from .models import BottleMovement, DeliveryOrder, ProductionBatch


def _scoped(request, model, pk):
    return scoped_or_403(request, model.objects.select_related("business"), pk=pk)


def _errors(request, error):
    for message in error.messages:
        messages.error(request, message)


# --- production batch --------------------------------------------------------------------------

@admin_page(permission="water.view_productionbatch", template="water/batch.html")
def batch_view(request, pk):
    batch = _scoped(request, ProductionBatch, pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "start":
                scoped_or_403(request, batch, "water.change_productionbatch")
                services.start_batch(batch, request.user)
                messages.success(request, _("%(batch)s started.") % {"batch": batch.title()})
            elif action == "post":
                scoped_or_403(request, batch, "water.post_productionbatch")
                batch = services.post_batch(batch, produced=request.POST.get("produced", ""),
                                            rejects=request.POST.get("rejects") or 0, user=request.user)
                messages.success(request, _("%(batch)s posted: %(made)s made at KES %(cost)s each.") % {
                    "batch": batch.title(), "made": f"{batch.quantity_produced.normalize():f}",
                    "cost": f"{batch.unit_cost or 0:.2f}"})
        except ValidationError as error:
            _errors(request, error)
        else:
            return redirect("admin:water:batch", batch.pk)
        batch.refresh_from_db()
    location = batch.location or default_location(batch.business)
    quantity = batch.planned_quantity
    if batch.status == ProductionBatch.Status.POSTED:
        quantity = batch.quantity_produced + batch.rejects
    rows = services.requirements(batch.recipe, quantity, location)
    return {
        "title": batch.title(), "batch": batch, "rows": rows, "location": location,
        "short": [] if batch.status == ProductionBatch.Status.POSTED else services.shortages(
            batch.recipe, batch.planned_quantity, location),
        "can_start": request.user.has_perm("water.change_productionbatch"),
        "can_post": request.user.has_perm("water.post_productionbatch"),
        "total_cost": sum(row["cost"] for row in rows)}


# --- bottles -----------------------------------------------------------------------------------

@admin_page(gettext_lazy("Bottles and deposits"), permission="water.view_bottlemovement", template="water/bottles.html")
def bottles_view(request):
    business = scoped_or_403(request, Business, code=services.BUSINESS_CODE)
    phone = (request.POST.get("phone") or request.GET.get("phone") or "").strip()
    if request.method == "POST":
        scoped_or_403(request, business, "water.add_bottlemovement")
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
        except ValidationError as error:
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
    return {
        "phone": phone, "balance": balance, "history": history,
        "customers": services.bottle_balances(business, phone_contains=phone if phone.isdigit() else ""),
        "per_bottle": services.DEPOSIT_PER_BOTTLE, "can_add": request.user.has_perm("water.add_bottlemovement"),
        "bottles_out": services.bottles_out(business)}


# --- deliveries --------------------------------------------------------------------------------

@admin_page(permission="water.view_deliveryorder", template="water/delivery.html")
def delivery_view(request, pk):
    order = _scoped(request, DeliveryOrder, pk)
    if request.method == "POST":
        scoped_or_403(request, order, "water.change_deliveryorder")
        action = request.POST.get("action")
        try:
            if action == "dispatch":
                services.dispatch(order, driver=request.POST.get("driver", ""), user=request.user)
                messages.success(request, _("%(order)s is out for delivery.") % {"order": order.title()})
            elif action in services.DELIVERY_METHODS:
                scoped_or_403(request, order, "sales.add_sale")
                order = services.deliver(order, method=action, user=request.user)
                stk = payments.ask_mpesa(order.sale, order.customer_phone, user=request.user) \
                    if action == "mpesa" else None
                if stk is not None:
                    return redirect("admin:payments:stk_wait", stk.pk)
                paid = _("in cash") if action == "cash" else _("on the customer's account (deni)")
                messages.success(request, _("%(order)s delivered: receipt %(receipt)s, KES %(total)s %(paid)s.") % {
                    "order": order.title(), "receipt": order.sale.receipt_number,
                    "total": f"{order.sale.total:,}", "paid": paid})
            elif action == "fail":
                services.fail(order, reason=request.POST.get("reason", ""), user=request.user)
                messages.warning(request, _("%(order)s marked failed.") % {"order": order.title()})
        except ValidationError as error:
            _errors(request, error)
        else:
            return redirect("admin:water:delivery", order.pk)
        order.refresh_from_db()
    return {
        "title": order.title(), "order": order, "lines": order.lines.select_related("item"),
        "can_change": request.user.has_perm("water.change_deliveryorder"),
        "open": order.status in (DeliveryOrder.Status.PENDING, DeliveryOrder.Status.OUT),
        "due": payments.amount_due(order.sale) if order.sale_id else None}


admin_urlpatterns = [
    path("water/batches/<int:pk>/run/", batch_view, name="batch"),
    path("water/bottles/", bottles_view, name="bottles"),
    path("water/deliveries/<int:pk>/run/", delivery_view, name="delivery"),
]
