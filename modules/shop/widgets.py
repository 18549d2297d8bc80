"""Dashboard widgets of the shop: LPG fulls/empties with low-full alerts, today's takings, top sellers."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.sales.models import Sale, SaleLine

from . import services


def _shop():
    return Business.objects.get(code=services.BUSINESS_CODE)


def lpg_stock(request, widget):
    """Fulls and empties per size and brand; fulls at or under the reorder level are flagged."""
    rows = services.cylinder_stock(_shop())
    return {"rows": rows, "low": [row for row in rows if row["low"]], "can_sell": request.user.has_perm("shop.add_lpgsale"),
            "fulls": sum((row["full"] for row in rows), Decimal("0")),
            "empties": sum((row["empty"] for row in rows), Decimal("0"))}


def top_sellers(request, widget, days=7, limit=5):
    """Items by quantity over the last 7 days, LPG cylinders included (every LPG sale is a sale)."""
    shop = _shop()
    since = timezone.now() - timedelta(days=days)
    rows = [{"name": row["item__name"], "quantity": row["quantity"], "amount": row["amount"]}
            for row in SaleLine.objects.filter(sale__business=shop, sale__status=Sale.Status.COMPLETED,
                                               sale__created_at__gte=since, item__isnull=False)
            .values("item__name").annotate(quantity=Sum("quantity"), amount=Sum("line_total"))
            .order_by("-quantity", "item__name")[:limit]]
    return {"rows": rows}
