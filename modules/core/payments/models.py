"""Money received, and M-Pesa STK requests on their way to becoming money received."""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from modules.core.businesses.models import Business
from modules.core.ledger.models import MONEY, JournalEntry


class Invoice(models.Model):
    """An amount a customer owes (a delivery, an ad-hoc charge). Implements the payable interface
    (see payments.payable), like sales and laundry orders will."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="invoices")
    customer_phone = models.CharField(max_length=12, blank=True)
    customer = models.ForeignKey("customers.Customer", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="invoices")
    description = models.CharField(max_length=120)
    amount = models.DecimalField(**MONEY)
    issued_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive")]

    def __str__(self):
        return f"Invoice {self.pk}: {self.description}"

    # payable interface
    @property
    def payable_total(self) -> Decimal:
        return self.amount

    @property
    def payable_reference(self) -> str:
        return f"INV{self.pk}"

    def mark_paid(self, when):
        self.paid_at = when
        self.save(update_fields=["paid_at"])


class ForDocument(models.Model):
    """Belongs to a payable document of one business (see payments.services for the interface)."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    document_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    document_id = models.CharField(max_length=64)
    document = GenericForeignKey("document_type", "document_id")

    class Meta:
        abstract = True


class StkRequest(ForDocument):
    """One STK push. Pending rows are the PostgreSQL outbox the reconciler polls with STK Query,
    so a lost callback or a Redis restart loses nothing."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the customer"
        SUCCESS = "success", "Paid"
        CANCELLED = "cancelled", "Cancelled by the customer"
        TIMEOUT = "timeout", "No answer from the phone"
        INSUFFICIENT = "insufficient", "Not enough money in M-Pesa"
        FAILED = "failed", "Failed"

    phone = models.CharField(max_length=12)
    amount = models.PositiveIntegerField(help_text="Whole KES: M-Pesa takes no cents.")
    merchant_request_id = models.CharField(max_length=64, blank=True)
    checkout_request_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    result_code = models.CharField(max_length=32, blank=True, default="",
                                   help_text="Daraja's ResultCode: 1032, or SFC_IC0003 …")
    result_desc = models.CharField(max_length=255, blank=True)
    mpesa_receipt = models.CharField(max_length=20, null=True, blank=True, unique=True)
    settled_by = models.CharField(max_length=10, blank=True)  # "callback" or "query"
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    checks = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_check_at"], name="stk_outbox")]

    def __str__(self):
        return f"M-Pesa KES {self.amount} from {self.phone} ({self.get_status_display()})"

    @property
    def is_final(self):
        return self.status != self.Status.PENDING


class Payment(ForDocument):
    """Money received for a document. What exceeds the amount still due becomes customer credit."""

    class Method(models.TextChoices):
        CASH = "cash", "Cash"
        MPESA = "mpesa", "M-Pesa"

    method = models.CharField(max_length=5, choices=Method.choices)
    amount = models.DecimalField(**MONEY)
    applied = models.DecimalField(**MONEY, help_text="Part of the amount that settles the document.")
    credit = models.DecimalField(**MONEY, help_text="Surplus kept as customer credit.")
    payer_phone = models.CharField(max_length=12, blank=True)
    mpesa_receipt = models.CharField(max_length=20, null=True, blank=True, unique=True)
    stk_request = models.OneToOneField(StkRequest, null=True, blank=True, on_delete=models.PROTECT)
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="payment")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["document_type", "document_id"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0, applied__gte=0, credit__gte=0), name="payment_positive"),
            models.CheckConstraint(condition=Q(amount=models.F("applied") + models.F("credit")),
                                   name="payment_applied_plus_credit"),
        ]

    def __str__(self):
        return f"{self.get_method_display()} KES {self.amount}"
