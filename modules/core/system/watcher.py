"""The health watcher: every minute, check what can go wrong unnoticed and tell the owner.

Each condition is a function returning a message when something is wrong, or "" when all is well.
A condition that turns bad notifies the owner (the bell, and an e-mail through the outbox; an SMS
too once a module declares the ``sms.send`` topic), again every ``REPEAT`` while it stays bad, and
once more with "Resolved: …" when it clears. State lives in ``WatchedCondition`` rows.
"""

from __future__ import annotations

import logging
import shutil
from datetime import timedelta
from io import StringIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from redis.exceptions import RedisError

from modules.core.notifications import services as notifications
from modules.core.outbox import services as outbox
from modules.core.registry import events, registry

from . import facts
from .models import BackupRun, WatchedCondition

logger = logging.getLogger(__name__)

REPEAT = timedelta(hours=6)
BACKUP_MAX_AGE = timedelta(hours=26)
QUEUE_MAX_AGE_SECONDS = 300
SCHEDULER_SILENT_AFTER = timedelta(minutes=3)
REDIS_MEMORY_RATIO = 0.90
DISK_MIN_FREE = 0.15
EMAIL_TOPIC = "system.alert_email"
HEARTBEAT_KEY = "system:cron:heartbeat"


# --- conditions ----------------------------------------------------------------------------------

def backup_stale() -> str:
    if not getattr(settings, "HEALTH_WATCH_BACKUPS", False):
        return ""
    last = BackupRun.objects.filter(ok=True).order_by("-finished_at").first()
    if last is None:
        return "No backup has ever succeeded."
    age = timezone.now() - last.finished_at
    if age > BACKUP_MAX_AGE:
        return f"The last good backup is {age.total_seconds() / 3600:.0f} h old ({last.stamp})."
    return ""


def offsite_failed() -> str:
    last = BackupRun.objects.order_by("-finished_at").first()
    if last and not last.ok:
        return f"The backup of {last.stamp} failed: {last.message[:150]}"
    if last and not last.offsite_ok:
        return f"The off-site copy of backup {last.stamp} failed: {last.message[:150]}"
    return ""


def queue_stuck() -> str:
    try:
        q = facts.queue_facts()
    except RedisError as error:
        return f"Redis is unreachable ({error.__class__.__name__}): jobs wait."
    if q.workers == 0:
        return f"No job worker is running; {q.depth} jobs wait."
    if q.oldest_age_seconds and q.oldest_age_seconds > QUEUE_MAX_AGE_SECONDS:
        return f"The oldest queued job has waited {q.oldest_age_seconds / 60:.0f} min ({q.depth} queued)."
    return ""


def scheduler_silent() -> str:
    try:
        beat = facts.connection().get(HEARTBEAT_KEY)
    except RedisError:
        return ""  # queue_stuck says Redis is unreachable
    if beat is None:
        return "The scheduler has never run here."
    age = timezone.now().timestamp() - float(beat)
    if age > SCHEDULER_SILENT_AFTER.total_seconds():
        return f"The scheduler has been silent for {age / 60:.0f} min: schedules (sweeps, reports) do not run."
    return ""


def redis_memory(state: WatchedCondition) -> str:
    try:
        f = facts.redis_facts()
    except RedisError:
        return ""
    previous = state.detail.get("evicted_keys")
    state.detail["evicted_keys"] = f.evicted_keys
    if f.used_ratio is not None and f.used_ratio > REDIS_MEMORY_RATIO:
        return f"Redis uses {f.used_mb:.0f} MB of its {f.max_mb:.0f} MB budget ({f.used_ratio:.0%})."
    if previous is not None and f.evicted_keys > previous:
        return f"Redis evicted {f.evicted_keys - previous} cache keys since the last check (memory pressure)."
    return ""


def disk_free() -> str:
    low = []
    for path in {str(settings.MEDIA_ROOT), *getattr(settings, "HEALTH_WATCH_DISKS", [])}:
        try:
            usage = shutil.disk_usage(path)
        except OSError:
            continue
        if usage.free / usage.total < DISK_MIN_FREE:
            low.append(f"{path}: {usage.free / 2**30:.1f} GB free ({usage.free / usage.total:.0%})")
    return ("Disk almost full: " + "; ".join(sorted(low))) if low else ""


def ledger_broken() -> str:
    """Set by the nightly ``system.verify_ledger`` job (the chain walk is too heavy for every minute)."""
    state = WatchedCondition.objects.filter(key="ledger_broken").first()
    return state.detail.get("failure", "") if state else ""


CONDITIONS = {
    "backup_stale": backup_stale,
    "offsite_failed": offsite_failed,
    "queue_stuck": queue_stuck,
    "scheduler_silent": scheduler_silent,
    "redis_memory": redis_memory,
    "disk_free": disk_free,
    "ledger_broken": ledger_broken,
}


def conditions() -> dict:
    """The watcher's own conditions and those modules declare (``Module.health_conditions``)."""
    declared = {c.key: import_string(c.check) for m in registry.modules() for c in m.health_conditions}
    return {**CONDITIONS, **declared}
NEEDS_STATE = {"redis_memory"}


# --- telling the owner ---------------------------------------------------------------------------

def owners():
    users = get_user_model().objects.filter(is_active=True)
    return users.filter(Q(is_superuser=True) | Q(groups__name="Owner")).distinct()


def alert(key: str, text: str, now=None) -> None:
    """The bell now (through the outbox), an e-mail, and the event ``system.alerted`` for whoever
    sends alerts another way (the sms module texts HEALTH_ALERT_PHONES). The outbox keys name the
    watch's time, so each alert and its repeat are messages of their own."""
    notifications.send(notifications.SYSTEM_WARNING, to="Owner", message=text,
                       link="/health/deps/", throttle=0)
    stamp = (now or timezone.now()).strftime("%Y%m%d%H%M%S")
    emails = sorted({u.email for u in owners() if u.email})
    if emails:
        outbox.enqueue(EMAIL_TOPIC, key=f"{key}:{stamp}", payload={"to": emails, "text": text})
    events.publish("system.alerted", key=key, stamp=stamp, text=text)


def send_alert_email(message) -> None:
    """Outbox handler of ``system.alert_email``."""
    text = message.payload["text"]
    send_mail(f"[Biashara] {text[:70]}", text, None, message.payload["to"])


def watch(now=None) -> dict[str, str]:
    """Evaluate every condition; returns {key: message} of the ones that are bad."""
    now = now or timezone.now()
    bad = {}
    for key, check in conditions().items():
        with transaction.atomic():
            state, _ = WatchedCondition.objects.select_for_update().get_or_create(key=key)
            try:
                text = check(state) if key in NEEDS_STATE else check()
            except Exception as error:  # noqa: BLE001 (one broken check must not hide the others)
                logger.exception("health watcher: %s failed", key)
                text = f"The {key} check itself failed: {error}"
            if text:
                bad[key] = text
                if not state.active:
                    state.active, state.since = True, now
                if state.last_alert_at is None or now - state.last_alert_at >= REPEAT:
                    alert(key, text, now)
                    state.last_alert_at = now
                state.message = text
            elif state.active:
                alert(key, f"Resolved: {state.message}", now)
                state.active, state.since, state.last_alert_at, state.message = False, None, None, ""
            state.save()
    return bad


def heartbeat() -> None:
    """Run by the cron scheduler every minute: proof that it is alive."""
    facts.connection().set(HEARTBEAT_KEY, timezone.now().timestamp())


def verify_ledger() -> str:
    """Nightly: walk the chain (``manage.py verify_ledger``); a broken chain becomes the
    ``ledger_broken`` condition until a later walk passes."""
    out = StringIO()
    try:
        call_command("verify_ledger", stdout=out)
        failure = ""
    except CommandError as error:
        failure = f"verify_ledger failed: {error}"
    state, _ = WatchedCondition.objects.get_or_create(key="ledger_broken")
    state.detail = {**state.detail, "failure": failure, "checked_at": timezone.now().isoformat()}
    state.save(update_fields=["detail"])
    return failure or out.getvalue().strip()
