"""Django's RedisCache, made safe to share one Redis with the job queue.

* Every write carries a bounded TTL: ``timeout=None`` ("forever") and anything above
  ``MAX_TIMEOUT`` are clamped, so a volatile-* eviction policy can always reclaim cache
  memory and never has to touch queued jobs (which carry no TTL).
* A Redis error (down, timeout, OOM) is a cache miss, never a 500. After an error the
  backend skips Redis for ``RETRY_AFTER`` seconds instead of paying a timeout per call.
* One redis-py client per connection pool, made once (see ``ReusedRedisClient``).
"""

import functools
import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _miss_on_error(default):
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            if time.monotonic() < self._skip_until:
                return default(args, kwargs) if callable(default) else default
            try:
                return method(self, *args, **kwargs)
            except RedisError as error:
                self._skip_until = time.monotonic() + self.retry_after
                logger.warning("cache %s failed, treated as a miss: %s", method.__name__, error)
                return default(args, kwargs) if callable(default) else default

        return wrapper

    return decorate


def _get_default(args, kwargs):
    return kwargs.get("default", args[1] if len(args) > 1 else None)


class ReusedRedisClient(RedisCacheClient):
    """Django builds a new ``redis.Redis`` around the pool on every cache call, and redis-py fills
    each new client's ~170 response callbacks: a sale's session read and live bumps spent more CPU
    there than in Redis. A client is thread-safe and holds no connection of its own (the pool
    does, and makes new ones after a fork), so one per pool serves every call."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedRedisClient
        self.max_timeout = int(params.get("MAX_TIMEOUT", 24 * 3600))
        self.retry_after = float(params.get("RETRY_AFTER", 5))
        self._skip_until = 0.0
        if self.default_timeout is None or self.default_timeout > self.max_timeout:
            self.default_timeout = self.max_timeout

    def get_backend_timeout(self, timeout=DEFAULT_TIMEOUT):
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        if timeout is None or timeout > self.max_timeout:
            timeout = self.max_timeout
        return super().get_backend_timeout(timeout)

    get = _miss_on_error(_get_default)(RedisCache.get)
    set = _miss_on_error(None)(RedisCache.set)
    add = _miss_on_error(False)(RedisCache.add)
    touch = _miss_on_error(False)(RedisCache.touch)
    delete = _miss_on_error(False)(RedisCache.delete)
    has_key = _miss_on_error(False)(RedisCache.has_key)
    get_many = _miss_on_error(lambda args, kwargs: {})(RedisCache.get_many)
    set_many = _miss_on_error(lambda args, kwargs: list(args[0]) if args else [])(RedisCache.set_many)
    delete_many = _miss_on_error(None)(RedisCache.delete_many)
    clear = _miss_on_error(False)(RedisCache.clear)

    # INCR a counter and refresh its TTL; a missing counter (new, expired, evicted) starts at ARGV[1]
    _BUMP = ("if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[1]) end "
             "local value = redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], ARGV[2]) return value")

    def bump(self, key, start: int, timeout, version=None) -> int | None:
        """``incr`` that starts a missing counter at ``start`` and sets the TTL, in one round trip
        (a script runs whole: no other client sees the counter half made); None when Redis cannot
        answer. Readable by ``get`` as the integer it is."""
        if time.monotonic() < self._skip_until:
            return None
        key = self.make_and_validate_key(key, version=version)
        try:
            return self._cache.get_client(key, write=True).eval(self._BUMP, 1, key, int(start),
                                                                 self.get_backend_timeout(timeout))
        except RedisError as error:
            self._skip_until = time.monotonic() + self.retry_after
            logger.warning("cache bump failed, skipped: %s", error)
            return None

    def incr(self, key, delta=1, version=None):
        """Raises ValueError for a missing key (as Django does) and also when Redis is unreachable
        (at once while Redis is being skipped after an error)."""
        if time.monotonic() < self._skip_until:
            raise ValueError("cache unavailable: skipped after an error")
        try:
            return super().incr(key, delta, version)
        except RedisError as error:
            self._skip_until = time.monotonic() + self.retry_after
            raise ValueError(f"cache unavailable: {error}") from error
