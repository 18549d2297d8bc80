"""Approval requests attached to any document, and the one small document this app owns: expense
requests (petty cash and expenses). Other modules' documents live with them (inventory's transfer
requests and counts, purchasing's orders)."""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from modules.core.businesses.models import Business

MONEY = {"max_digits": 14, "decimal_places": 2}
USER = settings.AUTH_USER_MODEL


class ApprovalRequest(models.Model):
    """One request to approve one document; at most one is pending per document at a time."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="approval_requests")
    document_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    document_id = models.CharField(max_length=64)
    document = GenericForeignKey("document_type", "document_id")
    summary = models.CharField(max_length=200, help_text="What the document was when approval was asked.")
    amount = models.DecimalField("amount (KES)", **MONEY)
    reason = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    requested_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    needs_second = models.BooleanField("needs a second approver", default=False)
    # the first of two approvals (rules with second_approver=True)
    first_approved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    first_approved_at = models.DateTimeField(null=True, blank=True)
    first_ip = models.GenericIPAddressField("first approver's IP", null=True, blank=True)
    first_device = models.CharField("first approver's device", max_length=255, blank=True)
    # the decision
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_ip = models.GenericIPAddressField("IP", null=True, blank=True)
    decision_device = models.CharField("device", max_length=255, blank=True, help_text="The browser's user agent.")
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        permissions = [("decide_approvalrequest", "Can approve or reject approval requests")]
        constraints = [
            models.UniqueConstraint(fields=["document_type", "document_id"], condition=Q(status="pending"),
                                    name="one_pending_approval_per_document"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="approval_amount_not_negative"),
            models.CheckConstraint(condition=Q(status="pending") | Q(decided_at__isnull=False),
                                   name="decided_requests_have_a_time"),
        ]
        indexes = [models.Index(fields=["document_type", "document_id"])]

    def __str__(self):
        return f"#{self.pk} {self.summary}"


class ApprovalDecision(models.Model):
    """One act on an approval request: the first of two approvals, the approval, the rejection or
    the cancellation. The audit trail: append-only for the app's database role (module.py)."""

    class Action(models.TextChoices):
        FIRST_APPROVAL = "first_approval", _("First approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    request = models.ForeignKey(ApprovalRequest, on_delete=models.PROTECT, related_name="decisions")
    action = models.CharField(max_length=16, choices=Action.choices)
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField("IP", null=True, blank=True)
    device = models.CharField(max_length=255, blank=True, help_text="The browser's user agent.")
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_action_display()} by {self.user} ({self.request_id})"


class ExpenseRequest(models.Model):
    """Staff ask for petty cash or an expense; approval pays it and posts it to the ledger."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        MPESA = "mpesa", _("M-Pesa")
        BANK = "bank", _("Bank")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        PAID = "paid", _("Approved and paid")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="expense_requests")
    amount = models.DecimalField("amount (KES)", validators=[MinValueValidator(Decimal("1"))], **MONEY)
    category = models.ForeignKey("ledger.Account", null=True, on_delete=models.PROTECT, related_name="+",
                                 help_text="An expense category (an expense account) of the business.")
    description = models.CharField(max_length=200)
    method = models.CharField("paid by", max_length=8, choices=Method.choices, default=Method.CASH)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    journal_entry = models.ForeignKey("ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="expense_amount_positive")]

    def __str__(self):
        return f"Expense {self.pk}: KES {self.amount:,} {self.category_name.lower()} ({self.description})"

    @property
    def category_name(self):
        return self.category.name if self.category_id else "uncategorised"

    def approval_details(self) -> list[tuple[str, str]]:
        """What the approver reads on the phone (approvals' decide page)."""
        return [(_("For"), self.description), (_("Category"), self.category_name),
                (_("Paid from"), self.get_method_display()), (_("Expense status"), self.get_status_display())]

    def on_approval_closed(self, request):
        """The request was rejected or cancelled: so is the expense (nothing was paid)."""
        status = self.Status.REJECTED if request.status == ApprovalRequest.Status.REJECTED else self.Status.CANCELLED
        ExpenseRequest.objects.filter(pk=self.pk, status=self.Status.PENDING).update(status=status)

