"""Public surface of the exports core: scoped querysets, starting exports, running them."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

import django_rq
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone

from modules.core.businesses.services import businesses_for
from modules.core.registry.roles import business_codes_for
from modules.core.system import replica

from . import streaming
from .models import ExportJob, ExportLogEntry
from .specs import ExportSpec, spec as get_spec

log = logging.getLogger(__name__)

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def inline_max_rows() -> int:
    """Above this many rows an export is a background job (ledger exports always are)."""
    return getattr(settings, "EXPORTS_INLINE_MAX_ROWS", 2000)


def file_ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "EXPORTS_FILE_HOURS", 24))


def exports_root() -> Path:
    root = Path(getattr(settings, "EXPORTS_ROOT", Path(settings.MEDIA_ROOT) / "private" / "exports"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def may_export(user, spec: ExportSpec) -> bool:
    return user.is_active and user.has_perm(spec.required_permission) and businesses_for(user).exists()


def _final_field(model, path):
    opts, field = model._meta, None
    for part in path.split("__"):
        field = opts.get_field(part)
        if field.is_relation:
            opts = field.related_model._meta
    return field


def _multi_valued(model, path) -> bool:
    opts = model._meta
    for part in path.split("__"):
        field = opts.get_field(part)
        if field.many_to_many or field.one_to_many:
            return True
        if field.is_relation:
            opts = field.related_model._meta
    return False


def clean_filters(user, spec: ExportSpec, data: dict) -> dict:
    """The filters as stored on the job: business code ("" = every business the user sees) and ISO
    dates. A business the user may not see is refused."""
    business = (data.get("business") or "").strip()
    if business and not businesses_for(user).filter(code=business).exists():
        raise PermissionDenied("You cannot export that business.")
    out = {"business": business if spec.business_path else ""}
    for key in ("start", "end"):
        value = data.get(key)
        if isinstance(value, dt.date):
            value = value.isoformat()
        out[key] = (value or "") if spec.date_field else ""
    return out


def scoped_queryset(spec: ExportSpec, user, filters: dict) -> models.QuerySet:
    """The rows this user may export with these filters, ordered by primary key."""
    resource = spec.resource_class()
    model = spec.model
    queryset = resource.get_queryset()
    codes = business_codes_for(user)
    business = filters.get("business") or ""
    if spec.business_path:
        if codes is not None or business:
            allowed = businesses_for(user)
            if business:
                allowed = allowed.filter(code=business)
            lookup = {f"{spec.business_path}__in": allowed}
            if _multi_valued(model, spec.business_path):
                queryset = queryset.filter(pk__in=model.objects.filter(**lookup).values("pk"))
            else:
                queryset = queryset.filter(**lookup)
    elif codes is not None:
        return queryset.none()  # not business data: only for people who see every business
    if spec.date_field:
        field = _final_field(model, spec.date_field)
        start, end = filters.get("start"), filters.get("end")
        start = dt.date.fromisoformat(start) if start else None
        end = dt.date.fromisoformat(end) if end else None
        if isinstance(field, models.DateTimeField):
            zone = timezone.get_current_timezone()
            if start:
                queryset = queryset.filter(**{f"{spec.date_field}__gte": dt.datetime.combine(start, dt.time(), zone)})
            if end:
                after = dt.datetime.combine(end + timedelta(days=1), dt.time(), zone)
                queryset = queryset.filter(**{f"{spec.date_field}__lt": after})
        else:
            if start:
                queryset = queryset.filter(**{f"{spec.date_field}__gte": start})
            if end:
                queryset = queryset.filter(**{f"{spec.date_field}__lte": end})
    return queryset.order_by("pk")


def is_large(spec: ExportSpec, queryset) -> bool:
    """Ledger exports always go to the background; others when above the threshold (a LIMITed
    count: never a full COUNT(*) in the request)."""
    limit = inline_max_rows()
    return spec.background or queryset.order_by()[: limit + 1].count() > limit


@transaction.atomic
def start_export(user, spec: ExportSpec, file_format: str, filters: dict) -> ExportJob:
    """Create the job row and enqueue it once committed: the request does nothing else."""
    if not may_export(user, spec):
        raise PermissionDenied
    if file_format not in FORMATS:
        raise ValueError(f"unknown format {file_format!r}")
    job = _logged(ExportJob.objects.create(requested_by=user, kind=spec.key, label=spec.label,
                                           file_format=file_format, filters=filters, mode=ExportJob.Mode.BACKGROUND))
    transaction.on_commit(lambda: enqueue(job.pk))
    return job


def enqueue(job_id: int) -> None:
    django_rq.get_queue("default").enqueue("modules.core.exports.jobs.run_export", job_id, job_timeout=3 * 3600,
                                           result_ttl=600, failure_ttl=7 * 24 * 3600)


@transaction.atomic
def record(user, *, kind, label, file_format, filters, mode, rows) -> ExportJob:
    """Audit row of an export served in the request (small desk exports, the admin's export)."""
    now = timezone.now()
    return _logged(ExportJob.objects.create(requested_by=user, kind=kind, label=label, file_format=file_format,
                                            filters=filters, mode=mode, status=ExportJob.Status.DONE, rows_done=rows,
                                            rows_total=rows, started_at=now, finished_at=now))


def _logged(job: ExportJob) -> ExportJob:
    """Write the job's entry in the append-only export log (same transaction as the job)."""
    ExportLogEntry.objects.create(job=job, at=job.created_at, user_id=job.requested_by_id, kind=job.kind,
                                  label=job.label, file_format=job.file_format, filters=job.filters, mode=job.mode)
    return job


def run(job: ExportJob) -> ExportJob:
    """Write the job's file (called by the RQ job, see jobs.run_export)."""
    spec = get_spec(job.kind)
    user = job.requested_by
    if spec is None or not may_export(user, spec):
        raise PermissionDenied(f"{user} may no longer export {job.kind}")
    queryset = scoped_queryset(spec, user, job.filters)
    with replica.reads():  # a fresh hot standby, when there is one (system/replica.py), carries the export
        total = queryset.order_by().count()
    ExportJob.objects.filter(pk=job.pk).update(rows_total=total)
    root = exports_root()
    path = root / f"{job.pk}-{secrets.token_hex(8)}.{job.file_format}"
    partial = path.with_suffix(path.suffix + ".part")

    def progress(done):
        ExportJob.objects.filter(pk=job.pk).update(rows_done=done, rows_total=max(total, done))

    try:
        with replica.reads():
            done = streaming.write(spec.resource_class(), queryset, job.file_format, partial, progress,
                                   title=spec.label)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    now = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE, rows_done=done, rows_total=done, file_path=path.name,
        file_size=path.stat().st_size, finished_at=now, expires_at=now + file_ttl())
    job.refresh_from_db()
    return job


def file_of(job: ExportJob) -> Path | None:
    if not job.file_path:
        return None
    path = exports_root() / Path(job.file_path).name
    return path if path.exists() else None
