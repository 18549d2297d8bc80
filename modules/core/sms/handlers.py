"""Events the sms module turns into texts on its own behalf (business modules subscribe their own)."""

from django.conf import settings

from . import services

ALERT = "system.alert"


def text_the_owner_an_alert(*, key: str, stamp: str, text: str, **_):
    """``system.alerted`` (the health watcher): the alert to each of ``HEALTH_ALERT_PHONES``, once
    per alert and phone; it belongs to no business, so it is not in a business's monthly cost."""
    for phone in sorted({p for p in settings.HEALTH_ALERT_PHONES if p}):
        services.send(ALERT, phone, text, business=None, key=f"{key}:{stamp}:{phone}")
