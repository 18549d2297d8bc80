"""Laundry tickets for M-Pesa matching (declared in module.py, used by payments). A job is paid
through its drop-off sale, so the document a ticket number finds is that sale."""

import re

from modules.core.sales.models import Sale

from .models import Job

TICKET = re.compile(r"LT[\s-]*0*([0-9]{1,9})", re.IGNORECASE)


def find_job(business, reference: str):
    """The sale of a job of the business by its ticket number as customers type it: LT-0042, LT0042, lt 42."""
    match = TICKET.fullmatch(reference.strip())
    if not match:
        return None
    job = Job.objects.filter(business=business, number=int(match.group(1))).exclude(
        status=Job.Status.CANCELLED).select_related("sale").first()
    return job.sale if job else None


def open_jobs(business, since):
    """None of its own: a job's sale, not yet fully paid, is among the open sales already."""
    return Sale.objects.none()
