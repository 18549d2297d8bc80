"""Every text the businesses send (or chose not to send), and the replies customers send back.

``SmsMessage`` is not append-only: its status moves (queued → sent → delivered) as the worker and
the gateway's delivery reports tell us, so the app role may UPDATE it (default grants)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.customers.models import Customer


class SmsMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to send"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Not sent: customer opted out"
        FAILED = "failed", "Failed"
        UNKNOWN = "unknown", "Maybe sent (not resent)"

    business = models.ForeignKey(Business, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="sms_messages", help_text="Empty: the owner's own alert.")
    key = models.CharField(max_length=200, unique=True,
                           help_text="<kind>:<document>: one message per document and kind, ever.")
    kind = models.CharField(max_length=40, db_index=True)
    phone = models.CharField(max_length=12, help_text="2547XXXXXXXX")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="sms_messages")
    text = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED, db_index=True)
    error = models.CharField(max_length=300, blank=True)
    settled_attempts = models.PositiveIntegerField(
        default=0, help_text="The last outbox attempt known to have ended without sending (gateway refused).")
    gateway_message_id = models.CharField(max_length=100, blank=True, db_index=True)
    cost = models.DecimalField("cost (KES)", max_digits=10, decimal_places=4, default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivery_status = models.CharField(max_length=20, blank=True, help_text="From the gateway's delivery report.")
    delivery_failure = models.CharField(max_length=60, blank=True)
    delivery_reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["business", "sent_at"], name="sms_cost_by_month")]

    def __str__(self):
        return f"{self.kind} to {self.phone} ({self.get_status_display()})"


class SmsReply(models.Model):
    """A text a customer sent to our short code or sender (Africa's Talking's incoming callback)."""

    gateway_id = models.CharField(max_length=100, unique=True)
    phone = models.CharField(max_length=16)
    text = models.CharField(max_length=480)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    opted_out = models.BooleanField(default=False, help_text="A STOP text that set the customer's opt-out.")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name_plural = "SMS replies"


class ShortLink(models.Model):
    """A short address for a text (``/s/<slug>/``) that redirects to a page of the site (a signed
    receipt or statement link). The slug is random (48 bits), so links cannot be guessed; one link
    per ``key`` (the text's key), so a replayed event makes no second link."""

    slug = models.CharField(max_length=16, unique=True)
    key = models.CharField(max_length=200, unique=True)
    target = models.CharField(max_length=500, help_text="A path of this site, e.g. /r/<signed token>/.")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"/s/{self.slug}/"


class AlertPhone(models.Model):
    """Where a user's alerts chosen "also by SMS" (notification settings) are texted."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(max_length=12, help_text="2547XXXXXXXX")

    def __str__(self):
        return f"{self.user}: {self.phone}"
