"""Who is editing a record: a short-lived Redis entry per open change form, refreshed by its poll."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.utils import timezone

STALE_AFTER = 45  # seconds without a poll: the editor has left (3 missed 15 s polls)


def key_for(obj) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def _cache_key(record: str) -> str:
    return f"live:presence:{record}"


def refresh(record: str, user) -> list[dict]:
    """Note that ``user`` has ``record`` open; return the others who have it open, oldest first."""
    record = record[:120]
    now = time.time()
    editors = {uid: e for uid, e in (cache.get(_cache_key(record)) or {}).items() if now - e["seen"] < STALE_AFTER}
    mine = editors.get(str(user.pk))
    editors[str(user.pk)] = {"name": user.get_short_name() or user.get_username(), "seen": now,
                             "since": mine["since"] if mine else timezone.localtime().strftime("%H:%M")}
    cache.set(_cache_key(record), editors, STALE_AFTER * 2)
    return sorted(({"name": e["name"], "since": e["since"]} for uid, e in editors.items() if uid != str(user.pk)),
                  key=lambda e: e["since"])


def leave(record: str, user) -> None:
    editors = cache.get(_cache_key(record)) or {}
    if editors.pop(str(user.pk), None) is not None:
        cache.set(_cache_key(record), editors, STALE_AFTER * 2)
