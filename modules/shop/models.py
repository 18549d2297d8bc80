"""LPG cylinders: a type per size and brand (its full and empty stock are two inventory items),
the brand-swap fee per size, and the LPG receipt that records every exchange, sale, deposit and return."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_noop

from modules.core.businesses.history import history_of
from modules.core.businesses.models import Business
from modules.core.customers.models import Customer
from modules.core.inventory.models import Item
from modules.core.ledger.models import MONEY

PRICE = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class Size(models.IntegerChoices):
    KG6 = 6, "6 kg"
    KG13 = 13, "13 kg"
    KG50 = 50, "50 kg"


class CylinderType(models.Model):
    """One size of one brand. Its stock lives in the shared inventory as two items, FULL and EMPTY,
    so movements, valuation, counts and low-stock alerts work as for anything else.

    Costing: the empty item's average cost is the shell's value; the full item's average cost is
    shell + gas. The full item's selling price is the outright price (cylinder with gas)."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    size_kg = models.PositiveSmallIntegerField("size", choices=Size.choices)
    brand = models.CharField(max_length=40)
    full_item = models.OneToOneField(Item, on_delete=models.PROTECT, related_name="+",
                                     help_text="Its price is the outright price: cylinder with gas.")
    empty_item = models.OneToOneField(Item, on_delete=models.PROTECT, related_name="+")
    refill_price = models.DecimalField("refill price (KES)", help_text="Gas only, the customer brings an empty.",
                                       **PRICE)
    deposit = models.DecimalField("cylinder deposit (KES)", help_text="Refunded when the cylinder comes back.",
                                  **PRICE)
    is_active = models.BooleanField(default=True)

    version = models.PositiveIntegerField(default=1, editable=False, help_text="Goes up on every edit in the admin.")
    class Meta:
        ordering = ["size_kg", "brand"]
        constraints = [models.UniqueConstraint(fields=["business", "size_kg", "brand"],
                                               name="shop_one_cylinder_type_per_size_brand")]

    def __str__(self):
        return f"{self.get_size_kg_display()} {self.brand}"

    @property
    def outright_price(self) -> Decimal:
        return self.full_item.selling_price


class SwapFee(models.Model):
    """What a customer pays on top of the refill when their empty is another brand, per size."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    size_kg = models.PositiveSmallIntegerField("size", choices=Size.choices)
    fee = models.DecimalField("brand swap fee (KES)", **PRICE)

    class Meta:
        ordering = ["size_kg"]
        constraints = [models.UniqueConstraint(fields=["business", "size_kg"], name="shop_one_swap_fee_per_size")]

    def __str__(self):
        return f"{self.get_size_kg_display()} brand swap: KES {self.fee}"


class CylinderTypeEvent(history_of(CylinderType, exclude=["version"])):
    """Every version of a cylinder type: refill price and deposit, old → new (its outright price is
    its full item's price, in inventory.ItemEvent)."""


class SwapFeeEvent(history_of(SwapFee)):
    pass


class LpgSale(models.Model):
    """One LPG transaction at the counter: the cylinders and deposits of it. A refill, swap,
    outright sale or deposit is a core sale (``sale``: receipt number, lines, VAT, payments, void);
    a deposit return is a cash refund of its own. Carries the sale engine's glue: the sale may not
    be voided while a deposit's cylinder is back (``sale_void_refused``), a void is noted here
    (``sale_voided``), M-Pesa's Continue comes back to this receipt (``sale_admin_url``)."""

    # Labels marked, not translated here: the ledger's memos and movement reasons name the kind and
    # stay in English; screens translate the label where they show it ({% translate label %}).
    class Kind(models.TextChoices):
        REFILL = "refill", gettext_noop("Refill exchange")
        SWAP = "swap", gettext_noop("Brand swap")
        OUTRIGHT = "outright", gettext_noop("Cylinder + gas")
        DEPOSIT = "deposit", gettext_noop("Gas + cylinder deposit")
        RETURN = "return", gettext_noop("Deposit cylinder returned")

    class Method(models.TextChoices):
        CASH = "cash", gettext_noop("Cash")
        MPESA = "mpesa", gettext_noop("M-Pesa")

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    sale = models.OneToOneField("sales.Sale", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                help_text="The sale (empty for a deposit return, a refund).")
    number = models.PositiveIntegerField(null=True, blank=True,
                                         help_text="Receipts before the one sale engine: G-number of their own.")
    client_uuid = models.UUIDField(unique=True, help_text="Made by the phone: a replay returns this receipt.")
    fingerprint = models.CharField(max_length=64)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    cylinder_type = models.ForeignKey(CylinderType, on_delete=models.PROTECT, related_name="+",
                                      help_text="The type handed over full (or, for a return, handed back).")
    empty_type = models.ForeignKey(CylinderType, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   help_text="The customer's empty that came in (refill, swap, return).")
    quantity = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    customer_phone = models.CharField(max_length=12, blank=True, help_text="The number given at the counter.")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="lpg_sales")
    gas = models.DecimalField("gas / cylinder sale (KES)", **MONEY)
    swap_fee = models.DecimalField(default=0, **MONEY)
    deposit = models.DecimalField("deposit taken (KES)", default=0, **MONEY)
    refund = models.DecimalField("deposit refunded (KES)", default=0, **MONEY)
    shell = models.DecimalField("shell value with the customer (KES)", default=0, **MONEY,
                                help_text="Deposit: shells' cost moved out of stock; return: moved back.")
    vat = models.DecimalField(default=0, **MONEY)
    total = models.DecimalField("to pay (KES)", **MONEY)
    cost = models.DecimalField("cost of sales (KES)", default=0, max_digits=14, decimal_places=2)
    payment_method = models.CharField(max_length=5, choices=Method.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "LPG receipt"
        permissions = [("void_lpgsale", "Can void an LPG receipt (stock and money go back)")]
        constraints = [
            models.UniqueConstraint(fields=["business", "number"], name="shop_lpg_number_unique_per_business"),
            models.CheckConstraint(condition=Q(total__gte=0, deposit__gte=0, refund__gte=0, swap_fee__gte=0, shell__gte=0),
                                   name="shop_lpg_amounts_not_negative"),
        ]

    def __str__(self):
        return f"LPG {self.receipt_number}"

    @property
    def receipt_number(self) -> str:
        if self.sale_id:
            return self.sale.receipt_number
        return f"G-{self.number:06d}" if self.number else f"R-{self.pk:06d}"

    @property
    def paid_at(self):
        return self.sale.paid_at if self.sale_id else self.created_at

    @property
    def net_flow(self) -> Decimal:
        return self.total - self.refund

    # the sale engine's glue (modules.core.sales.services)
    @property
    def sale_label(self) -> str:
        return f"LPG {self.get_kind_display().lower()}, {self.quantity} × {self.cylinder_type}"

    @property
    def sale_admin_url(self) -> str:
        return reverse("admin:shop:lpg_receipt", args=[self.pk])

    def sale_void_refused(self, sale) -> str:
        if self.kind == self.Kind.DEPOSIT:
            from .services import deposit_balances

            out = next((b["out"] for b in deposit_balances(self.business, customer=self.customer)
                        if b["type"].pk == self.cylinder_type_id), 0)
            if out < self.quantity:
                return f"The cylinder of {self.receipt_number} has already come back: void the return first."
        return ""

    def sale_voided(self, sale, *, reason, user, at):
        self.voided_at, self.void_reason = at, reason[:120]
        self.save(update_fields=["voided_at", "void_reason"])
