"""Money received: payments for documents, M-Pesa requests on their way to becoming money, and
M-Pesa receipts with where they went."""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.core.validators import RegexValidator
from django.db.models import Q
from django.urls import reverse

from modules.core.businesses.models import Business
from modules.core.ledger.models import MONEY, JournalEntry

from modules.core.customers.phones import phone_in_text


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


class MpesaSetting(models.Model):
    """How one business is paid by M-Pesa: a paybill, or a Buy Goods till under a store number.
    A business without one uses the MPESA_SHORTCODE / MPESA_PASSKEY paybill from the settings."""

    class Kind(models.TextChoices):
        PAYBILL = "paybill", "Paybill"
        TILL = "till", "Buy Goods till"

    business = models.OneToOneField(Business, on_delete=models.PROTECT, related_name="mpesa_setting")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PAYBILL)
    shortcode = models.CharField(
        "Paybill or store number", max_length=10, validators=[RegexValidator(r"^[0-9]{5,10}$", "Digits only.")],
        help_text="The paybill number, or for a till the store (head office) number M-Pesa gave with it.")
    till_number = models.CharField(
        max_length=10, blank=True, validators=[RegexValidator(r"^[0-9]{5,10}$", "Digits only.")],
        help_text="Buy Goods only: the till number customers pay to.")
    passkey = models.CharField(max_length=128, help_text="The Lipa Na M-Pesa Online passkey Safaricom issued.")
    reject_unknown_accounts = models.BooleanField(
        default=True, help_text="Paybill only: refuse a payment whose account number we do not know "
                                "(the customer sees the refusal on the phone and can try again).")
    c2b_registered_at = models.DateTimeField(null=True, blank=True)
    c2b_registration = models.CharField(max_length=255, blank=True, help_text="What M-Pesa answered last.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "M-Pesa setting"
        constraints = [
            models.CheckConstraint(condition=Q(kind="paybill", till_number="") | Q(kind="till") & ~Q(till_number=""),
                                   name="mpesa_till_number_for_tills_only"),
        ]

    def __str__(self):
        return f"{self.business}: {self.get_kind_display()} {self.receiving_number}"

    @property
    def receiving_number(self) -> str:
        """The number customers pay to: the paybill, or the till."""
        return self.till_number if self.kind == self.Kind.TILL else self.shortcode

    @property
    def transaction_type(self) -> str:
        return "CustomerBuyGoodsOnline" if self.kind == self.Kind.TILL else "CustomerPayBillOnline"


class StkRequest(ForDocument):
    """One STK push. Requests that may still pay are the PostgreSQL outbox the RQ jobs work from
    (push, then STK Query until final), so a lost callback, a killed worker or a Redis restart
    loses nothing."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Sending to M-Pesa"
        SENDING = "sending", "Sending to M-Pesa"
        PENDING = "pending", "Waiting for the customer"
        UNKNOWN = "unknown", "Waiting for M-Pesa's answer"
        SUCCESS = "success", "Paid"
        CANCELLED = "cancelled", "Cancelled by the customer"
        TIMEOUT = "timeout", "No answer from the phone"
        INSUFFICIENT = "insufficient", "Not enough money in M-Pesa"
        FAILED = "failed", "Failed"
        GAVE_UP = "gave_up", "No final answer from M-Pesa"
        PAID_LATE = "paid_late", "Paid after we stopped waiting"

    MAY_STILL_PAY = (Status.QUEUED, Status.SENDING, Status.PENDING, Status.UNKNOWN)

    phone = models.CharField(max_length=12)
    amount = models.PositiveIntegerField(help_text="Whole KES: M-Pesa takes no cents.")
    transaction_type = models.CharField(max_length=24, blank=True)
    shortcode = models.CharField(max_length=10, blank=True, help_text="BusinessShortCode sent")
    party_b = models.CharField(max_length=10, blank=True, help_text="PartyB sent: the paybill or the till")
    merchant_request_id = models.CharField(max_length=64, blank=True)
    checkout_request_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    result_code = models.CharField(max_length=32, blank=True, default="",
                                   help_text="Daraja's ResultCode: 1032, or SFC_IC0003 …")
    result_desc = models.CharField(max_length=255, blank=True)
    mpesa_receipt = models.CharField(max_length=20, null=True, blank=True, unique=True)
    transaction_time = models.DateTimeField(null=True, blank=True, help_text="When M-Pesa completed it")
    settled_by = models.CharField(max_length=10, blank=True)  # "callback", "query" or "push"
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    checks = models.PositiveIntegerField(default=0)
    push_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_check_at"], name="stk_outbox")]
        constraints = [
            # one prompt at a time on a customer's phone, per business
            models.UniqueConstraint(fields=["business", "phone"], condition=Q(status__in=[
                "queued", "sending", "pending", "unknown"]), name="stk_one_open_request_per_phone"),
        ]

    def __str__(self):
        return f"M-Pesa KES {self.amount} from {self.phone} ({self.get_status_display()})"

    @property
    def is_final(self):
        return self.status not in self.MAY_STILL_PAY

    @property
    def may_still_pay(self):
        return not self.is_final

    @property
    def paid(self):
        return self.status in (self.Status.SUCCESS, self.Status.PAID_LATE)

    @property
    def message(self) -> str:
        """The waiting screen's plain-English sentence for where this request stands."""
        from .results import seller_message  # results reads the statuses defined here

        return seller_message(self)

    @property
    def typed_code_url(self) -> str:
        """Where staff type the code when the customer paid the till from their own phone instead."""
        return reverse("admin:payments:typed_code", args=[self.document_type_id, self.document_id])


class MpesaReceipt(models.Model):
    """Money that reached one of our M-Pesa numbers, one row per receipt number, whatever told us
    first: an STK callback or query, a C2B confirmation, a statement line, or staff typing the code
    from the customer's SMS. Its money is in the books exactly once (``journal_entry``): paid
    straight to a document, or held in *Unallocated M-Pesa receipts* until it is allocated."""

    class Source(models.TextChoices):
        STK = "stk", "STK push"
        C2B = "c2b", "Paid to the till or paybill"
        STATEMENT = "statement", "M-Pesa statement"
        TYPED = "typed", "Code typed by staff"

    class State(models.TextChoices):
        ALLOCATED = "allocated", "Allocated"
        UNALLOCATED = "unallocated", "In the inbox"
        NOT_OURS = "not_ours", "Not ours (refunded)"
        NEVER_ARRIVED = "never_arrived", "Never arrived"

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="mpesa_receipts")
    receipt = models.CharField(max_length=20, null=True, blank=True, unique=True,
                               help_text="M-Pesa's receipt (TransID); unknown until a callback or "
                                         "statement gives it when only STK Query told us")
    amount = models.DecimalField(**MONEY)
    transaction_time = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    state = models.CharField(max_length=13, choices=State.choices, db_index=True)
    phone = models.CharField(max_length=12, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True,
                                  help_text="SHA-256 of the payer's number, as C2B confirmations carry it")
    payer_name = models.CharField(max_length=80, blank=True)
    account_reference = models.CharField(max_length=40, blank=True, help_text="Paybill account number typed")
    shortcode = models.CharField(max_length=10, blank=True)
    transaction_type = models.CharField(max_length=32, blank=True)
    stk_request = models.OneToOneField(StkRequest, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="receipt")
    confirmed_at = models.DateTimeField(null=True, blank=True,
                                        help_text="When M-Pesa itself confirmed it (a typed code waits for this)")
    journal_entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="mpesa_receipt")
    suggested_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    suggested_id = models.CharField(max_length=64, blank=True)
    suggested = GenericForeignKey("suggested_type", "suggested_id")
    suggestion_note = models.CharField(max_length=255, blank=True)
    problem = models.CharField(max_length=255, blank=True, help_text="What does not agree (flagged)")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "M-Pesa receipt"
        permissions = [("refund_mpesareceipt", "Can mark an M-Pesa receipt not ours or never arrived")]
        indexes = [models.Index(fields=["business", "state", "created_at"], name="mpesa_receipt_inbox")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="mpesa_receipt_amount_positive")]

    def __str__(self):
        return f"{self.receipt or 'M-Pesa'} KES {self.amount:,}"


class Payment(ForDocument):
    """Money received for a document. What exceeds the amount still due becomes customer credit;
    a payment "by customer credit" spends such credit (no money moves)."""

    class Method(models.TextChoices):
        CASH = "cash", "Cash"
        MPESA = "mpesa", "M-Pesa"
        BANK = "bank", "Bank transfer"
        CREDIT = "credit", "Customer credit"

    method = models.CharField(max_length=6, choices=Method.choices)
    amount = models.DecimalField(**MONEY)
    applied = models.DecimalField(**MONEY, help_text="Part of the amount that settles the document.")
    credit = models.DecimalField(**MONEY, help_text="Surplus kept as customer credit.")
    payer_phone = models.CharField(max_length=12, blank=True)
    # one row per receipt number lives in MpesaReceipt; a receipt allocated, reversed and
    # allocated again is named by two payments
    mpesa_receipt = models.CharField(max_length=20, null=True, blank=True, db_index=True)
    stk_request = models.OneToOneField(StkRequest, null=True, blank=True, on_delete=models.PROTECT)
    journal_entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="payment")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["document_type", "document_id"]),
                   models.Index(fields=["business", "received_at"], name="payment_business_time")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0, applied__gte=0, credit__gte=0), name="payment_positive"),
            models.CheckConstraint(condition=Q(amount=models.F("applied") + models.F("credit")),
                                   name="payment_applied_plus_credit"),
        ]

    def __str__(self):
        return f"{self.get_method_display()} KES {self.amount}"


class Allocation(models.Model):
    """Where an M-Pesa receipt from the inbox went: a document (through a Payment), a customer's
    credit, or out again ("not ours", refunded outside). Append-only: undoing one adds a reversal
    row that names it, with its own ledger entry."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", "To a document"
        CREDIT = "credit", "To customer credit"
        NOT_OURS = "not_ours", "Not ours, refunded"
        NEVER_ARRIVED = "never_arrived", "Never arrived"
        REVERSAL = "reversal", "Reversed"

    receipt = models.ForeignKey(MpesaReceipt, on_delete=models.PROTECT, related_name="allocations")
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=13, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)
    document_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    document_id = models.CharField(max_length=64, blank=True)
    document = GenericForeignKey("document_type", "document_id")
    customer_phone = models.CharField(max_length=12, blank=True)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations")
    journal_entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="mpesa_allocation")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    reason = models.CharField(max_length=255, blank=True)
    automatic = models.BooleanField(default=False, help_text="Made by the system (account number, a sure match)")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("reverse_allocation", "Can reverse an M-Pesa allocation")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive")]

    def __str__(self):
        return f"{self.get_kind_display()}: KES {self.amount:,}"


class Statement(models.Model):
    """An M-Pesa business portal statement (CSV) imported for one business's number."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="mpesa_statements")
    shortcode = models.CharField(max_length=10, blank=True)
    starts = models.DateTimeField(help_text="First line's completion time")
    ends = models.DateTimeField(help_text="Last line's completion time")
    closing_balance = models.DecimalField(**MONEY, null=True, blank=True)
    file_name = models.CharField(max_length=120, blank=True)
    lines_read = models.PositiveIntegerField(default=0)
    lines_new = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = "M-Pesa statement"

    def __str__(self):
        return f"M-Pesa statement {self.shortcode or self.business} {self.starts:%d %b} – {self.ends:%d %b %Y}"


class StatementLine(models.Model):
    """One completed line of an imported statement, kept once per receipt and kind whatever number
    of overlapping statements bring it."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Money in"
        CHARGE = "charge", "Safaricom charge"
        WITHDRAWAL = "withdrawal", "Money out"

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="lines")
    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    receipt = models.CharField(max_length=20)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    completed_at = models.DateTimeField()
    details = models.CharField(max_length=255, blank=True)
    amount = models.DecimalField(**MONEY, help_text="Paid in, or withdrawn, as a positive amount")
    balance = models.DecimalField(**MONEY, null=True, blank=True)
    other_party = models.CharField(max_length=120, blank=True)
    account = models.CharField(max_length=40, blank=True, help_text="A/C No. (a paybill account number)")
    mpesa_receipt = models.ForeignKey(MpesaReceipt, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="statement_lines", help_text="The booked receipt it matches")
    journal_entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="mpesa_statement_line", help_text="A charge's expense entry")

    class Meta:
        ordering = ["completed_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["business", "receipt", "kind"], name="statement_line_once")]
        indexes = [models.Index(fields=["business", "completed_at"], name="statement_line_time")]

    def __str__(self):
        return f"{self.receipt} {self.get_kind_display()} KES {self.amount:,}"

    @property
    def phone_seen(self) -> str:
        """The payer's number as the statement shows it (masked, e.g. 2547*****678), or ''."""
        return phone_in_text(self.other_party or self.details)
