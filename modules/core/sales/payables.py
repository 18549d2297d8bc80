"""Sales as payable documents for M-Pesa matching (declared in module.py, used by payments)."""

import re

from .models import Sale

# "W-000123", "W000123", "w 123": the business letter, then the receipt number
RECEIPT = re.compile(r"([A-Za-z])[\s-]*0*([0-9]{1,9})")


def find_sale(business, reference: str):
    """A completed sale of the business by its receipt number as customers type it."""
    match = RECEIPT.fullmatch(reference.strip())
    if not match or match.group(1).upper() != business.code[:1].upper():
        return None
    return Sale.objects.filter(business=business, number=int(match.group(2)), status=Sale.Status.COMPLETED).first()


def open_sales(business, since):
    """Sales of the business since ``since`` not yet fully paid."""
    return Sale.objects.filter(business=business, status=Sale.Status.COMPLETED, paid_at__isnull=True,
                               created_at__gte=since)
