"""Laundry jobs: a ticket per drop-off, its lines, and an append-only history of what happened."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from modules.core.businesses.models import Business
from modules.core.customers.models import Customer
from modules.core.inventory.models import QUANTITY, Item
from modules.core.ledger.models import MONEY


class Job(models.Model):
    """One drop-off: what came in, when it is promised, what it costs and where it is now.

    The drop-off is a core sale (``sale``: the receipt number is the ticket number, the revenue
    entry, payments of the deposit and the balance, the void on cancellation); the job keeps the
    totals it was billed at and its status flow. It carries the sale engine's glue: a collected
    job's sale may not be voided, a void cancels the job, M-Pesa's Continue comes back to the job.
    ``version`` goes up on every change (optimistic locking, issue 6)."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        WASHING = "washing", _("Washing")
        DRYING = "drying", _("Drying")
        FINISHING = "finishing", _("Ironing/Folding")
        READY = "ready", _("Ready")
        COLLECTED = "collected", _("Collected")
        CANCELLED = "cancelled", _("Cancelled")

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="laundry_jobs")
    sale = models.OneToOneField("sales.Sale", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(help_text="The ticket number: its sale's receipt number.")
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
    cancel_reason = models.CharField(max_length=120, blank=True)
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

    @property
    def paid_at(self):
        return self.sale.paid_at

    # the sale engine's glue (modules.core.sales.services)
    @property
    def sale_label(self) -> str:
        return f"Laundry ticket {self.ticket_number}"

    @property
    def sale_admin_url(self) -> str:
        return reverse("admin:laundry:job", args=[self.pk])

    def sale_void_refused(self, sale) -> str:
        if not self.is_open:
            return f"Ticket {self.ticket_number} is {self.get_status_display()}: it cannot be cancelled."
        return ""

    def sale_voided(self, sale, *, reason, user, at):
        """The sale was voided (from the job's Cancel, or the sales list): the job is cancelled, its
        history says what happened to the money paid."""
        from modules.core.payments.services import amount_paid

        job = Job.objects.select_for_update().get(pk=self.pk)
        note, paid = reason, amount_paid(sale)
        if paid:
            note += f" · KES {paid:,} " + {"cash": "refunded in cash", "credit": "kept as customer credit"}.get(
                sale.void_refund, "given back the way it was paid")
        JobEvent.objects.create(job=job, kind=JobEvent.Kind.CANCELLED, from_status=job.status,
                                to_status=self.Status.CANCELLED, note=note[:200], user=user, at=at)
        job.status, job.cancelled_at, job.cancel_reason = self.Status.CANCELLED, at, reason[:120]
        job.version += 1
        job.save(update_fields=["status", "cancelled_at", "cancel_reason", "version", "updated_at"])


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
        CREATED = "created", _("Dropped off")
        STATUS = "status", _("Status changed")
        PAYMENT = "payment", _("Payment")
        CANCELLED = "cancelled", _("Cancelled")
        NOTE = "note", _("Note")

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
