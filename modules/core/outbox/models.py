from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class Message(models.Model):
    """Work that must happen because a transaction committed, written in that same transaction.

    Pending until a worker runs its topic's handler and marks it done in one transaction; dead
    after the topic's ``max_attempts`` failures (the owner sees it and may retry it).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        DEAD = "dead", "Dead"

    topic = models.CharField(max_length=80)
    key = models.CharField(max_length=200, help_text="Unique per topic: enqueuing the same key again does nothing.")
    payload = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    business_code = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "key"], name="outbox_message_topic_key")]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="outbox_pending_due",
                         condition=models.Q(status="pending")),
            models.Index(fields=["status", "created_at"], name="outbox_status_created"),
        ]
        ordering = ["-id"]

    def __str__(self):
        return f"{self.topic} {self.key}"
