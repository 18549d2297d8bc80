"""RQ hooks and jobs of the system core."""

import traceback as tb
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from .models import FailedJob


def record_failure(job, exc_type, exc_value, traceback):
    """RQ exception handler (RQ_EXCEPTION_HANDLERS): write the failure to PostgreSQL, then let
    RQ's default handling continue (return True)."""
    connection.close_if_unusable_or_obsolete()
    FailedJob.objects.create(
        job_id=job.id,
        queue=job.origin or "",
        func_name=(job.func_name or "")[:255],
        args_repr=repr((job.args, job.kwargs))[:2000],
        exc_type=getattr(exc_type, "__qualname__", str(exc_type))[:255],
        exc_message=str(exc_value)[:4000],
        traceback="".join(tb.format_exception(exc_type, exc_value, traceback))[-20000:],
        enqueued_at=job.enqueued_at,
    )
    return True


def health_watch():
    """Every minute from the cron scheduler, and re-queued by itself for the next minute through the
    worker's own scheduler, so a silent cron scheduler is still noticed and reported. The job id names
    the minute: however many runs ask, one chained run per minute is scheduled."""
    import django_rq

    from . import watcher

    connection.close_if_unusable_or_obsolete()
    bad = watcher.watch()
    at = timezone.now() + timedelta(seconds=60)
    django_rq.get_queue("default").enqueue_at(at, health_watch, job_id=f"system-health-watch-{at:%Y%m%d%H%M}",
                                              result_ttl=0, failure_ttl=3600)
    return bad


def cron_heartbeat():
    from . import watcher

    watcher.heartbeat()


def verify_ledger():
    from . import watcher

    connection.close_if_unusable_or_obsolete()
    return watcher.verify_ledger()
