"""Receiving a purchase order into stock (an admin page under /admin/purchasing/)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path

from modules.core.businesses.admin_kit import admin_page, scoped_or_403
from modules.core.inventory.models import Location
from modules.core.inventory.services import default_location

from . import services
from .models import PurchaseOrder


@admin_page(permission="purchasing.add_goodsreceipt", template="purchasing/receive.html")
def receive_view(request, po_id):
    po = scoped_or_403(request, PurchaseOrder.objects.select_related("business", "supplier"), pk=po_id)
    lines = [line for line in po.lines.select_related("item") if line.outstanding > 0]
    locations = Location.objects.filter(business=po.business)
    default = locations.filter(is_default=True).first() or locations.first()
    location_id = request.POST.get("location") or (default.pk if default else "")
    if request.method == "POST":
        quantities = {line.pk: request.POST.get(f"line-{line.pk}", "") for line in lines}
        try:
            location = (locations.filter(pk=location_id).first() if str(location_id).isdigit()
                        else default_location(po.business))
            receipt = services.receive(po, quantities, location, request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Received KES {receipt.total:,} of goods on {po} into {receipt.location.name}.")
            return redirect("admin:purchasing_purchaseorder_change", po.pk)
    return {"title": f"Receive {po} from {po.supplier.name}", "po": po,
            "rows": [(line, request.POST.get(f"line-{line.pk}", "")) for line in lines], "locations": locations,
            "location_id": str(location_id)}


admin_urlpatterns = [
    path("purchasing/orders/<int:po_id>/receive/", receive_view, name="receive"),
]
