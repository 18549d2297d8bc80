from django.db.models import Count, Max, Min, OuterRef, Subquery
from django.utils import timezone

from modules.core.businesses.services import businesses_for

from .models import LowStockAlert, StockLevel
from .services import price_list as items_on_sale

SHOWN = 5


def price_list(request, widget):
    """A business's live price list: what the counter staff quote today."""
    items = items_on_sale(widget.business)
    summary = items.aggregate(count=Count("id"), lowest=Min("selling_price"), highest=Max("selling_price"))
    return {**summary, "items": items[:SHOWN], "business": widget.business}


def low_stock(request, widget):
    """Today's low-stock alerts in the user's businesses, with what is on hand now."""
    level = StockLevel.objects.filter(item=OuterRef("item"), location=OuterRef("location"))
    alerts = (LowStockAlert.objects.filter(day=timezone.localdate(), item__business__in=businesses_for(request.user))
              .select_related("item", "location")
              .annotate(on_hand=Subquery(level.values("quantity")[:1]),
                        reorder_level=Subquery(level.values("reorder_level")[:1]))
              .order_by("on_hand", "item__name"))
    return {"count": alerts.count(), "alerts": alerts[:SHOWN]}
