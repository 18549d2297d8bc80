"""A customer: one person (or firm) with one or more phones, known to one or more businesses."""

from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from modules.core.businesses.history import history_of
from modules.core.businesses.models import Business
from modules.core.ledger.models import MONEY

from .phones import phone_hash

KRA_PIN = RegexValidator(r"^[A-Z][0-9]{9}[A-Z]$", "A KRA PIN is a letter, 9 digits and a letter, like A123456789Z.")


class Customer(models.Model):
    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        SWAHILI = "sw", "Kiswahili"

    name = models.CharField(max_length=80, blank=True)
    businesses = models.ManyToManyField(Business, blank=True, related_name="customers",
                                        help_text="The businesses this customer deals with.")
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH,
                                help_text="For receipts and messages.")
    sms_opt_out = models.BooleanField("no SMS", default=False, help_text="The customer asked for no text messages.")
    credit_limit = models.DecimalField(
        "credit limit (KES)", default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))],
        help_text="Set by the owner: the most this customer may owe on credit sales (deni). 0: no credit.", **MONEY)
    kra_pin = models.CharField("KRA PIN", max_length=11, blank=True, validators=[KRA_PIN])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        permissions = [("set_credit_limit", "Can set a customer's credit limit")]
        constraints = [models.CheckConstraint(condition=Q(credit_limit__gte=0), name="customer_credit_limit_not_negative")]

    def __str__(self):
        phone = self.primary_phone
        if self.name and phone:
            return f"{self.name} ({phone})"
        return self.name or phone or f"Customer {self.pk}"

    @property
    def primary_phone(self) -> str:
        phones = getattr(self, "_prefetched_objects_cache", {}).get("phones")
        if phones is not None:
            return min(phones, key=lambda p: p.pk).phone if phones else ""
        return self.phones.order_by("pk").values_list("phone", flat=True).first() or "" if self.pk else ""


class CustomerPhone(models.Model):
    """One of a customer's numbers; the hash lets an M-Pesa C2B confirmation (hashed MSISDN) find them."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    phone = models.CharField(max_length=12, unique=True, help_text="2547XXXXXXXX")
    phone_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.phone

    def save(self, *args, **kwargs):
        self.phone_hash = phone_hash(self.phone)
        super().save(*args, **kwargs)


class CustomerEvent(history_of(Customer, exclude=["updated_at"])):
    """Every version of a customer: name, credit limit, KRA PIN, SMS opt-out, old → new."""


class CustomerPhoneEvent(history_of(CustomerPhone, exclude=["phone_hash"])):
    pass
