"""The one table reports own: the daily cash-up (counted cash against the ledger's Cash account)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from modules.core.businesses.models import Business
from modules.core.ledger.models import MONEY, JournalEntry


class CashUp(models.Model):
    """Staff count the cash drawer at the end of a day. ``expected`` is the ledger's Cash balance at
    the end of that day when the count was entered; a variance is posted only once approved."""

    class Status(models.TextChoices):
        BALANCED = "balanced", "Balanced (no difference)"
        PENDING = "pending", "Waiting for approval"
        POSTED = "posted", "Approved, difference posted"
        REJECTED = "rejected", "Rejected (nothing posted)"

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    expected = models.DecimalField(help_text="Cash account balance at the end of the day, when counted.", **MONEY)
    counted = models.DecimalField(**MONEY)
    counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    counted_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    journal_entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-day", "business", "-pk"]
        verbose_name = "cash-up"
        constraints = [
            # one live count per business and day; a rejected count may be counted again
            models.UniqueConstraint(fields=["business", "day"], condition=~Q(status="rejected"),
                                    name="cashup_one_live_per_business_day"),
            models.CheckConstraint(condition=Q(counted__gte=0), name="cashup_counted_not_negative"),
        ]

    def __str__(self):
        return (f"Cash-up {self.business.name} {self.day:%d %b %Y}: counted KES {self.counted:,}, "
                f"expected KES {self.expected:,} ({self.variance_label})")

    @property
    def variance(self):
        return self.counted - self.expected

    @property
    def variance_label(self):
        v = self.variance
        return "no difference" if not v else (f"KES {v:,} over" if v > 0 else f"KES {-v:,} short")

    def approval_details(self) -> list[tuple[str, str]]:
        """What the approver reads on the phone (approvals' decide page)."""
        return [("Business", self.business.name), ("Day", f"{self.day:%a %d %b %Y}"),
                ("Counted", f"KES {self.counted:,.2f}"), ("Expected (ledger cash)", f"KES {self.expected:,.2f}"),
                ("Difference", self.variance_label), ("Counted by", str(self.counted_by or "")),
                ("Note", self.note or "—"), ("Cash-up status", self.get_status_display())]

    def on_approval_closed(self, request):
        """Rejected or cancelled: nothing is posted; the day may be counted again."""
        CashUp.objects.filter(pk=self.pk, status=self.Status.PENDING).update(status=self.Status.REJECTED)
