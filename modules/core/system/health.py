"""Health checks on django-health-check.

/health/       liveness: the database only (a load balancer may restart us on failure).
/health/deps/  everything we depend on; warnings answer 200, failures 500. Only for the owner
               (django_rq.admin, as the Health menu item) or a monitor holding HEALTH_TOKEN: it
               tells Redis memory, workers, queue depth and failed jobs.
"""

import dataclasses
import hmac

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseForbidden

from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView
from redis.exceptions import RedisError

from modules.core.outbox import services as outbox

from . import facts

OLDEST_JOB_WARNING_SECONDS = 300


@dataclasses.dataclass
class RedisMemory(HealthCheck):
    """used_memory against maxmemory, the eviction policy and evicted keys."""

    def run(self):
        try:
            f = facts.redis_facts()
        except RedisError as error:
            raise ServiceUnavailable(f"Redis unreachable: {error.__class__.__name__}") from error
        if not f.maxmemory:
            raise ServiceWarning("maxmemory is not set: the cache can grow until the machine swaps")
        if not f.policy.startswith("volatile-"):
            raise ServiceWarning(f"eviction policy {f.policy} can evict queued jobs or refuse enqueues")
        if f.used_ratio >= facts.MEMORY_WARNING_RATIO:
            raise ServiceWarning(
                f"Redis uses {f.used_mb:.1f} MB of {f.max_mb:.1f} MB ({f.used_ratio:.0%}); "
                f"{f.evicted_keys} keys evicted so far"
            )


@dataclasses.dataclass
class RQQueue(HealthCheck):
    """Workers alive, queue depth, age of the oldest queued job and failed jobs."""

    def run(self):
        try:
            q = facts.queue_facts()
        except RedisError as error:
            raise ServiceUnavailable(f"Redis unreachable: {error.__class__.__name__}") from error
        if q.workers == 0:
            raise ServiceUnavailable(f"no RQ worker alive; {q.depth} jobs waiting")
        if q.oldest_age_seconds and q.oldest_age_seconds > OLDEST_JOB_WARNING_SECONDS:
            raise ServiceWarning(f"oldest queued job waits {q.oldest_age_seconds:.0f} s ({q.depth} queued)")
        if q.failed:
            raise ServiceWarning(f"{q.failed} failed jobs in RQ (copies in system.FailedJob)")


@dataclasses.dataclass
class Outbox(HealthCheck):
    """Dead messages (the owner must look) and the age of the oldest waiting one (PostgreSQL only)."""

    def run(self):
        f = outbox.facts()
        if f.dead:
            raise ServiceWarning(f"{f.dead} outbox messages are dead: admin → Outbox, retry once fixed")
        if f.oldest_pending_age_seconds and f.oldest_pending_age_seconds > OLDEST_JOB_WARNING_SECONDS:
            raise ServiceWarning(f"oldest outbox message waits {f.oldest_pending_age_seconds:.0f} s "
                                 f"({f.pending} waiting): are the worker and the scheduler running?")


LIVENESS_CHECKS = ["health_check.checks.Database"]
DEPENDENCY_CHECKS = [
    "health_check.checks.Database",
    "health_check.checks.Cache",
    RedisMemory,
    RQQueue,
    Outbox,
]


HEALTH_PERMISSION = "django_rq.admin"


def has_health_token(request) -> bool:
    token = settings.HEALTH_TOKEN
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode())


class DependencyHealthView(HealthCheckView):
    async def get(self, request, *args, **kwargs):
        if not has_health_token(request):
            user = await request.auser()
            if not user.is_authenticated:
                if "Authorization" in request.headers:
                    return HttpResponseForbidden("Wrong health token.")
                return redirect_to_login(request.get_full_path())
            if not await sync_to_async(user.has_perm)(HEALTH_PERMISSION):
                return HttpResponseForbidden("The dependency health page is for the owner.")
        response = await super().get(request, *args, **kwargs)
        errors = [result.error for result in self.results if result.error]
        if errors and all(isinstance(error, ServiceWarning) for error in errors):
            response.status_code = 200
        return response
