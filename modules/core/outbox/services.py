"""Public surface of the outbox: durable "do this once the transaction commits" work.

    from modules.core.outbox import services as outbox
    with transaction.atomic():
        sale = ...
        outbox.enqueue("sms.send", key=f"receipt:{sale.pk}", payload={"to": phone, "text": text},
                       business=sale.business)

The message row is written in the caller's transaction (rolled back with it, never sent for work
that did not commit). After the commit an RQ job runs the topic's handler; a schedule
(``outbox.sweep``, every 30 s) runs whatever is due, so a worker killed mid-job, a job lost with
Redis, or Redis down at commit time delays a message but never loses it. See README.md.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from modules.core.registry import registry
from modules.core.registry.contract import OutboxTopic

from .models import Message

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500  # messages one sweep runs at most (the next sweep takes the rest)
DONE_RETENTION = timedelta(days=30)
REDIS_RETRY_AFTER = 5.0  # seconds during which a failed enqueue is not tried again (the sweep runs them)
_redis_skip_until = 0.0


class UnknownTopic(ValueError):
    """``enqueue`` was given a topic no enabled module declares."""


@dataclass(frozen=True)
class Retry:
    """What a handler returns to be run again after its backoff while **keeping** its database
    writes (raising rolls them back): progress on work that is not finished, such as an eTIMS
    invoice number taken before a call whose answer never came. Counts as an attempt."""

    reason: str


def topic(name: str) -> OutboxTopic:
    spec = registry.outbox_topic(name)
    if spec is None:
        raise UnknownTopic(f"unknown outbox topic {name!r}: declare it in a module's outbox_topics")
    return spec


# --- writing -----------------------------------------------------------------------------------

def enqueue(topic_name: str, *, key: str, payload: dict, business=None) -> Message:
    """Write a message in the current transaction; idempotent by (topic, key): enqueuing a key that
    exists returns the existing message unchanged (its first payload wins).

    ``payload`` must be JSON (Decimal, dates and UUIDs are written as strings). ``business``: a
    ``Business`` or its code, shown to the owner and given to the handler as ``business_code``.
    """
    topic(topic_name)
    if not key or len(key) > 200:
        raise ValueError("an outbox key is 1 to 200 characters")
    business_code = getattr(business, "code", business) or ""
    message = Message(topic=topic_name, key=key, payload=payload, business_code=business_code)
    message.pk = _insert_new(message)
    if message.pk is None:  # the key exists (or a rival insert of it won the race): that message, unchanged
        message = Message.objects.get(topic=topic_name, key=key)
    else:
        message._state.adding = False
    if message.status == Message.Status.PENDING:
        transaction.on_commit(partial(dispatch, message.pk, message.topic), robust=True)
    return message


def _insert_new(message: Message) -> int | None:
    """INSERT … ON CONFLICT (topic, key) DO NOTHING RETURNING id: the new row's id in one round
    trip, or None when the key exists (a rival insert of the same key waits for the other
    transaction, then yields). Every enqueue of a sale pays this, so it is not two queries."""
    fields = [field for field in Message._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    values = [field.get_db_prep_save(field.pre_save(message, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            # bandit: only the model's own quoted table and column names are formatted in; values are parameters
            f"INSERT INTO {quote(Message._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # nosec B608
            f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT (topic, key) DO NOTHING RETURNING id", values)
        row = cursor.fetchone()
    return row[0] if row else None


def dispatch(message_id: int, topic_name: str | None = None) -> None:
    """After commit: run it in a worker at once (or here, with OUTBOX_EAGER, as tests do).
    ``topic_name``: the message's topic when the caller knows it (saves reading it back)."""
    global _redis_skip_until
    if getattr(settings, "OUTBOX_EAGER", False):
        process(message_id)
        return
    if time.monotonic() < _redis_skip_until:
        return  # Redis failed a moment ago: the sweep will run it
    if topic_name is None:
        message = Message.objects.filter(pk=message_id).values("topic").first()
        topic_name = message["topic"] if message else None
    spec = registry.outbox_topic(topic_name) if topic_name else None
    try:
        _queue(spec.queue if spec else "default").enqueue(
            "modules.core.outbox.jobs.process", message_id, job_timeout=spec.timeout if spec else 300,
            result_ttl=0, failure_ttl=24 * 3600, description=f"outbox {message_id}")
    except Exception as error:  # Redis down or full: the message waits in PostgreSQL for the sweep
        _redis_skip_until = time.monotonic() + REDIS_RETRY_AFTER
        _queues.clear()  # a fresh connection next time
        logger.warning("outbox message %s not queued (%s); the sweep will run it", message_id, error)


_queues: dict = {}


def _queue(name: str):
    """This process's RQ queue ``name``, made once: django_rq builds a new Redis client (a new
    connection, its handshake and RQ's server-version check) on every get_queue, which was most of
    a sale's Redis round trips. Keyed by the process (a forked worker makes its own) and the
    queue's settings."""
    import django_rq
    from django_rq.settings import QUEUES

    key = (os.getpid(), name, repr(QUEUES.get(name)))
    queue = _queues.get(key)
    if queue is None:
        queue = _queues[key] = django_rq.get_queue(name)
    return queue


# --- processing --------------------------------------------------------------------------------

def backoff(spec: OutboxTopic | None, attempt: int) -> timedelta:
    if spec is None:
        return timedelta(hours=1)
    return timedelta(seconds=min(spec.backoff_seconds * 2 ** max(attempt - 1, 0), spec.max_backoff_seconds))


def _claim(candidates) -> tuple[int, int] | None:
    """Take one due pending message: count the attempt and push its next try past the backoff, in
    a transaction of its own, so a worker killed while running it is retried later by the sweep
    and a message that kills every worker still dies after ``max_attempts``."""
    with transaction.atomic():
        message = (candidates.filter(status=Message.Status.PENDING, next_attempt_at__lte=timezone.now())
                   .select_for_update(skip_locked=True).order_by("next_attempt_at", "pk").first())
        if message is None:
            return None
        message.attempts += 1
        message.next_attempt_at = timezone.now() + backoff(registry.outbox_topic(message.topic), message.attempts)
        message.save(update_fields=["attempts", "next_attempt_at"])
        return message.pk, message.attempts


def _run(message_id: int, attempt: int) -> str:
    """Run the handler and mark the message done in one transaction: the row lock makes every
    other processor skip it meanwhile, and its database writes commit with "done" or not at all."""
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message_id)
        if message.status != Message.Status.PENDING or message.attempts != attempt:
            return "skipped"  # done meanwhile, or claimed again after this claim's lease ran out
        spec = registry.outbox_topic(message.topic)
        try:
            if spec is None:
                raise UnknownTopic(f"topic {message.topic!r} is no longer declared by any enabled module")
            # what a handler writes is stored text (notifications, memos): in the site's language,
            # whichever request's language is active when a message runs inline (OUTBOX_EAGER)
            with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
                outcome = import_string(spec.handler)(message)
        except Exception:
            message.last_error = traceback.format_exc()[-4000:]
            if spec is None or message.attempts >= spec.max_attempts:
                message.status = Message.Status.DEAD
                message.processed_at = timezone.now()
            message.save(update_fields=["last_error", "status", "processed_at"])
            logger.warning("outbox %s %s attempt %s failed%s", message.topic, message.key, attempt,
                           "; dead" if message.status == Message.Status.DEAD else "", exc_info=True)
            return "dead" if message.status == Message.Status.DEAD else "failed"
        if isinstance(outcome, Retry):
            message.last_error = outcome.reason[:4000]
            if message.attempts >= spec.max_attempts:
                message.status = Message.Status.DEAD
                message.processed_at = timezone.now()
            message.save(update_fields=["last_error", "status", "processed_at"])
            return "dead" if message.status == Message.Status.DEAD else "retry"
        message.status = Message.Status.DONE
        message.processed_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=["status", "processed_at", "last_error"])
        return "done"


def process(message_id: int) -> str:
    """Run one message if it is pending and due (the after-commit job); else do nothing."""
    claimed = _claim(Message.objects.filter(pk=message_id))
    return _run(*claimed) if claimed else "skipped"


def process_due(limit: int = SWEEP_BATCH, seconds: float | None = None) -> int:
    """Run due messages, oldest first, until none is due, ``limit`` ran or ``seconds`` passed."""
    deadline = time.monotonic() + seconds if seconds else None
    ran = 0
    while ran < limit and (deadline is None or time.monotonic() < deadline):
        claimed = _claim(Message.objects.all())
        if claimed is None:
            break
        _run(*claimed)
        ran += 1
    return ran


def retry(messages) -> int:
    """Owner's action: dead (or waiting) messages become due now with a fresh count of attempts."""
    return messages.exclude(status=Message.Status.DONE).update(
        status=Message.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), processed_at=None)


def prune() -> int:
    deleted, _ = Message.objects.filter(status=Message.Status.DONE,
                                        processed_at__lt=timezone.now() - DONE_RETENTION).delete()
    return deleted


# --- facts for the owner (System widget, /health/deps/, the health watcher) ----------------------

@dataclass
class OutboxFacts:
    pending: int
    dead: int
    oldest_pending_age_seconds: float | None


def facts() -> OutboxFacts:
    rows = {row["status"]: row for row in Message.objects.exclude(status=Message.Status.DONE)
            .values("status").annotate(n=Count("id"), oldest=Min("created_at"))}
    pending = rows.get(Message.Status.PENDING)
    oldest = (timezone.now() - pending["oldest"]).total_seconds() if pending else None
    return OutboxFacts(pending=pending["n"] if pending else 0,
                       dead=rows[Message.Status.DEAD]["n"] if Message.Status.DEAD in rows else 0,
                       oldest_pending_age_seconds=oldest)
