"""Events the sms module turns into texts on its own behalf (business modules subscribe their own)."""

from django.conf import settings

from modules.core.businesses.models import Business

from . import services
from .models import AlertPhone

ALERT = "system.alert"


def text_the_owner_an_alert(*, key: str, stamp: str, text: str, **_):
    """``system.alerted`` (the health watcher): the alert to each of ``HEALTH_ALERT_PHONES``, once
    per alert and phone; it belongs to no business, so it is not in a business's monthly cost."""
    for phone in sorted({p for p in settings.HEALTH_ALERT_PHONES if p}):
        services.send(ALERT, phone, text, business=None, key=f"{key}:{stamp}:{phone}")


def text_the_alerts(*, kind: str, business_code: str, rows: list, **payload):
    """``notifications.to_text`` (durable): each notification row its recipient wanted texted too,
    to their alert phone (``AlertPhone``), once per row, ever. The notification's business (if
    any) carries the cost; a system warning belongs to no business."""
    phones = dict(AlertPhone.objects.filter(user_id__in=[user_id for _row, user_id, _text in rows])
                  .values_list("user_id", "phone"))
    business = Business.objects.filter(code=business_code).first() if business_code else None
    for row_id, user_id, text in rows:
        if user_id in phones:
            services.send(f"alert.{kind}"[:40], phones[user_id], f"Biashara: {text}", business=business,
                          key=f"notification:{row_id}")
