from django.db import models
from django.utils import timezone

from .outcomes import OUTCOMES


class SimulatedAccessToken(models.Model):
    """An OAuth token the simulator handed out (in PostgreSQL so every gunicorn worker knows it)."""

    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()


class SimulatedStkPush(models.Model):
    """One accepted STK push; its outcome is fixed when it arrives and revealed at ``settles_at``."""

    checkout_request_id = models.CharField(max_length=64, unique=True)
    merchant_request_id = models.CharField(max_length=64)
    phone = models.CharField(max_length=12)
    amount = models.DecimalField(max_digits=12, decimal_places=2)  # KES
    account_reference = models.CharField(max_length=12)
    callback_url = models.URLField(max_length=500)
    outcome = models.CharField(max_length=20, choices=[(o.key, o.label) for o in OUTCOMES.values()])
    receipt = models.CharField(max_length=10, unique=True, null=True, blank=True)  # paid outcomes only
    created_at = models.DateTimeField(default=timezone.now)
    settles_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.checkout_request_id} {self.phone} KES {self.amount} {self.outcome}"

    @property
    def result(self):
        return OUTCOMES[self.outcome]
