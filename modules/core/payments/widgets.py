from modules.core.businesses.services import businesses_for

from .models import StkRequest

SHOWN = 5


def waiting(request, widget):
    """M-Pesa requests still waiting for the customer, in the businesses this user works in."""
    pending = (StkRequest.objects.filter(status=StkRequest.Status.PENDING, business__in=businesses_for(request.user))
               .select_related("business").order_by("created_at"))
    return {"count": pending.count(), "requests": pending[:SHOWN]}
