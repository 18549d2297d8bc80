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
    business_shortcode = models.CharField(max_length=10, default="")
    party_b = models.CharField(max_length=10, default="", help_text="The paybill or till the money goes to")
    transaction_type = models.CharField(max_length=24, default="CustomerPayBillOnline")
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


class SimulatedC2BRegistration(models.Model):
    """The URLs a business registered for a paybill or till (C2B register URL)."""

    shortcode = models.CharField(max_length=10, unique=True)
    validation_url = models.URLField(max_length=500)
    confirmation_url = models.URLField(max_length=500)
    response_type = models.CharField(max_length=10)
    registered_at = models.DateTimeField(default=timezone.now)


class SimulatedC2BPayment(models.Model):
    """A customer paying a till or paybill from their own phone (what Daraja's C2B simulate starts)."""

    trans_id = models.CharField(max_length=10, unique=True)
    shortcode = models.CharField(max_length=10)
    command_id = models.CharField(max_length=24)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    phone = models.CharField(max_length=12)
    bill_ref = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=30, blank=True)
    completed = models.BooleanField(default=False, help_text="False: the validation URL refused it")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
