"""Money the owner moves outside a sale (banking, floats, drawings, capital, petty cash, cash
between businesses), the accountant's manual journals and opening balances. Each is a document
whose one balanced entry (two for cash between businesses) is posted through ledger.post()."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from modules.core.businesses.models import Business
from modules.core.ledger.models import MONEY, Account, JournalEntry

USER = settings.AUTH_USER_MODEL


class Limits(models.Model):
    """What the owner lets others do alone (one row, edited on the limits page)."""

    movement_threshold = models.DecimalField(
        "staff money movements from (KES)", default=Decimal("5000"), validators=[MinValueValidator(0)], **MONEY,
        help_text="A movement staff start at or above this waits for the owner's approval.")
    journal_threshold = models.DecimalField(
        "manual journals from (KES)", default=Decimal("10000"), validators=[MinValueValidator(0)], **MONEY,
        help_text="A journal the accountant posts at or above this (its debits) waits for the owner's approval.")
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "approval limits"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="money_limits_single_row")]

    def __str__(self):
        return f"Movements from KES {self.movement_threshold:,}, journals from KES {self.journal_threshold:,}"

    @classmethod
    def current(cls) -> "Limits":
        return cls.objects.get_or_create(pk=1)[0]


class Status(models.TextChoices):
    POSTED = "posted", "Posted"
    PENDING = "pending", "Waiting for approval"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    REVERSED = "reversed", "Posted, then reversed"


class Movement(models.Model):
    class Kind(models.TextChoices):
        BANK_DEPOSIT = "bank_deposit", "Bank the cash"
        MPESA_TO_BANK = "mpesa_to_bank", "M-Pesa to bank"
        FLOAT_IN = "float_in", "Float into the drawer"
        FLOAT_OUT = "float_out", "Float back to the owner"
        PETTY_CASH = "petty_cash", "Petty cash expense"
        DRAWINGS = "drawings", "Owner's drawings"
        CAPITAL = "capital", "Owner puts money in"
        TRANSFER = "transfer", "Cash to another business"

    class Till(models.TextChoices):
        CASH = "cash", "Cash"
        MPESA = "mpesa", "M-Pesa"
        BANK = "bank", "Bank"

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="money_movements")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.DecimalField("amount (KES)", **MONEY)
    charge = models.DecimalField("transfer charge (KES)", default=0, **MONEY)
    till = models.CharField("from / into", max_length=8, choices=Till.choices, default=Till.CASH)
    category = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 help_text="The expense category (petty cash).")
    to_business = models.ForeignKey(Business, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    reference = models.CharField(max_length=40, blank=True, help_text="Deposit slip or M-Pesa code.")
    note = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-day", "-pk"]
        verbose_name = "money movement"
        permissions = [("move_owner_money", "Can record drawings, capital and cash between businesses")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="movement_amount_positive"),
            models.CheckConstraint(condition=Q(charge__gte=0) & Q(charge__lt=models.F("amount")),
                                   name="movement_charge_below_amount"),
        ]
        indexes = [models.Index(fields=["business", "day"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.pk}: KES {self.amount:,} ({self.business.name}{self._detail()})"

    def _detail(self):
        if self.kind == self.Kind.TRANSFER and self.to_business_id:
            return f" → {self.to_business.name}"
        if self.kind == self.Kind.PETTY_CASH and self.category_id:
            return f", {self.category.name}"
        if self.kind in (self.Kind.DRAWINGS, self.Kind.CAPITAL):
            return f", {self.get_till_display()}"
        return ""

    def approval_details(self):
        rows = [("What", self.get_kind_display()), ("Day", f"{self.day:%d %b %Y}")]
        if self.charge:
            rows.append(("Charge", f"KES {self.charge:,.2f}"))
        if self.reference:
            rows.append(("Reference", self.reference))
        if self.note:
            rows.append(("Note", self.note))
        return rows + [("Movement status", self.get_status_display())]

    def on_approval_closed(self, request):
        status = Status.REJECTED if request.status == "rejected" else Status.CANCELLED
        Movement.objects.filter(pk=self.pk, status=Status.PENDING).update(status=status)


class Journal(models.Model):
    """A manual journal by the accountant (or the owner): balanced or refused, posted once, never
    edited afterwards; a correction is its reversal."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="manual_journals")
    day = models.DateField()
    memo = models.CharField(max_length=200)
    total = models.DecimalField("debits (KES)", **MONEY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-day", "-pk"]
        verbose_name = "manual journal"
        constraints = [models.CheckConstraint(condition=Q(total__gt=0), name="journal_total_positive")]

    def __str__(self):
        return f"Journal {self.pk}: {self.memo} (KES {self.total:,}, {self.business.name})"

    def approval_details(self):
        lines = "; ".join(f"{line.account.code} {line.account.name} "
                          f"{'Dr' if line.debit else 'Cr'} {line.debit or line.credit:,}"
                          for line in self.lines.select_related("account"))
        return [("Day", f"{self.day:%d %b %Y}"), ("Lines", lines), ("Journal status", self.get_status_display())]

    def on_approval_closed(self, request):
        status = Status.REJECTED if request.status == "rejected" else Status.CANCELLED
        Journal.objects.filter(pk=self.pk, status=Status.PENDING).update(status=status)


class JournalDraftLine(models.Model):
    """A line as the accountant wrote it, kept while the journal waits; posting copies it into the
    ledger, where it can no longer change."""

    journal = models.ForeignKey(Journal, on_delete=models.CASCADE, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    debit = models.DecimalField(default=0, **MONEY)
    credit = models.DecimalField(default=0, **MONEY)

    class Meta:
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=(Q(debit__gt=0, credit=0) | Q(debit=0, credit__gt=0)),
                                              name="journal_draft_line_one_sided")]


class OpeningBalances(models.Model):
    """One business's opening balances, posted as one entry (the difference to owner's equity).
    Posting them again reverses the earlier entry first."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField(help_text="The balances at the end of this day (the day before you start).")
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.POSTED)

    class Meta:
        ordering = ["-pk"]
        verbose_name = verbose_name_plural = "opening balances"

    def __str__(self):
        return f"Opening balances of {self.business.name} at {self.as_of:%d %b %Y}"
