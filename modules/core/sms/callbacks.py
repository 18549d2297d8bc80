"""What Africa's Talking posts to us (form-encoded): delivery reports and incoming messages.

Both paths carry the secret SMS_CALLBACK_TOKEN (compared in constant time; AT signs nothing), as
the M-Pesa callbacks do. A wrong token changes nothing and is recorded as a (counted) security
event; past SMS_CALLBACK_REFUSALS_PER_MINUTE from one address, 429 and nothing more is written."""

import hmac

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from modules.core.system.network import client_ip
from modules.core.system.services import refused, security_event

from . import services

MAX_CALLBACK_BYTES = 16 * 1024


def _guarded(view):
    @csrf_exempt
    @require_POST
    def wrapper(request, token):
        ip = client_ip(request)
        if not hmac.compare_digest(token.encode(), settings.SMS_CALLBACK_TOKEN.encode()):
            if refused("sms", "sms.bad_token", "SMS callback with a wrong token", ip=ip,
                       limit=settings.SMS_CALLBACK_REFUSALS_PER_MINUTE):
                return HttpResponse("Too many requests", status=429, content_type="text/plain",
                                    headers={"Retry-After": "60"})
            return HttpResponse("Forbidden", status=403, content_type="text/plain")
        if len(request.body) > MAX_CALLBACK_BYTES:
            security_event("sms.oversized_callback", f"{len(request.body)} bytes", ip=ip)
            return HttpResponse("Too large", status=413, content_type="text/plain")
        view(request.POST)
        return HttpResponse("OK", content_type="text/plain")

    return wrapper


@_guarded
def delivery_report(data):
    services.record_delivery_report(data)


@_guarded
def incoming(data):
    services.record_reply(data)
