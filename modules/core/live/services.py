"""Change versions for smart polling: one counter per business and per user, in Redis.

A version is bumped after the transaction that changed something commits (every registry event
that names a business bumps that business; notifications bump their users). Pages poll one cheap
endpoint (views.live) that answers 304 while no version they watch has moved. Money figures are
cached under keys that include their business's version, so a committed sale is never hidden by a
cached total: the bump happens before create_sale() returns, and a new version is a new key.

Versions start from the clock in microseconds: if Redis loses a key (restart, eviction), the new
counter starts above every value handed out before, so an old cache entry is never reused.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

from modules.core.registry.roles import business_codes_for

TTL = 24 * 3600  # bounded like every cache key; refreshed by each bump
SCOPE_TTL = 60  # a role change reaches the 304 path within a minute


def _key(scope: str) -> str:
    return f"live:v:{scope}"


def user_scope(user_id) -> str:
    return f"u{user_id}"


def business_scope(code: str) -> str:
    return f"b:{code}"


def bump(*scopes: str) -> None:
    """Move the versions on (best effort: with Redis down, pages simply recompute). One round
    trip per scope where the cache can (backoffice.cache's ``bump``), else incr, add and touch."""
    in_one = getattr(cache, "bump", None)
    for scope in scopes:
        key = _key(scope)
        if in_one is not None:
            in_one(key, time.time_ns() // 1000, TTL)
            continue
        try:
            cache.incr(key)  # the usual case on every commit: one round trip, plus the TTL refresh
        except ValueError:  # no version yet (new, expired, evicted) or Redis unreachable
            cache.add(key, time.time_ns() // 1000, TTL)
            try:
                cache.incr(key)
            except ValueError:
                continue
        cache.touch(key, TTL)


def versions(scopes: list[str]) -> dict[str, int] | None:
    """Current version of each scope, starting missing ones; None when Redis cannot answer."""
    keys = {_key(scope): scope for scope in scopes}
    found = cache.get_many(list(keys))
    missing = [key for key in keys if key not in found]
    if missing:
        now = time.time_ns() // 1000
        for key in missing:
            cache.add(key, now, TTL)
        found.update(cache.get_many(missing))
        if any(key not in found for key in keys):
            return None
    return {keys[key]: int(value) for key, value in found.items()}


def version_of(business_code: str) -> int | None:
    snapshot = versions([business_scope(business_code)])
    return snapshot[business_scope(business_code)] if snapshot else None


def scopes_for(user_id, *, user=None) -> list[str] | None:
    """The scopes a user watches: their own and each business they see. Cached briefly by user id,
    so the unchanged-poll path needs no database; ``user`` (when loaded) fills the cache."""
    key = f"live:scope:{user_id}"
    scopes = cache.get(key)
    if scopes is None and user is not None:
        codes = business_codes_for(user)
        if codes is None:
            from modules.core.businesses.services import enabled_businesses

            codes = list(enabled_businesses().values_list("code", flat=True))
        scopes = [user_scope(user_id)] + [business_scope(code) for code in sorted(codes)]
        cache.set(key, scopes, SCOPE_TTL)
    return scopes


def etag(snapshot: dict[str, int]) -> str:
    canonical = ",".join(f"{scope}={snapshot[scope]}" for scope in sorted(snapshot))
    return hashlib.blake2s(canonical.encode(), digest_size=8).hexdigest()


def cached_money(business_code: str, name: str, compute, *, timeout: int = 300):
    """``compute()`` cached under the business's current version: never older than the last commit."""
    version = version_of(business_code)
    if version is None:
        return compute()
    key = f"live:money:{business_code}:{name}:{version}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value
