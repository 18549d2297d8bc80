"""Dashboard widgets (Module.widgets): f(request, widget) -> the template's context."""

from django.db.models import Sum
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.sales.models import Sale

SHOWN = 5


def completed_today(business, day):
    return Sale.objects.filter(business=business, created_at__date=day, status=Sale.Status.COMPLETED)


def cars_today(request, widget):
    """Washes rung up today through the quick sale: how many receipts, their total, the latest."""
    business = Business.objects.get(code=widget.business)
    sales = completed_today(business, timezone.localdate())
    return {"count": sales.count(), "total": sales.aggregate(total=Sum("total"))["total"] or 0,
            "latest": sales.order_by("-created_at")[:SHOWN]}
