"""What Safaricom posts to us: STK results and C2B validations and confirmations.

Every path carries the secret MPESA_CALLBACK_TOKEN (compared in constant time) and none contains
"mpesa" or "safaricom" (Safaricom drops such URLs). The optional allowlist
(MPESA_CALLBACK_ALLOWED_IPS) reads the address nginx appended (``system.network.client_ip``).
Bodies are bounded and parsed defensively: whatever we cannot trust changes nothing, is recorded
as a security event (repeats counted on one row per minute) and answered 4xx or a Daraja refusal,
never a 500.

Refused callers are rate-limited per address in the shared Redis cache (``system.throttle``): past
``MPESA_CALLBACK_REFUSALS_PER_MINUTE`` refusals in a minute, an address gets 429 without a database
write (one ``mpesa.rate_limited`` event says so). A callback with the right token from an allowed
address is never limited, so a genuine one is never lost; with Redis down the limit is off (fails
open) and each refusal costs one counted upsert.
"""

import hmac
import json

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from modules.core.system.network import client_ip
from modules.core.system.services import refused, security_event

from . import c2b, stk

MAX_CALLBACK_BYTES = 64 * 1024
REJECTED = {"ResultCode": 1, "ResultDesc": "Rejected"}


def _guarded(view):
    """Token, allowlist, size and JSON checks shared by every endpoint; the view gets the body."""

    @csrf_exempt
    @require_POST
    def wrapper(request, token, **kwargs):
        ip = client_ip(request)
        refusal = None
        if not hmac.compare_digest(token.encode(), settings.MPESA_CALLBACK_TOKEN.encode()):
            refusal = ("mpesa.bad_token", "Callback with a wrong token")
        elif settings.MPESA_CALLBACK_ALLOWED_IPS and ip not in settings.MPESA_CALLBACK_ALLOWED_IPS:
            refusal = ("mpesa.ip_not_allowed", f"Callback from {ip}, not in the allowlist")
        if refusal is not None:
            return _refuse(ip, *refusal)
        if len(request.body) > MAX_CALLBACK_BYTES:
            security_event("mpesa.oversized_callback", f"{len(request.body)} bytes", ip=ip)
            return JsonResponse({"ResultCode": 1, "ResultDesc": "Too large"}, status=413)
        try:
            body = json.loads(request.body)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            security_event("mpesa.malformed_callback", "Body is not JSON", ip=ip)
            return JsonResponse({"ResultCode": 1, "ResultDesc": "Not JSON"}, status=400)
        return view(request, body, ip, **kwargs)

    return wrapper


def _refuse(ip, kind, message):
    """403 and a (counted) security event; past the address's limit, 429 and nothing written."""
    if refused("mpesa", kind, message, ip=ip, limit=settings.MPESA_CALLBACK_REFUSALS_PER_MINUTE):
        response = JsonResponse({"ResultCode": 1, "ResultDesc": "Too many requests"}, status=429)
        response["Retry-After"] = "60"
        return response
    return JsonResponse(REJECTED, status=403)


@_guarded
def stk_callback(request, body, ip, ref=None):
    """Daraja posts STK results here (``ref``: our request number, in the CallBackURL we sent)."""
    outcome = stk.handle_callback(body, ip=ip, ref=ref)
    accepted = outcome != "rejected"
    return JsonResponse({"ResultCode": 0 if accepted else 1, "ResultDesc": "Accepted" if accepted else "Rejected"})


@_guarded
def c2b_validation(request, body, ip):
    return JsonResponse(c2b.validate(body, ip=ip))


@_guarded
def c2b_confirmation(request, body, ip):
    outcome = c2b.confirm(body, ip=ip)
    if outcome == "rejected":
        return JsonResponse(REJECTED)
    return JsonResponse({"ResultCode": 0, "ResultDesc": "Accepted"})
