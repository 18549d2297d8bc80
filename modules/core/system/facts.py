"""What the owner and the health endpoint need to know about Redis and the job queue."""

from dataclasses import dataclass
from datetime import timezone as dt_timezone

import django_rq
from django.conf import settings
from django.utils import timezone
from rq import Worker

MEMORY_WARNING_RATIO = 0.75


@dataclass
class RedisFacts:
    used_memory: int
    maxmemory: int
    policy: str
    evicted_keys: int

    @property
    def used_mb(self) -> float:
        return self.used_memory / 2**20

    @property
    def max_mb(self) -> float:
        return self.maxmemory / 2**20

    @property
    def used_ratio(self) -> float | None:
        return self.used_memory / self.maxmemory if self.maxmemory else None


@dataclass
class QueueFacts:
    workers: int
    depth: int
    oldest_age_seconds: float | None
    failed: int


def connection():
    return django_rq.get_connection("default")


def redis_facts() -> RedisFacts:
    info = connection().info()
    return RedisFacts(
        used_memory=int(info["used_memory"]),
        maxmemory=int(info.get("maxmemory", 0)),
        policy=str(info.get("maxmemory_policy", "")),
        evicted_keys=int(info.get("evicted_keys", 0)),
    )


def queue_facts() -> QueueFacts:
    conn = connection()
    depth = failed = 0
    oldest = None
    for name in settings.RQ_QUEUES:
        queue = django_rq.get_queue(name)
        depth += queue.count
        failed += queue.failed_job_registry.count
        first = queue.get_job_ids(0, 1)
        job = queue.fetch_job(first[0]) if first else None
        if job and job.enqueued_at:
            enqueued_at = job.enqueued_at
            if timezone.is_naive(enqueued_at):  # RQ stores UTC
                enqueued_at = enqueued_at.replace(tzinfo=dt_timezone.utc)
            age = (timezone.now() - enqueued_at).total_seconds()
            oldest = max(oldest or 0.0, age)
    return QueueFacts(workers=len(live_workers(conn)), depth=depth, oldest_age_seconds=oldest, failed=failed)


def live_workers(conn):
    """Registered workers whose hash still exists (it expires when heartbeats stop)."""
    return [worker for worker in Worker.all(connection=conn) if worker.last_heartbeat]
