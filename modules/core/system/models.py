from django.db import models


class FailedJob(models.Model):
    """A durable copy of an RQ failure: Redis may evict its failure hash under memory pressure."""

    job_id = models.CharField(max_length=64, db_index=True)
    queue = models.CharField(max_length=64)
    func_name = models.CharField(max_length=255)
    args_repr = models.TextField(blank=True)
    exc_type = models.CharField(max_length=255)
    exc_message = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-failed_at"]

    def __str__(self):
        return f"{self.func_name} ({self.exc_type})"


class SecurityEvent(models.Model):
    """Something suspicious that changed nothing: a forged callback, an unknown request id…

    One row per kind, address and minute (``services.security_event``): the first event of the
    minute writes the row, its repeats only raise ``count``. The app's database role may insert
    rows and raise that one column, nothing else (a trigger refuses lowering it); rows written
    before counting began have no ``minute``."""

    kind = models.CharField(max_length=60, db_index=True)
    message = models.CharField(max_length=255)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    minute = models.DateTimeField(null=True, blank=True, editable=False,
                                  help_text="The minute the events happened in (repeats are counted).")
    count = models.PositiveIntegerField(default=1, db_default=1, editable=False,
                                        help_text="How many times it happened from this address in that minute.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "ip_address", "minute"], nulls_distinct=False,
                                    condition=models.Q(minute__isnull=False), name="securityevent_one_per_minute"),
        ]

    def __str__(self):
        return f"{self.kind}: {self.message}"


class BackupRun(models.Model):
    """One run of the nightly backup (ops/backup.py writes it as the owner role): the health watcher
    warns when the last good one is too old or its off-site copy failed."""

    stamp = models.CharField(max_length=13, help_text="YYYYmmdd-HHMM, the name of the backup set")
    finished_at = models.DateTimeField(db_index=True)
    ok = models.BooleanField()
    offsite_ok = models.BooleanField()
    db_bytes = models.BigIntegerField(default=0)
    media_bytes = models.BigIntegerField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-finished_at"]

    def __str__(self):
        return f"backup {self.stamp} ({'ok' if self.ok else 'failed'})"


class WatchedCondition(models.Model):
    """One condition of the health watcher (``watcher.CONDITIONS``): whether it is bad now, since
    when, and when the owner was last told (alerts repeat every few hours, then say "resolved")."""

    key = models.CharField(max_length=40, primary_key=True)
    active = models.BooleanField(default=False)
    since = models.DateTimeField(null=True, blank=True)
    last_alert_at = models.DateTimeField(null=True, blank=True)
    message = models.CharField(max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return f"{self.key}: {'bad' if self.active else 'ok'}"
