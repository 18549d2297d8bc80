"""Scheduled jobs (Module.schedules), run by RQ's cron scheduler in Africa/Nairobi time."""

from django.db.models import Sum
from django.utils import timezone

from modules.core.businesses.services import enabled_businesses
from modules.core.notifications import services as notifications

from .module import BUSINESS_CODE
from .widgets import completed_today


def evening_count() -> dict:
    """19:30: tell the owner how many cars were washed today and what they paid."""
    business = enabled_businesses().get(code=BUSINESS_CODE)
    day = timezone.localdate()
    sales = completed_today(business, day)
    count, total = sales.count(), sales.aggregate(total=Sum("total"))["total"] or 0
    notifications.send("carwash.evening_count", business=business,
                       message=f"Car wash {day:%a %d %b}: {count} receipt(s), KES {total:,.2f}.")
    return {"day": day.isoformat(), "receipts": count, "total": f"{total:.2f}"}
