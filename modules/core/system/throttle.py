"""Fixed-window counters in the shared Redis cache, for limits that must cost PostgreSQL nothing
(an anonymous flood). A cache error is a miss: ``hit`` answers None and the caller lets the request
through (fails open), so Redis down never takes an endpoint down. Limits that must hold with Redis
down count in PostgreSQL instead (``modules.core.cms.limits``)."""

import ipaddress
import time

from django.core.cache import cache


def address_key(ip: str | None) -> str:
    """An IPv4 address, or the /64 network of an IPv6 one (one subscriber holds a whole /64)."""
    if not ip:
        return "unknown"
    address = ipaddress.ip_address(ip)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def hit(scope: str, key: str, *, window: int = 60) -> int | None:
    """Count one more for ``key`` in the current window of ``window`` seconds; the count so far,
    or None when the cache cannot say."""
    cache_key = f"throttle:{scope}:{key}:{int(time.time()) // window}"
    if cache.add(cache_key, 1, window + 5):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # Redis unreachable (or the key expired between the two calls)
        return None
