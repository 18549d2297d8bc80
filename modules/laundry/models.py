"""Laundry jobs: a ticket per drop-off, its lines, and an append-only history of what happened."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from modules.core.businesses.models import Business
from modules.core.customers.models import Customer
from modules.core.inventory.models import QUANTITY, Item
from modules.core.ledger.models import MONEY, JournalEntry


class TicketCounter(models.Model):
    """Ticket numbers run 1, 2, 3… per business with no gaps (the row is locked while numbering)."""

    business = models.OneToOneField(Business, on_delete=models.PROTECT, primary_key=True, related_name="+")
    last_number = models.PositiveIntegerField(default=0)


class Job(models.Model):
    """One drop-off: what came in, when it is promised, what it costs and where it is now.

    The ledger holds the money (Receivables at drop-off, settled by payments); the job only keeps
    the totals it was billed at. ``version`` goes up on every change (optimistic locking, issue 6)."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        WASHING = "washing", "Washing"
        DRYING = "drying", "Drying"
        FINISHING = "finishing", "Ironing/Folding"
        READY = "ready", "Ready"
        COLLECTED = "collected", "Collected"
        CANCELLED = "cancelled", "Cancelled"

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="laundry_jobs")
    number = models.PositiveIntegerField()
    client_uuid = models.UUIDField(null=True, blank=True, unique=True,
                                   help_text="Made by the drop-off form: sending it twice makes one job.")
    customer_name = models.CharField(max_length=80, blank=True)
    customer_phone = models.CharField(max_length=12, help_text="2547XXXXXXXX: the number given at drop-off.")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="laundry_jobs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    express = models.BooleanField(default=False)
    promised_at = models.DateTimeField("promised for")
    notes = models.TextField(blank=True, help_text="Stains, damages, missing buttons: what the customer was told.")
    total = models.DecimalField(help_text="VAT included.", **MONEY)
    vat = models.DecimalField(**MONEY)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    collected_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=120, blank=True)
    sale_entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                      help_text="Dr Receivables / Cr Sales and VAT, posted at drop-off.")
    version = models.PositiveIntegerField(default=1, help_text="Goes up on every change.")

    class Meta:
        ordering = ["-created_at"]
        permissions = [("cancel_job", "Can cancel a laundry job (its sale is reversed, payments refunded)")]
        constraints = [
            models.UniqueConstraint(fields=["business", "number"], name="laundry_ticket_unique_per_business"),
            models.CheckConstraint(condition=Q(total__gte=0, vat__gte=0), name="laundry_job_amounts_not_negative"),
        ]
        indexes = [models.Index(fields=["business", "status", "promised_at"], name="laundry_job_board")]

    def __str__(self):
        return f"Ticket {self.ticket_number}"

    @property
    def ticket_number(self) -> str:
        return f"LT-{self.number:04d}"

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.COLLECTED, self.Status.CANCELLED)

    # payable interface (modules.core.payments): a cancelled job owes nothing any more
    @property
    def payable_total(self) -> Decimal:
        return Decimal("0.00") if self.status == self.Status.CANCELLED else self.total

    @property
    def payable_reference(self) -> str:
        return self.ticket_number.replace("-", "")[:12]

    @property
    def payable_admin_url(self) -> str:
        """Where the M-Pesa waiting screen's Continue button goes (optional part of the interface)."""
        return reverse("admin:laundry:job", args=[self.pk])

    def mark_paid(self, when):
        self.paid_at = when
        self.save(update_fields=["paid_at", "updated_at"])


class JobLine(models.Model):
    """Kilos or pieces of one service, priced when the job came in. Never edited."""

    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    line_total = models.DecimalField(help_text="VAT included.", **MONEY)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="laundry_line_quantity_positive")]

    def __str__(self):
        return f"{self.quantity.normalize():f} {self.item.unit} × {self.item.name}"


class JobEvent(models.Model):
    """The job's history, one row per change, with who made it and when. Append-only: the
    database role may only INSERT here (Module.append_only), and the model refuses edits too."""

    class Kind(models.TextChoices):
        CREATED = "created", "Dropped off"
        STATUS = "status", "Status changed"
        PAYMENT = "payment", "Payment"
        CANCELLED = "cancelled", "Cancelled"
        NOTE = "note", "Note"

    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_status = models.CharField(max_length=10, choices=Job.Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Job.Status.choices, blank=True)
    note = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.job}: {self.summary}"

    @property
    def business(self):
        return self.job.business

    @property
    def summary(self) -> str:
        if self.kind == self.Kind.STATUS:
            return f"{self.get_from_status_display()} → {self.get_to_status_display()}"
        return self.get_kind_display()

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Job history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Job history is append-only")


class OverdueDigest(models.Model):
    """What the daily check found (one row per business and day) and announced as
    ``laundry.overdue``; the notifications service subscribes to that event."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    overdue_job_ids = models.JSONField(default=list)
    uncollected_job_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["business", "day"], name="laundry_one_digest_per_day")]

    def __str__(self):
        return f"{self.day}: {len(self.overdue_job_ids)} overdue, {len(self.uncollected_job_ids)} uncollected"
