"""Public surface of the public site: customers' requests (orders, call-backs) and taking them.

    from modules.core.cms.services import REQUEST_DESK   # a staff role's permissions for its inbox
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from modules.core.inventory.models import Item
from modules.core.notifications import services as notifications
from modules.core.customers.phones import normalize_phone
from modules.core.registry import events, registry

from .models import CustomerRequest

REQUEST_DESK = ("cms.view_customerrequest", "cms.change_customerrequest")
NOTIFICATION_KIND = "cms.customer_request"
MAX_QUANTITY = 50
RETENTION = timedelta(days=400)  # a year of requests, then they go (the jobs made from them stay)


def submit_request(*, kind: str, phone: str, name: str = "", place: str = "", item_id=None, quantity=None,
                   details: str = "", client_uuid=None) -> CustomerRequest:
    """Record a customer's request and tell the business's staff and the owner (after commit).
    The same ``client_uuid`` again returns the request it made (a double tap sends one)."""
    found = registry.request_kind(kind)
    if found is None:
        raise ValidationError("Choose what you need.")
    declared_business, spec = found
    if client_uuid and (existing := CustomerRequest.objects.filter(client_uuid=client_uuid).first()):
        return existing
    phone = normalize_phone(phone)
    place = " ".join((place or "").split())[:200]
    if spec.asks_place and not place:
        raise ValidationError("Tell us where: estate or area, and a landmark.")
    item, quantity = _item(declared_business.code, spec, item_id, quantity)
    with transaction.atomic():
        request = CustomerRequest.objects.create(
            business=_business(declared_business.code), kind=spec.key, phone=phone, name=" ".join(name.split())[:80],
            place=place, item=item, quantity=quantity, details=(details or "").strip()[:500],
            **({"client_uuid": client_uuid} if client_uuid else {}))
        _announce(request)
        events.publish("cms.request_received", business=request.business.code, request_id=request.pk)
    return request


def _business(code):
    from modules.core.businesses.services import enabled_businesses

    business = enabled_businesses().filter(code=code).first()
    if business is None:
        raise ValidationError("That business is not taking requests just now.")
    return business


def _item(business_code, spec, item_id, quantity):
    if not spec.asks_item:
        return None, None
    item = Item.objects.filter(pk=item_id, business__code=business_code, is_active=True,
                               selling_price__gt=0).first() if str(item_id or "").isdigit() else None
    if item is None:
        raise ValidationError("Choose what you would like from the list.")
    try:
        quantity = int(quantity or 1)
    except (TypeError, ValueError):
        raise ValidationError("How many? Enter a whole number.") from None
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationError(f"How many? From 1 to {MAX_QUANTITY}; call us for more.")
    return item, quantity


def _announce(request: CustomerRequest):
    what = request.kind_label
    if request.item:
        what += f": {request.quantity} × {request.item.name}"
    where = f" at {request.place}" if request.place else ""
    notifications.send(NOTIFICATION_KIND, to=[*notifications.staff_roles(request.business.code), "Owner"],
                       business=request.business, obj=request, throttle=0,
                       message=f"Website: {what} for {request.name or request.phone}{where}",
                       link=reverse("admin:cms:request", args=[request.pk]))


def take_request(request: CustomerRequest, user) -> str:
    """Staff's one tap: the module makes the job or delivery (``CustomerRequestKind.create``) in the
    same transaction as marking the request taken, so a double tap or two people make one. Returns
    the admin path to open (the second tap gets the first one's)."""
    with transaction.atomic():
        locked = CustomerRequest.objects.select_for_update(of=("self",)).select_related("business", "item").get(pk=request.pk)
        if locked.status == CustomerRequest.Status.TAKEN:
            return locked.result_link
        if locked.status == CustomerRequest.Status.DISMISSED:
            raise ValidationError("This request was dismissed.")
        spec = locked.kind_spec
        if spec is None:
            raise ValidationError("Nobody takes this kind of request any more.")
        link = import_string(spec.create)(locked, user)
        locked.status, locked.handled_by, locked.handled_at = CustomerRequest.Status.TAKEN, user, timezone.now()
        locked.result_link = link[:500]
        locked.save(update_fields=["status", "handled_by", "handled_at", "result_link"])
        events.publish("cms.request_taken", business=locked.business.code, request_id=locked.pk)
    return link


def dismiss_request(request: CustomerRequest, user) -> None:
    """Spam, a joke, or settled on the phone: set aside without making anything."""
    updated = CustomerRequest.objects.filter(pk=request.pk, status=CustomerRequest.Status.NEW).update(
        status=CustomerRequest.Status.DISMISSED, handled_by=user, handled_at=timezone.now())
    if not updated:
        raise ValidationError("Someone already took or dismissed this request.")
    events.publish("cms.request_taken", business=request.business.code, request_id=request.pk)


def prune(now=None) -> int:
    from . import limits

    limits.prune(now)
    deleted, _ = CustomerRequest.objects.filter(created_at__lt=(now or timezone.now()) - RETENTION).delete()
    return deleted
