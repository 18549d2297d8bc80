"""Dashboard widgets of the water business: f(request, widget) -> template context."""

from modules.core.businesses.models import Business
from modules.core.ledger.models import Account
from modules.core.ledger.services import balance

from . import services

SHOWN = 4


def _business(widget):
    return Business.objects.get(code=widget.business)


def production(request, widget):
    """Good units posted today per product against the recipe's daily target."""
    return {"rows": services.production_today(_business(widget))}


def deliveries(request, widget):
    pending = services.pending_deliveries(_business(widget))
    return {"count": pending.count(), "out": pending.filter(status="out").count(), "orders": pending[:SHOWN]}


def bottles(request, widget):
    business = _business(widget)
    account = Account.objects.filter(business=business, code=services.BOTTLE_DEPOSITS).first()
    return {"out": services.bottles_out(business), "deposits": balance(account) if account else 0,
            "customers": [r for r in services.bottle_balances(business, limit=SHOWN) if r["held"] > 0]}
