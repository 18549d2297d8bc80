"""Dashboard widget (Module.widgets): the website's new requests in the user's businesses."""

from modules.core.businesses.services import businesses_for

from .models import CustomerRequest

SHOWN = 5


def new_requests(request, widget):
    waiting = (CustomerRequest.objects.filter(status=CustomerRequest.Status.NEW,
                                              business__in=businesses_for(request.user))
               .select_related("item").order_by("-created_at"))
    return {"count": waiting.count(), "requests": waiting[:SHOWN]}
