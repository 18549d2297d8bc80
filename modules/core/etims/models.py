"""What the back office keeps about eTIMS: the device, each sale's invoice or credit note with KRA's
signature, the items registered with KRA, and suppliers' invoices fetched from KRA."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from modules.core.businesses.models import Business
from modules.core.inventory.models import Item
from modules.core.ledger.models import MONEY


class Device(models.Model):
    """The OSCU device (KRA PIN + branch) from the environment. Invoice numbers run 1, 2, 3… per
    device with no gap: ``last_invoice_no`` is taken under this row's lock, one send at a time."""

    tin = models.CharField("KRA PIN", max_length=11)
    bhf_id = models.CharField("branch", max_length=2)
    serial = models.CharField("device serial", max_length=100)
    sdc_id = models.CharField("SCU ID", max_length=20, blank=True)
    mrc_no = models.CharField(max_length=20, blank=True)
    taxpayer_name = models.CharField(max_length=120, blank=True)
    initialised_at = models.DateTimeField(null=True, blank=True)
    # The simulator's key only (ETIMS_MODE=simulator): a real cmcKey lives in the environment.
    simulator_cmc_key = models.CharField(max_length=64, blank=True, editable=False)
    last_invoice_no = models.PositiveIntegerField(default=0)
    last_sar_no = models.PositiveIntegerField(default=0)
    last_purchase_no = models.PositiveIntegerField(default=0)
    purchases_checked_at = models.CharField(max_length=14, blank=True, help_text="KRA's resultDt of the last fetch.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tin", "bhf_id"], name="etims_device_one_per_branch")]

    def __str__(self):
        return f"{self.sdc_id or 'not initialised'} ({self.tin}/{self.bhf_id})"


class Invoice(models.Model):
    """A sale's eTIMS invoice (S) or a void's credit note (R)."""

    class Kind(models.TextChoices):
        SALE = "S", "Invoice"
        CREDIT_NOTE = "R", "Credit note"

    class Status(models.TextChoices):
        PENDING = "pending", "eTIMS pending"  # no number yet
        SENT = "sent", "eTIMS pending (sent)"  # a number, the answer not known yet: re-read first
        SIGNED = "signed", "Signed"
        FAILED = "failed", "Refused by eTIMS"

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    sale = models.ForeignKey("sales.Sale", on_delete=models.PROTECT, related_name="etims_invoices")
    kind = models.CharField(max_length=1, choices=Kind.choices, default=Kind.SALE)
    original = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices")
    number = models.PositiveIntegerField("invoice number", null=True, blank=True)
    total = models.DecimalField(**MONEY)
    vat = models.DecimalField(**MONEY)
    bands = models.JSONField(default=dict, help_text="Per band: taxable (VAT included) and tax, as sent.")
    customer_pin = models.CharField("buyer's KRA PIN", max_length=11, blank=True)
    customer_name = models.CharField(max_length=60, blank=True)
    # KRA's answer
    receipt_number = models.PositiveIntegerField(null=True, blank=True)  # curRcptNo
    total_receipts = models.PositiveIntegerField(null=True, blank=True)  # totRcptNo
    internal_data = models.CharField(max_length=26, blank=True)
    signature = models.CharField(max_length=16, blank=True)
    signed_at = models.DateTimeField("control unit date and time", null=True, blank=True)
    # the work
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    prints = models.PositiveIntegerField(default=0, help_text="Original printed once; every later print is a COPY.")
    stock_sar_no = models.PositiveIntegerField(null=True, blank=True)
    stock_reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("resend_invoice", "Can send a refused eTIMS invoice again")]
        constraints = [
            models.UniqueConstraint(fields=["sale", "kind"], name="etims_one_invoice_per_sale_and_kind"),
            models.UniqueConstraint(fields=["device", "number"], name="etims_invoice_number_unique_per_device"),
            models.CheckConstraint(condition=Q(status="pending") | Q(status="failed") | Q(number__isnull=False),
                                   name="etims_sent_or_signed_has_number"),
        ]
        indexes = [models.Index(fields=["created_at"], condition=Q(status__in=["pending", "sent"]),
                                name="etims_invoice_waiting")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.reference}"

    @property
    def reference(self) -> str:
        """``SCU ID/invoice number`` as the receipt prints it."""
        if self.number is None:
            return "(pending)"
        return f"{self.device.sdc_id}/{self.number}" if self.device_id else str(self.number)

    @property
    def waiting(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.SENT)


class ItemRegistration(models.Model):
    """An item as KRA knows it (``saveItem`` before its first sale; again when its name, band or
    class changes)."""

    item = models.OneToOneField(Item, on_delete=models.PROTECT, related_name="etims")
    code = models.CharField("KRA item code", max_length=20, unique=True)
    class_code = models.CharField("item class", max_length=10, help_text="From KRA's item class list.")
    registered_as = models.CharField(max_length=64, blank=True, help_text="What was last sent (name, band, class).")
    registered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.code} {self.item}"


class Purchase(models.Model):
    """A supplier's eTIMS invoice to the owner's PIN, fetched from KRA (``selectTrnsPurchaseSalesList``),
    matched to the supplier bill it backs (the expense is deductible only with one)."""

    supplier_pin = models.CharField(max_length=11)
    supplier_name = models.CharField(max_length=60)
    supplier_branch = models.CharField(max_length=2, default="00")
    supplier_invoice_no = models.PositiveIntegerField()
    supplier_sdc_id = models.CharField(max_length=20, blank=True)
    sale_date = models.DateField()
    taxable = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    items = models.JSONField(default=list)
    fetched_at = models.DateTimeField(auto_now_add=True)
    bill = models.OneToOneField("purchasing.SupplierBill", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="etims_purchase")
    matched_at = models.DateTimeField(null=True, blank=True)
    matched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["-sale_date", "-pk"]
        constraints = [models.UniqueConstraint(fields=["supplier_pin", "supplier_branch", "supplier_invoice_no"],
                                               name="etims_purchase_unique")]

    def __str__(self):
        return f"{self.supplier_name} eTIMS invoice {self.reference}"

    @property
    def reference(self) -> str:
        return f"{self.supplier_sdc_id}/{self.supplier_invoice_no}" if self.supplier_sdc_id else str(
            self.supplier_invoice_no)
