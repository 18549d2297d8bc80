from django.db.models import Count, Sum
from django.utils import timezone

from modules.core.businesses.services import businesses_for

from .models import Sale


def quick_sale(request, widget):
    """The big "Quick sale" button, with today's count per business the user sells for."""
    today = timezone.localdate()
    businesses = list(businesses_for(request.user))
    totals = dict(Sale.objects.filter(business__in=businesses, created_at__date=today, status=Sale.Status.COMPLETED)
                  .values_list("business").annotate(n=Count("id")).values_list("business", "n"))
    return {"businesses": [(b, totals.get(b.pk, 0)) for b in businesses], "single": len(businesses) == 1}
