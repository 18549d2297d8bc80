from django.db.models import Count
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.businesses.services import businesses_for
from modules.core.ledger import services as ledger
from modules.core.live.services import cached_money

from . import accounts, takings
from .models import Sale


def quick_sale(request, widget):
    """The big "Quick sale" button, with today's count per business the user sells for."""
    today = timezone.localdate()
    businesses = list(businesses_for(request.user))
    totals = dict(Sale.objects.filter(business__in=businesses, created_at__date=today, status=Sale.Status.COMPLETED)
                  .values_list("business").annotate(n=Count("id")).values_list("business", "n"))
    return {"businesses": [(b, totals.get(b.pk, 0)) for b in businesses], "single": len(businesses) == 1}


def _today_figures(business, today):
    """Sales rung up today (every kind: quick sales, laundry jobs, LPG, deliveries), the money
    taken by any route (takings.py), and the ledger's revenue and profit."""
    sales = Sale.objects.filter(business=business, created_at__date=today, status=Sale.Status.COMPLETED).count()
    books = ledger.profit_and_loss(business, start=today, end=today)
    return {"sales": sales, **takings.for_day(business, today), "revenue": books["total_revenue"],
            "profit": books["profit"]}


def today(request, widget):
    """Today's money per business: cached under the business's live version, so a committed sale
    shows on the next poll and a cached figure never hides one."""
    day = timezone.localdate()
    rows = [(business, cached_money(business.code, f"today:{day}", lambda b=business: _today_figures(b, day)))
            for business in businesses_for(request.user)]
    total = takings.empty()
    for _, figures in rows:
        takings.add(total, {key: figures[key] for key in total})
    return {"rows": rows, "total": total, "routes": takings.LABELS}


def business_takings(request, widget):
    """One business's money received today, by route (a module declares it: takings_widget)."""
    business = Business.objects.get(code=widget.business)
    day = timezone.localdate()
    figures = cached_money(business.code, f"takings:{day}", lambda: takings.for_day(business, day))
    return {**figures, "routes": [(route, label, figures[route]) for route, label in takings.LABELS.items()]}


def debtors(request, widget, shown=5):
    """Who owes me: the biggest debtors across the user's businesses and what all owe, by age."""
    businesses = list(businesses_for(request.user))
    rows = accounts.ageing(businesses)
    owed = {key: sum((row[key] for row in rows), takings.ZERO) for key, *_ in accounts.AGES}
    return {"rows": rows[:shown], "count": len(rows), "total": sum(owed.values(), takings.ZERO),
            "ages": [(label, owed[key]) for key, label, *_ in accounts.AGES]}
