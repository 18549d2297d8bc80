"""The owner's compact "system" widget: the same facts as /health/deps/."""

from redis.exceptions import RedisError

from modules.core.outbox import services as outbox

from . import facts
from .models import FailedJob


def system(request, widget):
    context = {"failed_recorded": FailedJob.objects.count(), "outbox": outbox.facts()}
    try:
        context["redis"] = facts.redis_facts()
        context["queue"] = facts.queue_facts()
    except RedisError as error:
        context["redis_error"] = error.__class__.__name__
    context["warning_ratio"] = facts.MEMORY_WARNING_RATIO
    return context
