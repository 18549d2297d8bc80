"""What the simulated gateway keeps (PostgreSQL, so every worker and test thread sees one gateway)."""

from decimal import Decimal

from django.db import models
from django.utils import timezone


class SimSms(models.Model):
    """A message the simulated gateway accepted: what the customer's phone received."""

    message_id = models.CharField(max_length=60, unique=True)
    username = models.CharField(max_length=60)
    to = models.CharField(max_length=16)
    sender = models.CharField(max_length=20, blank=True)
    text = models.TextField()
    cost = models.DecimalField(max_digits=10, decimal_places=4, default=Decimal("0.8000"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]


class SimSmsFault(models.Model):
    KINDS = ("gateway_error", "5xx", "timeout", "lost_answer")
    kind = models.CharField(max_length=16, choices=[(k, k) for k in KINDS])

    class Meta:
        ordering = ["pk"]
