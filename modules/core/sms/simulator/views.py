import math
import re
import time
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import SimSms, SimSmsFault

KENYAN_MOBILE = re.compile(r"^\+254[71][0-9]{8}$")
PRICE_PER_SEGMENT = Decimal("0.8000")


def _hang():
    time.sleep(getattr(settings, "SMS_SIMULATOR_HANG_SECONDS", 15))


def _next_fault() -> str:
    with transaction.atomic():
        fault = SimSmsFault.objects.select_for_update(skip_locked=True).first()
        if fault is None:
            return ""
        fault.delete()
        return fault.kind


def _segments(text: str) -> int:
    return 1 if len(text) <= 160 else math.ceil(len(text) / 153)


@csrf_exempt
@require_POST
def messaging(request):
    """POST /version1/messaging (bulk SMS): form fields username, to (comma-separated), message, from."""
    if request.headers.get("apiKey") != settings.AT_API_KEY or request.POST.get("username") != settings.AT_USERNAME:
        return HttpResponse("The supplied authentication is invalid", status=401, content_type="text/plain")
    fault = _next_fault()
    if fault == "5xx":
        return HttpResponse("Internal Server Error", status=500, content_type="text/html")
    if fault == "timeout":
        _hang()
        return HttpResponse("late", status=504, content_type="text/plain")
    text, recipients, total = request.POST.get("message", ""), [], Decimal(0)
    for number in [n.strip() for n in request.POST.get("to", "").split(",") if n.strip()]:
        if fault == "gateway_error":
            recipients.append({"statusCode": 500, "number": number, "status": "InternalServerError",
                               "cost": "0", "messageId": "None"})
        elif not KENYAN_MOBILE.match(number):
            recipients.append({"statusCode": 403, "number": number, "status": "InvalidPhoneNumber",
                               "cost": "0", "messageId": "None"})
        elif number.endswith("0000"):
            recipients.append({"statusCode": 406, "number": number, "status": "UserInBlacklist",
                               "cost": "0", "messageId": "None"})
        else:
            cost = PRICE_PER_SEGMENT * _segments(text)
            sms = SimSms.objects.create(message_id=f"ATXid_{uuid.uuid4().hex}", username=request.POST["username"],
                                        to=number, sender=request.POST.get("from", ""), text=text, cost=cost)
            total += cost
            recipients.append({"statusCode": 101, "number": number, "status": "Success",
                               "cost": f"KES {cost:.4f}", "messageId": sms.message_id})
    if fault == "lost_answer":
        _hang()
    sent = sum(1 for r in recipients if r["statusCode"] == 101)
    return JsonResponse({"SMSMessageData": {
        "Message": f"Sent to {sent}/{len(recipients)} Total Cost: KES {total:.4f}", "Recipients": recipients}},
        status=201)
