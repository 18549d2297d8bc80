"""`make run`'s supervisor (ops/run.py): a dead embedded Redis is started again with its data, and
a child that exits is restarted with backoff; nothing else is stopped."""

import os
import signal
import sys
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "ops"))
import run  # noqa: E402
import services  # noqa: E402


def test_a_killed_embedded_redis_comes_back_with_its_queued_data(tmp_path):
    url = services.redis_up(tmp_path)
    try:
        client = redis.Redis.from_url(url)
        client.lpush("rq:queue:default", "job-1")  # no TTL: what a queued job looks like
        time.sleep(1.2)  # appendfsync everysec
        os.kill(int((tmp_path / "redis" / "redis.pid").read_text()), signal.SIGKILL)
        time.sleep(0.2)
        assert not services.redis_alive(tmp_path)

        supervisor = run.EmbeddedRedis(tmp_path)
        supervisor.check()
        assert services.redis_alive(tmp_path)
        assert redis.Redis.from_url(url).lrange("rq:queue:default", 0, -1) == [b"job-1"]
    finally:
        services.redis_down(tmp_path)


def test_an_exiting_child_is_restarted_with_growing_backoff_and_the_others_keep_running():
    crashing = run.Child("scheduler", [sys.executable, "-c", "raise SystemExit(1)"], dict(os.environ))
    steady = run.Child("web", [sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ))
    crashing.start()
    steady.start()
    try:
        delays = []
        deadline = time.monotonic() + 30
        while crashing.restarts < 3 and time.monotonic() < deadline:
            crashing.check()
            steady.check()
            if crashing.restart_at is not None and (not delays or delays[-1][0] != crashing.restarts):
                delays.append((crashing.restarts, crashing.restart_at - time.monotonic()))
            time.sleep(0.05)
        assert crashing.restarts == 3
        waits = [round(delay) for _, delay in delays[:3]]
        assert waits == [1, 2, 4], waits
        assert steady.process.poll() is None and steady.restarts == 0
    finally:
        for child in (crashing, steady):
            child.stop()
            child.wait()
