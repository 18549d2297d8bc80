"""Public surface of customers: find a customer by phone (or by the hashed MSISDN M-Pesa sends),
create one on first sale, and say which businesses they deal with.

    from modules.core.customers import services as customers
    customers.for_phone("0712 345 678")        # Customer or None
    customers.for_phone_hash(sha256_hex)         # Customer or None (M-Pesa C2B confirmations)
    customers.find_or_create("0712 345 678", name="Amina", business=water)
    with customers.in_their_language(customer): text = gettext("…")   # their SMS in their language
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from .phones import normalize_phone

from .models import Customer, CustomerPhone, phone_hash

# What a counter attendant needs (business modules put it in their staff roles); the credit
# limit stays with the owner (customers.set_credit_limit).
CUSTOMER_DESK = ("customers.view_customer", "customers.add_customer", "customers.change_customer",
                 "customers.view_customerphone", "customers.add_customerphone", "customers.change_customerphone")
__all__ = ["CUSTOMER_DESK", "for_phone", "for_phone_hash", "find_or_create", "add_phone", "phone_hash",
           "in_their_language"]


def in_their_language(customer):
    """``with in_their_language(customer):`` what is written inside (gettext) is in the customer's
    language (Customer.language), or the site's for no customer; the language around it comes back after."""
    return translation.override(getattr(customer, "language", "") or settings.LANGUAGE_CODE)


def _normalized(phone) -> str | None:
    try:
        return normalize_phone(phone)
    except ValidationError:
        return None


def for_phone(phone) -> Customer | None:
    """The customer with this number (any spelling: 07…, +2547…, 2547…), or None."""
    number = _normalized(phone)
    if number is None:
        return None
    return Customer.objects.filter(phones__phone=number).first()


def for_phone_hash(hex_digest: str) -> Customer | None:
    """The customer whose number hashes (SHA-256, hex) to this: M-Pesa's C2B confirmations carry
    the payer's MSISDN hashed like that since 2024."""
    digest = str(hex_digest or "").strip().lower()
    if len(digest) != 64:
        return None
    return Customer.objects.filter(phones__phone_hash=digest).first()


def find_or_create(phone, *, name: str = "", business=None) -> Customer:
    """The customer with this number, created on first use; a name fills an empty one, and the
    business is added to those they deal with. Safe when two sales for a new number race."""
    number = normalize_phone(phone)
    customer = for_phone(number)
    if customer is None:
        try:
            with transaction.atomic():
                customer = Customer.objects.create(name=name.strip()[:80])
                CustomerPhone.objects.create(customer=customer, phone=number)
        except IntegrityError:  # the same number was added by a concurrent sale
            customer = for_phone(number)
            if customer is None:
                raise
    elif name.strip() and not customer.name:
        customer.name = name.strip()[:80]
        customer.save(update_fields=["name", "updated_at"])
    if business is not None:
        customer.businesses.add(business)
    return customer


def add_phone(customer: Customer, phone) -> CustomerPhone:
    """Another number for the same customer; a number already someone else's is refused."""
    number = normalize_phone(phone)
    owner = for_phone(number)
    if owner is not None and owner.pk != customer.pk:
        raise ValidationError(f"{number} already belongs to {owner}.")
    return CustomerPhone.objects.get_or_create(customer=customer, phone=number)[0]
