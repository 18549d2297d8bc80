"""Double-entry ledger. PostgreSQL enforces balance, append-only lines and the business of each
line (migration 0002) and fixed account meaning (0003); Python posts only through services.post().
Tamper evidence (seals, the chain, anchors): chain.py."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone

from modules.core.businesses.models import Business

MONEY = {"max_digits": 14, "decimal_places": 2}


class Account(models.Model):
    class Kind(models.TextChoices):
        ASSET = "asset", "Asset"
        LIABILITY = "liability", "Liability"
        EQUITY = "equity", "Equity"
        REVENUE = "revenue", "Revenue"
        EXPENSE = "expense", "Expense"

    DEBIT_NORMAL = {Kind.ASSET, Kind.EXPENSE}

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="accounts")
    code = models.CharField(max_length=10)
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    allow_negative = models.BooleanField(
        default=True, help_text="Off for cash and M-Pesa: a posting that would take them below zero is refused."
    )
    is_active = models.BooleanField(default=True)
    seal = models.CharField(max_length=64, blank=True, editable=False,
                            help_text="HMAC of what the account means (chain.account_seal); set on every save.")

    class Meta:
        ordering = ["business", "code"]
        constraints = [
            models.UniqueConstraint(fields=["business", "code"], name="account_code_unique_per_business"),
            # lets journal lines reference (account, business) together, so PostgreSQL checks that a
            # line's business is its account's business
            models.UniqueConstraint(fields=["id", "business"], name="account_id_business_unique"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def debit_normal(self):
        return self.kind in self.DEBIT_NORMAL

    def save(self, *args, **kwargs):
        from . import chain

        self.seal = chain.seal_of_account(self)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "seal"}
        super().save(*args, **kwargs)


class JournalEntry(models.Model):
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="journal_entries")
    number = models.PositiveBigIntegerField(
        unique=True, help_text="From a sequence: increasing, with a gap where a posting was rolled back.")
    date = models.DateField(db_index=True)
    memo = models.CharField(max_length=200)
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT)
    source_id = models.CharField(max_length=64, blank=True)
    reversal_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    posted_at = models.DateTimeField(default=timezone.now)  # set before sealing, so not auto_now_add
    seal = models.CharField(max_length=64, help_text="HMAC of the entry's content under the ledger's key.")

    class Meta:
        ordering = ["-number"]
        verbose_name_plural = "journal entries"
        indexes = [models.Index(fields=["source_type", "source_id"])]

    def __str__(self):
        return f"#{self.number} {self.memo}"


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    debit = models.DecimalField(default=0, **MONEY)
    credit = models.DecimalField(default=0, **MONEY)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0, credit=0) | Q(debit=0, credit__gt=0)),
                name="line_is_a_debit_or_a_credit",
            ),
        ]
        # covering: an account's balance (the no-negative check, reports) is an index-only scan
        indexes = [models.Index(fields=["account", "entry"], include=["debit", "credit"],
                                name="ledger_line_account_cover")]

    def __str__(self):
        return f"{self.account} Dr {self.debit} Cr {self.credit}"


class ChainLink(models.Model):
    """The entry's place in the keyed hash chain, appended by the follower (chain.extend) in the
    order entries are seen committed. Append-only, like the entries."""

    seq = models.PositiveBigIntegerField(primary_key=True, help_text="Position in the chain, from 1, no gaps.")
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="link")
    entry_seal = models.CharField(max_length=64)
    link = models.CharField(max_length=64, help_text="HMAC(seq, entry number, entry seal, previous link).")
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["seq"]

    def __str__(self):
        return f"link {self.seq}: entry {self.entry_id}"


class LockDate(models.Model):
    """Nothing may be posted on or before `locked_through` for this business."""

    business = models.OneToOneField(Business, on_delete=models.PROTECT, related_name="ledger_lock")
    locked_through = models.DateField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)

    def __str__(self):
        return f"{self.business} locked through {self.locked_through:%d %b %Y}"


class SettingChange(models.Model):
    """A change to an account or a lock date, written by PostgreSQL itself (migration 0004's
    triggers) whoever made it: the admin, a job, or someone with the app's database login. The app
    role may only add rows, so such a change cannot be made quietly."""

    class What(models.TextChoices):
        ACCOUNT = "account", "Account"
        LOCK_DATE = "lock date", "Lock date"

    changed_at = models.DateTimeField()
    db_role = models.CharField("database login", max_length=63)
    what = models.CharField(max_length=16, choices=What.choices)
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    record_id = models.BigIntegerField()
    before = models.JSONField(null=True, blank=True, help_text="The row before; empty when it was added.")
    after = models.JSONField(null=True, blank=True, help_text="The row after; empty when it was removed.")

    IGNORED = {"id", "business_id", "seal", "updated_at"}  # shown beside it, or follow from the rest

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["business", "what", "record_id"])]

    def __str__(self):
        return f"{self.get_what_display()} {self.record_id}: {self.summary()}"

    def summary(self) -> str:
        """'locked_through: 2026-10-31 → 2026-11-15' (only what changed)."""
        before, after = self.before or {}, self.after or {}
        if not before:
            return "added: " + ", ".join(f"{k} {v}" for k, v in after.items() if k not in self.IGNORED)
        if not after:
            return "removed: " + ", ".join(f"{k} {v}" for k, v in before.items() if k not in self.IGNORED)
        return "; ".join(f"{k}: {before.get(k)} → {after.get(k)}" for k in after
                         if k not in self.IGNORED and before.get(k) != after.get(k)) or "saved unchanged"
