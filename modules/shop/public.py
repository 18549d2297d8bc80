"""The shop on the public site (declared in module.py as ``Module.public``): gas refill requests.
Only the public site's core calls this, by dotted path."""

from urllib.parse import urlencode

from django.urls import reverse


def refill_from_request(customer_request, user) -> str:
    """Staff's one tap opens the LPG exchange for a refill with the customer's phone filled in; the
    size and brand are picked there (the customer may have said which in the request)."""
    return f"{reverse('admin:shop:lpg')}?{urlencode({'kind': 'refill', 'phone': customer_request.phone})}"
