"""Event subscribers (Module.subscriptions)."""

from modules.core.notifications import services as notifications
from modules.core.sales.models import Sale

from .module import BUSINESS_CODE


def tell_the_bay(*, business, sale_id, **_):
    """sale.committed (durable, through the outbox): a paid car wash receipt tells the staff on the
    bay which car to wash. Other businesses' sales are not ours."""
    if business != BUSINESS_CODE:
        return
    sale = Sale.objects.get(pk=sale_id)
    notifications.send("carwash.wash_paid", business=BUSINESS_CODE, obj=sale,
                       message=f"{sale.receipt_number} paid: KES {sale.total:,.2f}. Start washing.")
