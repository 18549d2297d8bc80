"""The laundry on the public site (declared in module.py as ``Module.public``): the ticket lookup
and pick-up requests. Only the public site's core calls these, by dotted path."""

from urllib.parse import urlencode

from django.urls import reverse


def pickup_from_request(customer_request, user) -> str:
    """A pick-up cannot be priced before the clothes are weighed: staff's tap opens the drop-off
    form filled with the customer, the place and what they said; the job is made on saving it."""
    notes = f"Pick-up from {customer_request.place}." if customer_request.place else "Pick-up."
    if customer_request.details:
        notes += f" {customer_request.details}"
    query = urlencode({"phone": customer_request.phone, "name": customer_request.name, "notes": notes})
    return f"{reverse('admin:laundry:new_job')}?{query}"
