"""RQ jobs of the exports core: the background export and the scheduled cleanup."""

import errno
import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from . import services
from .models import ExportJob

log = logging.getLogger(__name__)
STALE_QUEUED = timedelta(minutes=15)
STALE_RUNNING = timedelta(hours=4)
TEMP_IMPORT_AGE = timedelta(hours=1)


def run_export(job_id: int) -> str:
    """Claim the job (once, however often it was enqueued) and write its file."""
    with transaction.atomic():
        job = (ExportJob.objects.select_for_update(skip_locked=True)
               .filter(pk=job_id, status=ExportJob.Status.QUEUED).first())
        if job is None:
            return "already taken"
        job.status, job.started_at = ExportJob.Status.RUNNING, timezone.now()
        job.save(update_fields=["status", "started_at"])
    try:
        job = services.run(job)
    except Exception as error:
        ExportJob.objects.filter(pk=job_id).update(status=ExportJob.Status.FAILED, finished_at=timezone.now(),
                                                   error=failure_message(error))
        raise  # RQ records it (and system.FailedJob keeps it)
    return f"{job.rows_done} rows"


def failure_message(error: Exception) -> str:
    """What the person who asked for the export reads on the desk."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return "The server's disk is full, so the file could not be written. The owner has been told."
    return str(error)[:500] or type(error).__name__


def cleanup() -> dict:
    """Delete expired export files, stray partial files and abandoned import uploads; re-enqueue
    jobs left queued (e.g. Redis restarted) and fail jobs stuck running (worker killed)."""
    now = timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(status=ExportJob.Status.DONE, expires_at__lte=now):
        path = services.file_of(job)
        if path:
            path.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.EXPIRED, file_path="")
        expired += 1
    root = services.exports_root()
    kept = set(ExportJob.objects.filter(status=ExportJob.Status.DONE).exclude(file_path="")
               .values_list("file_path", flat=True))
    running = set(ExportJob.objects.filter(status=ExportJob.Status.RUNNING).values_list("pk", flat=True))
    removed = 0
    cutoff = (now - TEMP_IMPORT_AGE).timestamp()
    for path in root.iterdir():
        if path.is_dir():
            continue
        job_id = path.name.split("-", 1)[0]
        in_use = path.name in kept or (path.suffix == ".part" and job_id.isdigit() and int(job_id) in running)
        if not in_use and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    uploads = root / "imports"
    if uploads.exists():
        for path in uploads.iterdir():
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
    requeued = 0
    for job in ExportJob.objects.filter(status=ExportJob.Status.QUEUED, mode=ExportJob.Mode.BACKGROUND,
                                        created_at__lte=now - STALE_QUEUED):
        services.enqueue(job.pk)
        requeued += 1
    stuck = ExportJob.objects.filter(status=ExportJob.Status.RUNNING, started_at__lte=now - STALE_RUNNING).update(
        status=ExportJob.Status.FAILED, finished_at=now, error="The export stopped (worker restarted). Start it again.")
    result = {"expired": expired, "files_removed": removed, "requeued": requeued, "stuck": stuck}
    log.info("exports.cleanup %s", result)
    return result

