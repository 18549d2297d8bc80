"""Rate limits for the public forms, counted in PostgreSQL (fixed windows, one row per key and
window). They hold with Redis down: the limits neither open up nor lock everyone out.

Keys never hold a raw address or phone number: ``address_key`` and ``hashed`` keep a keyed hash.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone as dt_timezone

from django.conf import settings
from django.db import connection
from django.utils import timezone

from modules.core.system.network import client_ip

from .models import RateCounter


def hashed(value: str) -> str:
    return hashlib.blake2s(value.encode(), key=settings.SECRET_KEY.encode()[:32], digest_size=12).hexdigest()


def address_key(request, scope: str) -> str:
    """The client as nginx reported it (``system.network.client_ip``, PROXY_COUNT), hashed."""
    return f"{scope}:addr:{hashed(client_ip(request) or 'unknown')}"


def _window_start(window: timedelta, now: datetime) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=dt_timezone.utc)


def count(key: str, window: timedelta, *, now: datetime | None = None) -> int:
    start = _window_start(window, now or timezone.now())
    return RateCounter.objects.filter(key=key, window_start=start).values_list("count", flat=True).first() or 0


def hit(key: str, window: timedelta, *, now: datetime | None = None) -> int:
    """Count one more in the current window; returns the new count (one atomic upsert)."""
    start = _window_start(window, now or timezone.now())
    table = RateCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, window_start, count) VALUES (%s, %s, 1) "
            # bandit: the table name is the model's own; values are bound
            f"ON CONFLICT (key, window_start) DO UPDATE SET count = {table}.count + 1 RETURNING count",  # nosec B608
            [key[:120], start])
        return cursor.fetchone()[0]


def prune(now: datetime | None = None) -> int:
    """Drop windows that ended more than a day ago (the longest window is a day)."""
    deleted, _ = RateCounter.objects.filter(window_start__lt=(now or timezone.now()) - timedelta(days=2)).delete()
    return deleted
