from django.db.models import Count, Max, Min

from .services import price_list as items_on_sale

SHOWN = 5


def price_list(request, widget):
    """A business's live price list: what the counter staff quote today."""
    items = items_on_sale(widget.business)
    summary = items.aggregate(count=Count("id"), lowest=Min("selling_price"), highest=Max("selling_price"))
    return {**summary, "items": items[:SHOWN], "business": widget.business}
