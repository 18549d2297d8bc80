"""Customer texts: ``send()`` records one message per (kind, document) and hands it to the outbox;
the ``sms.send`` worker (``deliver``) calls Africa's Talking at most once per message.

    from modules.core.sms import services as sms
    sms.send("laundry.ready", job.customer_phone, text, business=job.business,
             key=f"laundry.job:{job.pk}", customer=job.customer)

At most once: the outbox commits each attempt's number before the handler runs; an attempt that
ends knowing nothing was sent (the gateway refused, or could not be reached) records that number
(``settled_attempts``) and asks for a retry. An attempt that finds an earlier one unsettled (its
worker was killed, or crashed between the gateway's answer and the commit) cannot know whether the
text left, so it marks the message *unknown* and never resends it. See README.md.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from modules.core.customers.models import Customer, CustomerPhone
from modules.core.outbox import services as outbox
from modules.core.customers.phones import normalize_phone
from modules.core.registry import registry

from . import gateway
from .models import AlertPhone, SmsMessage, SmsReply

logger = logging.getLogger(__name__)

TOPIC = "sms.send"
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "ACHA", "SITISHA"}  # ACHA / SITISHA: Swahili "stop"
MAX_TEXT = 459  # three concatenated GSM-7 segments


def enabled() -> bool:
    return settings.SMS_MODE != "off"


def send(kind: str, phone: str, text: str, *, business, key: str, customer=None) -> SmsMessage | None:
    """Record a text for ``phone`` and queue it (in the caller's transaction). Idempotent by
    ``(kind, key)``: the same document and kind returns the first message, sent or not. An opted-out
    customer (``customer`` or whoever owns the number) gets nothing; the skip is recorded.
    Returns None when SMS is off or the number is not a Kenyan mobile."""
    if not enabled():
        return None
    try:
        phone = normalize_phone(phone)
    except ValidationError:
        logger.info("sms %s:%s not sent: %r is not a mobile number", kind, key, phone)
        return None
    full_key = f"{kind}:{key}"[:200]
    with transaction.atomic():
        existing = SmsMessage.objects.filter(key=full_key).first()
        if existing is not None:
            return existing
        if customer is None:
            owner = CustomerPhone.objects.filter(phone=phone).select_related("customer").first()
            customer = owner.customer if owner else None
        opted_out = bool(customer and Customer.objects.filter(pk=customer.pk, sms_opt_out=True).exists())
        message = SmsMessage(business=business, key=full_key, kind=kind, phone=phone, customer=customer,
                             text=text[:MAX_TEXT])
        if opted_out:
            message.status, message.error = SmsMessage.Status.SKIPPED, "The customer asked for no SMS."
        SmsMessage.objects.bulk_create([message], ignore_conflicts=True)  # a rival send of the key yields
        message = SmsMessage.objects.get(key=full_key)
        if message.status == SmsMessage.Status.QUEUED:
            outbox.enqueue(TOPIC, key=full_key, payload={"sms": message.pk}, business=business)
        return message


def deliver(message) -> outbox.Retry | None:
    """The ``sms.send`` outbox handler: one gateway call at most, for one message, ever."""
    sms = SmsMessage.objects.select_for_update(of=("self",)).select_related("customer").get(key=message.key)
    if sms.status != SmsMessage.Status.QUEUED:
        return None  # sent, skipped, failed or unknown: nothing more to do
    if sms.customer_id and sms.customer.sms_opt_out:
        return _finish(sms, SmsMessage.Status.SKIPPED, "The customer asked for no SMS before it was sent.")
    if sms.settled_attempts < message.attempts - 1:
        return _finish(sms, SmsMessage.Status.UNKNOWN,
                       f"Attempt {message.attempts - 1} stopped during the gateway call (worker killed or "
                       "crashed before recording): it may have been sent, so it is not sent again.")
    try:
        sent = gateway.send(sms.phone, sms.text)
    except gateway.NotSent as error:
        sms.settled_attempts, sms.error = message.attempts, str(error)[:300]
        if message.attempts >= registry.outbox_topic(TOPIC).max_attempts:
            sms.status = SmsMessage.Status.FAILED
        sms.save(update_fields=["settled_attempts", "error", "status"])
        return outbox.Retry(str(error))
    except gateway.Rejected as error:
        return _finish(sms, SmsMessage.Status.FAILED, str(error))
    except gateway.Unknown as error:
        return _finish(sms, SmsMessage.Status.UNKNOWN, str(error))
    _record_sent(sms, sent, attempt=message.attempts)
    return None


def _record_sent(sms: SmsMessage, sent: gateway.Sent, *, attempt: int) -> None:
    sms.status, sms.error, sms.settled_attempts = SmsMessage.Status.SENT, "", attempt
    sms.gateway_message_id, sms.cost, sms.sent_at = sent.message_id, sent.cost, timezone.now()
    sms.save(update_fields=["status", "error", "settled_attempts", "gateway_message_id", "cost", "sent_at"])


def _finish(sms: SmsMessage, status: str, why: str) -> None:
    sms.status, sms.error = status, why[:300]
    sms.save(update_fields=["status", "error"])
    return None


# --- what the gateway posts back -----------------------------------------------------------------

def record_delivery_report(data) -> SmsMessage | None:
    """Africa's Talking's delivery report (``id``, ``status``, ``failureReason``…) on its message."""
    message_id = str(data.get("id", ""))[:100]
    if not message_id:
        return None
    with transaction.atomic():
        sms = SmsMessage.objects.select_for_update().filter(gateway_message_id=message_id).first()
        if sms is None:
            return None
        sms.delivery_status = str(data.get("status", ""))[:20]
        sms.delivery_failure = str(data.get("failureReason", ""))[:60]
        sms.delivery_reported_at = timezone.now()
        sms.save(update_fields=["delivery_status", "delivery_failure", "delivery_reported_at"])
        return sms


def record_reply(data) -> SmsReply | None:
    """An incoming text: a STOP (or ACHA/SITISHA) from a customer's number sets their opt-out."""
    gateway_id, text = str(data.get("id", ""))[:100], str(data.get("text", ""))[:480]
    try:
        phone = normalize_phone(str(data.get("from", "")))
    except ValidationError:
        phone = ""
    if not gateway_id:
        return None
    with transaction.atomic():
        owner = CustomerPhone.objects.filter(phone=phone).select_related("customer").first() if phone else None
        stop = (text.strip().split() or [""])[0].upper().strip(".!") in STOP_WORDS
        answer, created = SmsReply.objects.get_or_create(gateway_id=gateway_id, defaults={
            "phone": phone or str(data.get("from", ""))[:16], "text": text,
            "customer": owner.customer if owner else None, "opted_out": bool(stop and owner)})
        if created and stop and owner:
            Customer.objects.filter(pk=owner.customer_id).update(sms_opt_out=True, updated_at=timezone.now())
        return answer


# --- cost ------------------------------------------------------------------------------------------

OWNER_ALERTS = "Owner's alerts"  # texts that belong to no business (health alerts, system warnings)


def _sent(businesses, include_unassigned: bool):
    mine = Q(business__in=businesses) | (Q(business__isnull=True) if include_unassigned else Q(pk__in=[]))
    return SmsMessage.objects.filter(mine, status=SmsMessage.Status.SENT)


def monthly_cost(businesses, *, today=None, include_unassigned: bool = False) -> list[dict]:
    """This month's texts sent and their gateway cost per business (Africa/Nairobi months);
    ``include_unassigned`` (the owner) adds the texts of no business as "Owner's alerts"."""
    today = today or timezone.localdate()
    start = timezone.make_aware(datetime.combine(today.replace(day=1), time.min))
    return [{"business": row["business"], "count": row["count"], "cost": row["cost"]}
            for row in cost_by_month(businesses, start=start, include_unassigned=include_unassigned)]


def cost_by_month(businesses, *, start, include_unassigned: bool = False) -> list[dict]:
    """Texts sent and Africa's Talking's charge for them (``SmsMessage.cost``, as the gateway
    answered), per Nairobi month and business, since ``start``: newest month first. Not a ledger
    figure: the ledger books the gateway's top-ups as bills; this is what they were spent on."""
    month = TruncMonth("sent_at", tzinfo=timezone.get_default_timezone())
    rows = (_sent(businesses, include_unassigned).filter(sent_at__gte=start)
            .annotate(month=month).values("month", "business__name")
            .annotate(count=Count("pk"), cost=Sum("cost")).order_by("-month", "business__name"))
    return [{"month": timezone.localtime(row["month"]).date() if row["month"] else None,
             "business": row["business__name"] or OWNER_ALERTS, "count": row["count"],
             "cost": (row["cost"] or Decimal(0)).quantize(Decimal("0.01"))} for row in rows]


# --- the owner's alert phone ------------------------------------------------------------------------

def alert_phone(user) -> str:
    return AlertPhone.objects.filter(user=user).values_list("phone", flat=True).first() or ""


def set_alert_phone(user, phone: str) -> str:
    """Keep (or, empty, forget) where the user's alerts ticked "SMS" are texted; a number that is
    not a Kenyan mobile is a ValidationError with a plain message."""
    if not phone.strip():
        AlertPhone.objects.filter(user=user).delete()
        return ""
    phone = normalize_phone(phone)
    AlertPhone.objects.update_or_create(user=user, defaults={"phone": phone})
    return phone
