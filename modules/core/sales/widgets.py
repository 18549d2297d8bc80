from django.db.models import Count, Sum
from django.utils import timezone

from modules.core.businesses.services import businesses_for
from modules.core.ledger import services as ledger
from modules.core.live.services import cached_money

from .models import Sale


def quick_sale(request, widget):
    """The big "Quick sale" button, with today's count per business the user sells for."""
    today = timezone.localdate()
    businesses = list(businesses_for(request.user))
    totals = dict(Sale.objects.filter(business__in=businesses, created_at__date=today, status=Sale.Status.COMPLETED)
                  .values_list("business").annotate(n=Count("id")).values_list("business", "n"))
    return {"businesses": [(b, totals.get(b.pk, 0)) for b in businesses], "single": len(businesses) == 1}


def _today_figures(business, today):
    sales = Sale.objects.filter(business=business, created_at__date=today, status=Sale.Status.COMPLETED)
    counted = sales.aggregate(n=Count("id"), takings=Sum("total"))
    books = ledger.profit_and_loss(business, start=today, end=today)
    return {"sales": counted["n"], "takings": counted["takings"] or 0, "revenue": books["total_revenue"],
            "profit": books["profit"]}


def today(request, widget):
    """Today's money per business: cached under the business's live version, so a committed sale
    shows on the next poll and a cached figure never hides one."""
    day = timezone.localdate()
    rows = [(business, cached_money(business.code, f"today:{day}", lambda b=business: _today_figures(b, day)))
            for business in businesses_for(request.user)]
    return {"rows": rows, "total_takings": sum(figures["takings"] for _, figures in rows)}
