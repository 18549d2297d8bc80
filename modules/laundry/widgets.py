"""Dashboard widgets (Module.widgets): f(request, widget) -> template context."""

from django.utils import timezone

from modules.core.businesses.models import Business

from . import services
from .models import Job

SHOWN = 5


def _business(widget):
    return Business.objects.get(code=widget.business)


def by_status(request, widget):
    business = _business(widget)
    counts = services.counts_by_status(business)
    labels = dict(Job.Status.choices)
    return {"rows": [(labels[s], n) for s, n in counts.items()], "open": sum(counts.values())}


def ready(request, widget):
    business = _business(widget)
    jobs = Job.objects.filter(business=business, status=Job.Status.READY).order_by("ready_at")
    return {"count": jobs.count(), "jobs": jobs[:SHOWN],
            "uncollected": services.uncollected_jobs(business).count()}


def overdue(request, widget):
    jobs = services.overdue_jobs(_business(widget))
    return {"count": jobs.count(), "jobs": jobs[:SHOWN], "now": timezone.now()}
