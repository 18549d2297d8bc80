"""What the health watcher (modules.core.system.watcher) asks payments every minute, declared in
module.py as a ``HealthCondition``."""

from datetime import timedelta

from django.utils import timezone

from .models import StkRequest

STK_WINDOW, STK_GRACE, STK_MIN_REQUESTS = timedelta(minutes=30), timedelta(minutes=2), 3


def mpesa_callbacks_stopped() -> str:
    """Payment requests keep being made but M-Pesa has called none of them back."""
    now = timezone.now()
    recent = StkRequest.objects.filter(created_at__gte=now - STK_WINDOW, created_at__lte=now - STK_GRACE)
    asked = recent.count()
    if asked >= STK_MIN_REQUESTS and not recent.filter(settled_by="callback").exists():
        return (f"M-Pesa sent no callback for the {asked} payment requests of the last 30 minutes: "
                f"check the callback URL and Safaricom's status (payments are still confirmed by query).")
    return ""
