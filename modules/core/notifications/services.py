"""Public surface of notifications: modules declare kinds and call ``send`` from their services.

    from modules.core.notifications import services as notifications
    notifications.send("inventory.low_stock", to=["Water staff", "Owner"], business="water",
                       message="Low stock: 20 L refill", link="/admin/inventory/stocklevel/", obj=level)

``send`` writes a message to the PostgreSQL outbox in the caller's transaction (topic
``notifications.deliver``): work that is rolled back announces nothing, and once it commits the
notification is delivered exactly once by a worker, even if this process dies right after the
commit or Redis is down then (delivery waits for the outbox sweep).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from uuid import uuid4

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.outbox import services as outbox
from modules.core.registry import events, registry
from modules.core.registry.contract import NotificationKind

from .kinds import APPROVAL_DECIDED, APPROVAL_REQUESTED, DELIVER_TOPIC, SYSTEM_WARNING  # noqa: F401 (re-exported)
from .models import Notification, Preference, Throttle

RETENTION = timedelta(days=180)
TO_TEXT = "notifications.to_text"  # rows whose recipient wants them texted too (the sms module sends)
BELL_SIZE = 8  # items in the bell's dropdown
TOAST_LIMIT = 3  # new arrivals shown as toasts per poll



class UnknownKind(ValueError):
    """``send`` was given a kind no enabled module declares."""


@dataclass(frozen=True)
class _Targets:
    user_ids: frozenset[int] = frozenset()
    roles: frozenset[str] = frozenset()
    businesses: frozenset[str] = frozenset()


# --- sending -----------------------------------------------------------------------------------

def kind(key: str) -> NotificationKind:
    spec = registry.notification_kind(key)
    if spec is None:
        raise UnknownKind(f"unknown notification kind {key!r}: declare it in a module's notification_kinds")
    return spec


def send(kind_key: str, *, to=None, message: str, link: str = "", obj: Model | None = None,
         business=None, throttle: int | timedelta | None = None, throttle_key: str | None = None) -> None:
    """Announce something to people, once the current transaction commits.

    ``to``: a user, a user id, a role (Django group) name, a business (code or ``Business``: every
    back-office user who may see it), or a list of those; None means the kind's ``default_roles``.
    ``business``: when given, recipients who may not see that business are dropped.
    ``throttle``: seconds (or a timedelta) during which the same kind for the same ``obj`` (or
    ``throttle_key``) is delivered at most once; None uses the kind's ``throttle_seconds``. A send
    with neither ``obj`` nor ``throttle_key`` is never throttled.
    Users who switched the kind off on their preferences page receive nothing.
    """
    spec = kind(kind_key)
    targets = _targets(spec.default_roles if to is None else to)
    object_type_id, object_id = None, ""
    if obj is not None:
        object_type_id, object_id = ContentType.objects.get_for_model(obj).pk, str(obj.pk)
    if business is None and obj is not None:
        business = getattr(obj, "business", None)
    business_code = business.code if isinstance(business, Business) else (business or "")
    key = throttle_key or (f"{object_type_id}:{object_id}" if obj is not None else "")
    window = _window(kind_key, spec, throttle) if key else 0  # nothing to throttle on: always delivered
    outbox.enqueue(DELIVER_TOPIC, key=uuid4().hex, business=business_code or None, payload={
        "kind": kind_key, "user_ids": sorted(targets.user_ids), "roles": sorted(targets.roles),
        "businesses": sorted(targets.businesses), "message": message[:255], "link": link[:500],
        "business_code": business_code, "object_type_id": object_type_id, "object_id": object_id,
        "throttle_key": key, "window": window})


def deliver_message(message) -> list[Notification]:
    """The outbox handler of ``notifications.deliver``."""
    p = dict(message.payload)
    targets = _Targets(frozenset(p.pop("user_ids")), frozenset(p.pop("roles")), frozenset(p.pop("businesses")))
    return deliver(p.pop("kind"), targets, **p)


def _window(kind_key, spec, throttle) -> int:
    if throttle is None:
        overrides = getattr(settings, "NOTIFICATIONS_THROTTLE_SECONDS", {})
        return int(overrides.get(kind_key, spec.throttle_seconds))
    return int(throttle.total_seconds()) if isinstance(throttle, timedelta) else int(throttle)


def _targets(to) -> _Targets:
    user_ids, roles, businesses = set(), set(), set()
    codes = {b.code for b in registry.businesses()}
    user_model = get_user_model()
    items = [to] if isinstance(to, (str, int, Model)) else list(to)
    for item in items:
        if isinstance(item, Business):
            businesses.add(item.code)
        elif isinstance(item, user_model):
            user_ids.add(item.pk)
        elif isinstance(item, bool) or item is None:
            raise TypeError(f"not a notification recipient: {item!r}")
        elif isinstance(item, int):
            user_ids.add(item)
        elif isinstance(item, str) and item in codes:
            businesses.add(item)
        elif isinstance(item, str):
            roles.add(item)
        else:
            raise TypeError(f"not a notification recipient: {item!r}")
    return _Targets(frozenset(user_ids), frozenset(roles), frozenset(businesses))


def deliver(kind_key: str, targets: _Targets, *, message: str, link: str = "", business_code: str = "",
            object_type_id: int | None = None, object_id: str = "", throttle_key: str = "",
            window: int = 0) -> list[Notification]:
    """Write the rows (the outbox runs this after the sender's commit). Returns what was delivered:
    nothing when throttled."""
    with transaction.atomic():
        if window and not _claim(kind_key, throttle_key, window):
            return []
        user_ids = _resolve(targets)
        if business_code:
            user_ids &= business_user_ids(business_code)
        user_ids -= set(Preference.objects.filter(kind=kind_key, enabled=False, user_id__in=user_ids)
                        .values_list("user_id", flat=True))
        rows = Notification.objects.bulk_create([
            Notification(recipient_id=pk, kind=kind_key, message=message, link=link, business_code=business_code,
                         object_type_id=object_type_id, object_id=object_id) for pk in sorted(user_ids)])
        if rows:
            events.publish("notifications.changed", user_ids=sorted(user_ids))
            if getattr(registry.notification_kind(kind_key), "sms", False):
                _text(kind_key, rows, business_code)
    return rows


def _text(kind_key: str, rows: list[Notification], business_code: str) -> None:
    """The rows whose recipient chose this kind "also by SMS" (and still may text: the owner) are
    handed on as ``notifications.to_text`` (the sms module texts them, durably, from this
    transaction): one text per notification row, ever."""
    wanted = set(Preference.objects.filter(kind=kind_key, enabled=True, by_sms=True,
                                           user_id__in=[row.recipient_id for row in rows])
                 .values_list("user_id", flat=True))
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=wanted, is_active=True)}
    texted = [[row.pk, row.recipient_id, row.message] for row in rows
              if row.recipient_id in users and may_text(users[row.recipient_id])]
    if texted:
        events.publish(TO_TEXT, kind=kind_key, business_code=business_code, rows=texted)


def _claim(kind_key: str, key: str, window: int) -> bool:
    """True for exactly one sender per window: the first INSERT wins (the unique key makes rivals
    wait, then fail), later senders win only through the conditional UPDATE once the window passed."""
    now = timezone.now()
    row, created = Throttle.objects.get_or_create(kind=kind_key, object_key=key[:120],
                                                  defaults={"last_sent_at": now})
    if created:
        return True
    return bool(Throttle.objects.filter(pk=row.pk, last_sent_at__lte=now - timedelta(seconds=window))
                .update(last_sent_at=now))


def _resolve(targets: _Targets) -> set[int]:
    users = get_user_model().objects.filter(is_active=True)
    query = Q(pk__in=targets.user_ids) | Q(groups__name__in=targets.roles)
    ids = set(users.filter(query).values_list("pk", flat=True)) if targets.user_ids or targets.roles else set()
    for code in targets.businesses:
        ids |= business_user_ids(code)
    return ids


def business_user_ids(code: str) -> set[int]:
    """Back-office users who may see a business: its staff roles, roles that see every business
    (owner, accountant) and superusers."""
    roles = [r.name for r in registry.roles() if r.business == code or r.sees_all_businesses]
    users = get_user_model().objects.filter(is_active=True, is_staff=True)
    return set(users.filter(Q(is_superuser=True) | Q(groups__name__in=roles)).values_list("pk", flat=True))


def staff_roles(code: str) -> list[str]:
    """The roles scoped to one business, e.g. ["Water staff"]."""
    return [r.name for r in registry.roles() if r.business == code]


# --- reading (the bell, the list, the toasts) --------------------------------------------------

def for_user(user):
    return Notification.objects.filter(recipient=user)


def unread_count(user) -> int:
    return for_user(user).filter(read_at__isnull=True).count()


def latest(user, limit: int = BELL_SIZE) -> list[Notification]:
    return list(for_user(user).order_by("-id")[:limit])


def arrived_since(user, since_id: int, limit: int = TOAST_LIMIT) -> list[Notification]:
    """Unread notifications newer than what the client last saw: the toasts of one poll."""
    return list(for_user(user).filter(pk__gt=since_id, read_at__isnull=True).order_by("-id")[:limit])


def newest_id(user) -> int:
    return for_user(user).order_by("-id").values_list("pk", flat=True).first() or 0


def mark_read(user, pk: int) -> Notification | None:
    """Only the recipient may mark a notification; another user's id finds nothing."""
    notification = for_user(user).filter(pk=pk).first()
    if notification and notification.read_at is None:
        notification.read_at = timezone.now()
        for_user(user).filter(pk=pk, read_at__isnull=True).update(read_at=notification.read_at)
        _changed(user)
    return notification


def mark_all_read(user) -> int:
    count = for_user(user).filter(read_at__isnull=True).update(read_at=timezone.now())
    if count:
        _changed(user)
    return count


def _changed(user):
    events.publish("notifications.changed", user_ids=[user.pk])


# --- preferences -------------------------------------------------------------------------------

def kinds() -> list[NotificationKind]:
    return sorted(registry.notification_kinds(), key=lambda k: k.label)


def disabled_kinds(user) -> set[str]:
    return set(Preference.objects.filter(user=user, enabled=False).values_list("kind", flat=True))


def receives(user, kind_key: str) -> bool:
    return kind_key not in disabled_kinds(user)


@transaction.atomic
def set_preferences(user, enabled: Iterable[str], by_sms: Iterable[str] | None = None) -> None:
    """Turn on exactly the kinds in ``enabled``; every other declared kind is turned off. With
    ``by_sms`` (a user who may text), exactly those of the SMS-able kinds are also texted."""
    enabled = set(enabled)
    texted = set(by_sms or ()) & {spec.key for spec in kinds() if spec.sms} if may_text(user) else set()
    for spec in kinds():
        defaults = {"enabled": spec.key in enabled}
        if by_sms is not None:
            defaults["by_sms"] = spec.key in texted and spec.key in enabled
        Preference.objects.update_or_create(user=user, kind=spec.key, defaults=defaults)


def texted_kinds(user) -> set[str]:
    return set(Preference.objects.filter(user=user, enabled=True, by_sms=True).values_list("kind", flat=True))


def may_text(user) -> bool:
    """Alerts by SMS are the owner's (who may send texts: ``sms.add_smsmessage``); they cost money."""
    return user.is_active and user.has_perm("sms.add_smsmessage")


# --- retention ---------------------------------------------------------------------------------

def prune(now=None) -> int:
    """Delete notifications older than 180 days, and throttle marks no window still needs."""
    now = now or timezone.now()
    deleted, _ = Notification.objects.filter(created_at__lt=now - RETENTION).delete()
    Throttle.objects.filter(last_sent_at__lt=now - RETENTION).delete()
    return deleted
