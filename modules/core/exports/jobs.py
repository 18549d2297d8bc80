"""RQ jobs of the exports core: the background export and the scheduled cleanup."""

import errno
import logging
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from . import services
from .models import ExportJob

log = logging.getLogger(__name__)
STALE_QUEUED = timedelta(minutes=5)
STALE_RUNNING = timedelta(hours=4)
TEMP_IMPORT_AGE = timedelta(hours=1)


def run_export(job_id: int) -> str:
    """Claim the job (once, however often it was enqueued) and write its file.

    The run holds a PostgreSQL advisory lock on the job for as long as it lives: when its worker is
    killed (``kill -9``, OOM, a reboot) the server drops the lock with the connection, and
    ``resume`` starts the export again (up to MAX_ATTEMPTS runs). A live run is never doubled."""
    if not _try_lock(job_id):
        return "already running"
    try:
        with transaction.atomic():
            job = (ExportJob.objects.select_for_update(skip_locked=True)
                   .filter(pk=job_id, status__in=(ExportJob.Status.QUEUED, ExportJob.Status.RUNNING)).first())
            if job is None:
                return "already taken"
            if job.attempts >= MAX_ATTEMPTS:  # its runs keep dying (e.g. out of memory): stop trying
                job.status, job.finished_at = ExportJob.Status.FAILED, timezone.now()
                job.error = STOPPED
                job.save(update_fields=["status", "finished_at", "error"])
                return "gave up"
            job.status, job.started_at, job.attempts = ExportJob.Status.RUNNING, timezone.now(), job.attempts + 1
            job.save(update_fields=["status", "started_at", "attempts"])
        try:
            job = services.run(job)
        except Exception as error:
            ExportJob.objects.filter(pk=job_id).update(status=ExportJob.Status.FAILED, finished_at=timezone.now(),
                                                       error=failure_message(error))
            raise  # RQ records it (and system.FailedJob keeps it)
        return f"{job.rows_done} rows"
    finally:
        _unlock(job_id)


LOCK_CLASS = 0x65787074  # "expt": the advisory-lock namespace of running exports
MAX_ATTEMPTS = 3
STOPPED = "The export stopped three times (the server restarted its worker). Start it again, or ask for a shorter period."


def _try_lock(job_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS, job_id])
        return cursor.fetchone()[0]


def _unlock(job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, job_id])


def _runner_alive(job_id: int) -> bool:
    """Some process holds the job's lock, i.e. a run of it is alive (ours is free at once)."""
    if _try_lock(job_id):
        _unlock(job_id)
        return False
    return True


def resume() -> dict:
    """Every minute (schedule exports.resume): start again each export whose run died with its worker
    (running, but no process holds its lock) and each one left queued for STALE_QUEUED (its RQ job
    lost with Redis or taken by a worker killed before the claim). Nothing is lost, nothing is run twice
    at once: a live run holds the lock, and run_export claims under it."""
    now = timezone.now()
    restarted = [pk for pk in ExportJob.objects.filter(status=ExportJob.Status.RUNNING, mode=ExportJob.Mode.BACKGROUND)
                 .values_list("pk", flat=True) if not _runner_alive(pk)]
    requeued = list(ExportJob.objects.filter(status=ExportJob.Status.QUEUED, mode=ExportJob.Mode.BACKGROUND,
                                             created_at__lte=now - STALE_QUEUED).values_list("pk", flat=True))
    for pk in restarted + requeued:
        services.enqueue(pk)
    result = {"restarted": len(restarted), "requeued": len(requeued)}
    if restarted or requeued:
        log.info("exports.resume %s", result)
    return result


def failure_message(error: Exception) -> str:
    """What the person who asked for the export reads on the desk."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return "The server's disk is full, so the file could not be written. The owner has been told."
    return str(error)[:500] or type(error).__name__


def cleanup() -> dict:
    """Delete expired export files, stray partial files and abandoned import uploads; fail jobs still
    running after STALE_RUNNING (longer than the RQ timeout: a run that hangs; a dead run is resumed)."""
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
    stuck = ExportJob.objects.filter(status=ExportJob.Status.RUNNING, started_at__lte=now - STALE_RUNNING).update(
        status=ExportJob.Status.FAILED, finished_at=now, error="The export stopped (worker restarted). Start it again.")
    result = {"expired": expired, "files_removed": removed, "stuck": stuck}
    log.info("exports.cleanup %s", result)
    return result

