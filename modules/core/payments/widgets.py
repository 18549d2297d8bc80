from django.db.models import Count, Sum

from modules.core.businesses.services import businesses_for

from . import receipts
from .models import MpesaReceipt, StkRequest

SHOWN = 5


def waiting(request, widget):
    """M-Pesa requests that may still pay, in the businesses this user works in."""
    pending = (StkRequest.objects.filter(status__in=StkRequest.MAY_STILL_PAY, business__in=businesses_for(request.user))
               .select_related("business").order_by("created_at"))
    return {"count": pending.count(), "requests": pending[:SHOWN]}


def inbox(request, widget):
    """Unallocated M-Pesa money and typed codes M-Pesa has not confirmed, per business."""
    businesses = businesses_for(request.user)
    rows = (MpesaReceipt.objects.filter(business__in=businesses, state=MpesaReceipt.State.UNALLOCATED)
            .values("business__name").annotate(count=Count("pk"), total=Sum("amount")).order_by("business__name"))
    return {"rows": list(rows), "unconfirmed": receipts.unconfirmed_typed().filter(business__in=businesses).count()}
