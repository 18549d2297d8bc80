"""For data migrations: find or create a customer by phone with the migration's historical models
(``apps``), so each module's phone-keyed records can point at customers without loss."""

import re

from .models import phone_hash

_MOBILE = re.compile(r"(?:\+?254|0)?([71][0-9]{8})")


def normalized(raw) -> str | None:
    """The number as 2547XXXXXXXX, or None for something that is not a Kenyan mobile number
    (kept on the record as it was typed, with no customer)."""
    match = _MOBILE.fullmatch(re.sub(r"[\s\-]+", "", str(raw or "")))
    return "254" + match.group(1) if match else None


class CustomerFinder:
    """Remembers what it created, so migrating many rows of one customer costs one lookup."""

    def __init__(self, apps):
        self.customers = apps.get_model("customers", "Customer")
        self.phones = apps.get_model("customers", "CustomerPhone")
        self.known = {}

    def __call__(self, raw_phone, *, name="", business_id=None):
        number = normalized(raw_phone)
        if number is None:
            return None
        customer = self.known.get(number)
        if customer is None:
            phone = self.phones.objects.filter(phone=number).select_related("customer").first()
            if phone is not None:
                customer = phone.customer
            else:
                customer = self.customers.objects.create(name=(name or "").strip()[:80])
                self.phones.objects.create(customer=customer, phone=number, phone_hash=phone_hash(number))
            self.known[number] = customer
        if name and not customer.name:
            customer.name = name.strip()[:80]
            customer.save(update_fields=["name"])
        if business_id:
            customer.businesses.add(business_id)
        return customer
