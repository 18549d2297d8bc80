"""Laundry jobs as payable documents for M-Pesa matching (declared in module.py, used by payments)."""

import re

from .models import Job

TICKET = re.compile(r"LT[\s-]*0*([0-9]{1,9})", re.IGNORECASE)


def find_job(business, reference: str):
    """A job of the business by its ticket number as customers type it: LT-0042, LT0042, lt 42."""
    match = TICKET.fullmatch(reference.strip())
    if not match:
        return None
    return Job.objects.filter(business=business, number=int(match.group(1))).exclude(
        status=Job.Status.CANCELLED).first()


def open_jobs(business, since):
    """Jobs of the business received since ``since`` not yet fully paid."""
    return Job.objects.filter(business=business, paid_at__isnull=True, created_at__gte=since).exclude(
        status=Job.Status.CANCELLED)
