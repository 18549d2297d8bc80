"""The accountant's desk: export jobs and the export log (the audit trail)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ExportJob(models.Model):
    """One export (or import) somebody ran: who, what, when and with which filters, and how far
    it got. Each has one ExportLogEntry, the trail that stays when the job moves on.

    Background exports live here rather than in Redis, so a Redis restart or a killed worker loses no
    job: the exports.resume schedule re-enqueues a job still queued after 5 minutes and one whose
    run died (jobs.run_export holds an advisory lock while it lives)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting"
        RUNNING = "running", "Preparing"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    class Mode(models.TextChoices):
        BACKGROUND = "background", "Background file"
        INLINE = "inline", "Straight download"
        ADMIN = "admin", "Admin list export"
        IMPORT = "import", "Import"

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=80, help_text="What was exported, e.g. ledger.journal_lines.")
    label = models.CharField(max_length=120)
    file_format = models.CharField(max_length=4, default="csv")
    filters = models.JSONField(default=dict, blank=True)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.BACKGROUND)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED, db_index=True)
    rows_done = models.PositiveBigIntegerField(default=0)
    rows_total = models.PositiveBigIntegerField(null=True, blank=True, help_text="Estimate while preparing.")
    file_path = models.CharField(max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Runs started: a run whose worker died is started again, up to jobs.MAX_ATTEMPTS.")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "export"
        permissions = [("import_data", "Can import spreadsheets (items, prices, opening stock, customers)")]

    def __str__(self):
        return f"{self.label} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(self.rows_done * 100 / self.rows_total))

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.EXPIRED)

    @property
    def downloadable(self) -> bool:
        return (self.status == self.Status.DONE and bool(self.file_path)
                and (self.expires_at is None or self.expires_at > timezone.now()))

    @property
    def filename(self) -> str:
        stamp = timezone.localtime(self.created_at).strftime("%Y%m%d-%H%M")
        return f"{self.kind.replace('.', '-')}-{stamp}.{self.file_format}"


class ExportLogEntry(models.Model):
    """Who exported (or imported) what, when, with which filters and how: written with the job,
    append-only for the app's database role (module.py), so nobody erases an export afterwards."""

    job = models.OneToOneField(ExportJob, on_delete=models.PROTECT, related_name="log_entry")
    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=80)
    label = models.CharField(max_length=120)
    file_format = models.CharField(max_length=4)
    filters = models.JSONField(default=dict, blank=True)
    mode = models.CharField(max_length=10, choices=ExportJob.Mode.choices)

    class Meta:
        ordering = ["-at"]
        verbose_name = "export log entry"
        verbose_name_plural = "export log"

    def __str__(self):
        return f"{self.label} by {self.user} ({self.get_mode_display()})"
