"""The client's address, as the shipped nginx (ops/deploy/nginx.conf) reports it.

nginx sets ``X-Forwarded-For: $proxy_add_x_forwarded_for``: whatever the client sent, then the
address nginx itself saw. So behind ``settings.PROXY_COUNT`` proxies the client is the
PROXY_COUNT-th entry counted from the right; everything further left was written by the client and
proves nothing. Without proxies (``make run``, tests) it is REMOTE_ADDR. One helper for every caller
(M-Pesa callback allowlist, approvals audit, login lockout), so they never disagree.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The caller's IP address as a normalised string, or None when it is not an IP address."""
    proxies = int(getattr(settings, "PROXY_COUNT", 0) or 0)
    candidate = request.META.get("REMOTE_ADDR", "")
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        # Fewer entries than proxies: the request did not come through them; REMOTE_ADDR is the truth.
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
