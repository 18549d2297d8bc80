"""Event subscribers declared in module.py (they run after the publishing transaction commits)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from modules.core.customers.services import in_their_language
from modules.core.notifications import services as notifications
from modules.core.payments import services as payments
from modules.core.sms import services as sms

from .models import Job

OVERDUE = "laundry.overdue"


def tell_the_owner_what_is_overdue(business, day, overdue_count, uncollected_count, **payload):
    parts = [f"{overdue_count} overdue" if overdue_count else "",
             f"{uncollected_count} ready and not collected for 7+ days" if uncollected_count else ""]
    notifications.send(OVERDUE, message=f"Laundry {day}: " + ", ".join(p for p in parts if p),
                       link=reverse("admin:laundry:board"), business=business, throttle_key=f"{business}:{day}",
                       throttle=24 * 3600)


def text_the_customer_when_ready(business, job_id, status, **payload):
    """laundry.status_changed (durable): the customer's "ready for collection" SMS with the balance
    due, once per job (the SMS module keys it by the job), unless they opted out of SMS."""
    if status != Job.Status.READY:
        return
    job = Job.objects.select_related("business", "sale").get(pk=job_id)
    if job.status != Job.Status.READY:
        return  # collected or cancelled before this ran: no news for the customer
    due = payments.amount_due(job.sale)
    with in_their_language(job.customer):
        values = {"business": job.business.name, "ticket": job.ticket_number, "due": f"{due:,}"}
        text = (_("%(business)s: your laundry %(ticket)s is ready for collection. Balance due: KES %(due)s.") if due > 0
                else _("%(business)s: your laundry %(ticket)s is ready for collection. Fully paid.")) % values
    sms.send("laundry.ready", job.customer_phone, text,
             business=job.business, key=f"laundry.job:{job.pk}", customer=job.customer)
