"""Invoices as payments' own payable documents (declared in module.py for M-Pesa matching)."""

import re

from .models import Invoice

INVOICE_REFERENCE = re.compile(r"INV[\s-]*([0-9]{1,12})", re.IGNORECASE)


def find_invoice(business, reference: str):
    """An unpaid invoice by its reference as customers type it: INV12, inv 12, INV-12."""
    match = INVOICE_REFERENCE.fullmatch(reference.strip())
    if not match:
        return None
    return Invoice.objects.filter(business=business, pk=int(match.group(1)), paid_at__isnull=True).first()


def open_invoices(business, since):
    return Invoice.objects.filter(business=business, paid_at__isnull=True, created_at__gte=since)
