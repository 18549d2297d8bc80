from datetime import timedelta

from django.utils import timezone

from modules.core.businesses.services import businesses_for

from . import charts, services


def revenue_trend(request, widget):
    """The last 30 days of revenue per business the user may see (from the ledger)."""
    today = timezone.localdate()
    trend = services.revenue_trend(list(businesses_for(request.user)), today - timedelta(days=29), today)
    return {"trend": trend, "chart": charts.revenue_svg(trend)}
