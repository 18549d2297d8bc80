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
    """Something suspicious that changed nothing: a forged callback, an unknown request id…"""

    kind = models.CharField(max_length=60, db_index=True)
    message = models.CharField(max_length=255)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind}: {self.message}"
