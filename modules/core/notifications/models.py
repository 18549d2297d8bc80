"""Notifications: one row per recipient, written to PostgreSQL after the sender's transaction commits."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=60)
    message = models.CharField(max_length=255)
    link = models.CharField(max_length=500, blank=True)
    business_code = models.CharField(max_length=20, blank=True)
    object_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    object_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)  # pruned after 180 days
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notif_recipient_latest"),
            # The bell's unread count reads only this small index.
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notif_unread"),
        ]

    def __str__(self):
        return self.message

    @property
    def is_read(self):
        return self.read_at is not None

    @property
    def is_fresh(self):
        """Under a minute old: shown as "just now"."""
        return (timezone.now() - self.created_at).total_seconds() < 60


class Preference(models.Model):
    """A user's choice for one kind; no row means the kind's default (receive it)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=60)
    enabled = models.BooleanField(default=True)
    by_sms = models.BooleanField("also by SMS", default=False,
                                 help_text="Texted to the user's alert phone too (kinds declared with sms=True).")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notif_one_preference_per_kind")]

    def __str__(self):
        return f"{self.user}: {self.kind} {'on' if self.enabled else 'off'}"


class Throttle(models.Model):
    """When a kind was last delivered for an object: the conditional UPDATE on this row lets one
    sender win per window, under any concurrency."""

    kind = models.CharField(max_length=60)
    object_key = models.CharField(max_length=120)  # "<content type id>:<pk>", or a caller's own key
    last_sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_key"], name="notif_one_throttle_per_object")]
