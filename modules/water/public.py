"""Water on the public site (declared in module.py as ``Module.public``): delivery requests.
Only the public site's core calls this, by dotted path."""

from django.urls import reverse

from . import services


def delivery_from_request(customer_request, user) -> str:
    """Staff's one tap: a pending delivery of what the customer chose, to where they said."""
    place = customer_request.place or "Call the customer for the address"
    order = services.create_delivery(
        customer_request.business, phone=customer_request.phone, name=customer_request.name, area=place[:60],
        address=place, note=f"Website request. {customer_request.details}".strip()[:120],
        lines=[(customer_request.item, customer_request.quantity or 1)], user=user)
    return reverse("admin:water_deliveryorder_change", args=[order.pk])
