from django.db.models import Count

from modules.core.businesses.services import businesses_for

from . import receipts, services
from .models import MpesaReceipt, StkRequest

SHOWN = 5


def waiting(request, widget):
    """M-Pesa requests that may still pay, in the businesses this user works in."""
    pending = (StkRequest.objects.filter(status__in=StkRequest.MAY_STILL_PAY, business__in=businesses_for(request.user))
               .select_related("business").order_by("created_at"))
    return {"count": pending.count(), "requests": pending[:SHOWN]}


def inbox(request, widget):
    """Unallocated M-Pesa money per business (the amount is the ledger's, as every figure shown) and
    typed codes M-Pesa has not confirmed."""
    businesses = list(businesses_for(request.user))
    counts = dict(MpesaReceipt.objects.filter(business__in=businesses, state=MpesaReceipt.State.UNALLOCATED)
                  .values_list("business").annotate(n=Count("pk")).values_list("business", "n"))
    rows = [{"business": business.name, "count": counts[business.pk], "total": services.unallocated_total(business)}
            for business in businesses if counts.get(business.pk)]
    return {"rows": rows, "unconfirmed": receipts.unconfirmed_typed().filter(business__in=businesses).count()}
