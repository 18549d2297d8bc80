"""RQ hooks and jobs of the system core."""

import traceback as tb

from django.db import connection

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
