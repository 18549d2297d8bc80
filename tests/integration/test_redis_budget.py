"""One Redis shared by the queue and the cache under a fixed budget (issue: foundation 4a)."""

import os
import subprocess
import sys
from pathlib import Path

import django_rq
import pytest
from django.core.cache import caches

from tests.jobs import mark_done

ROOT = Path(__file__).resolve().parents[2]
JOBS = 300
VALUE = b"x" * 8192


@pytest.mark.django_db(databases=[])  # outside a transaction, so enqueues happen at once
def test_queued_jobs_survive_a_cache_flood_of_twice_maxmemory(redis_budget, capsys):
    conn = redis_budget
    used = int(conn.info("memory")["used_memory"])
    budget = used + 8 * 1024 * 1024  # 8 MB above what the server holds now
    conn.config_set("maxmemory", budget)
    conn.config_set("maxmemory-policy", "volatile-lru")
    evicted_before = int(conn.info("stats")["evicted_keys"])

    queue = django_rq.get_queue("default")
    jobs = [queue.enqueue(mark_done, n) for n in range(JOBS)]

    cache = caches["default"]
    written = 0
    n = 0
    while written < 2 * budget:
        cache.set(f"flood:{n}", VALUE, timeout=None)  # clamped to a bounded TTL
        written += len(VALUE)
        n += 1

    evicted = int(conn.info("stats")["evicted_keys"]) - evicted_before
    assert evicted > 0, "the flood should have forced evictions"
    assert queue.count == JOBS
    assert all(conn.exists(job.key) for job in jobs), "a queued job hash was evicted"

    fresh = {f"after:{i}": i for i in range(20)}
    cache.set_many(fresh)
    assert cache.get_many(list(fresh)) == fresh, "the cache stopped working after the flood"

    worker = subprocess.run(
        [sys.executable, "manage.py", "rqworker", "default", "--burst"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.settings.test"},
        capture_output=True, text=True, timeout=300,
    )
    assert worker.returncode == 0, worker.stderr[-2000:]
    assert conn.scard("test:done") == JOBS
    with capsys.disabled():
        print(f"\n[flood] budget {budget / 2**20:.1f} MB, wrote {written / 2**20:.1f} MB of cache, "
              f"evicted {evicted} keys; {JOBS}/{JOBS} queued jobs kept and run")


def test_a_failed_job_is_recorded_in_postgresql(transactional_db):
    from modules.core.system.models import FailedJob
    from tests.jobs import explode

    queue = django_rq.get_queue("default")
    job = queue.enqueue(explode, "boom 42")
    django_rq.get_worker("default").work(burst=True)

    record = FailedJob.objects.get(job_id=job.id)
    assert record.func_name == "tests.jobs.explode"
    assert record.exc_type == "RuntimeError"
    assert record.exc_message == "boom 42"
    assert "raise RuntimeError(message)" in record.traceback
