"""Who is editing a record: a short-lived Redis entry per open change form, refreshed by its poll.

The poll names the record by a token signed when the change form was rendered for that user
(``token_for``), never by a bare key: a user sees presence only on records the admin let them
open, so water staff can't ask who is editing a laundry job.
"""

from __future__ import annotations

import time

from django.core import signing
from django.core.cache import cache
from django.utils import timezone

STALE_AFTER = 45  # seconds without a poll: the editor has left (3 missed 15 s polls)
TOKEN_SALT = "live.presence"
TOKEN_MAX_AGE = 12 * 3600  # a change form left open longer stops showing presence until reloaded


def key_for(obj) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def token_for(record: str, user) -> str:
    """What the change form rendered for ``user`` polls with (live/editing.html)."""
    return signing.dumps([record, user.pk], salt=TOKEN_SALT, compress=True)


def record_from_token(token: str, user) -> str | None:
    """The record key a poll's token names, or None when it was not signed for this user."""
    try:
        record, user_id = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return record if user_id == user.pk and isinstance(record, str) else None


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
