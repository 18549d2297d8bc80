"""The shared cache: bounded TTLs on every write, and Redis errors become misses."""

import pytest
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT

from backoffice.cache import ResilientRedisCache

pytestmark = pytest.mark.django_db(databases=[])


def ttl_of(cache, key):
    return cache._cache.get_client(cache.make_and_validate_key(key)).ttl(cache.make_and_validate_key(key))


def test_timeout_none_is_clamped_to_the_maximum():
    cache = caches["default"]
    cache.set("forever", "x", timeout=None)
    assert 0 < ttl_of(cache, "forever") <= cache.max_timeout


def test_a_timeout_above_the_maximum_is_clamped():
    cache = caches["default"]
    cache.set("long", "x", timeout=cache.max_timeout * 10)
    assert cache.max_timeout - 5 <= ttl_of(cache, "long") <= cache.max_timeout


@pytest.mark.parametrize("write", ["add", "set_many", "get_or_set", "touch"])
def test_every_write_path_carries_a_ttl(write):
    cache = caches["default"]
    if write == "add":
        cache.add("k", 1, timeout=None)
    elif write == "set_many":
        cache.set_many({"k": 1}, timeout=None)
    elif write == "get_or_set":
        cache.get_or_set("k", 1, timeout=None)
    else:
        cache.set("k", 1, timeout=10)
        cache.touch("k", timeout=None)
    assert 0 < ttl_of(cache, "k") <= cache.max_timeout


def test_the_default_timeout_applies_when_none_is_given():
    cache = caches["default"]
    cache.set("plain", "x")
    assert cache.default_timeout - 5 <= ttl_of(cache, "plain") <= cache.default_timeout


def test_a_configured_default_of_none_is_clamped_too():
    cache = ResilientRedisCache("redis://127.0.0.1:1/0", {"TIMEOUT": None, "MAX_TIMEOUT": 60})
    assert cache.get_backend_timeout(DEFAULT_TIMEOUT) == 60


def test_unreachable_redis_is_a_miss_not_an_error(tmp_path):
    dead = ResilientRedisCache(
        f"unix://{tmp_path}/nothing-listens-here.sock",
        {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}},
    )
    assert dead.get("k") is None
    assert dead.get("k", "fallback") == "fallback"
    dead.set("k", 1)  # no exception
    assert dead.add("k", 1) is False
    assert dead.get_many(["a", "b"]) == {}
    assert dead.get_or_set("k", 7) == 7
    with pytest.raises(ValueError):
        dead.incr("k")


def test_after_an_error_redis_is_skipped_for_a_while(tmp_path, monkeypatch):
    dead = ResilientRedisCache(f"unix://{tmp_path}/none.sock", {"RETRY_AFTER": 60})
    assert dead.get("k") is None
    calls = []
    monkeypatch.setattr(dead._cache, "get", lambda *a, **k: calls.append(a))
    assert dead.get("k") is None
    assert calls == [], "the back-off should not touch Redis again"
