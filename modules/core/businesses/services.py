"""Public surface of the businesses core: which businesses exist and who may see which."""

from django.db.models import QuerySet

from modules.core.registry import events, registry
from modules.core.registry.roles import business_codes_for

from .models import Business


def sync_businesses() -> None:
    """Create or rename a Business row for every enabled business module."""
    for declared in registry.businesses():
        Business.objects.update_or_create(code=declared.code, defaults={"name": declared.name})
    events.publish("businesses.synced")


def enabled_businesses() -> QuerySet[Business]:
    return Business.objects.filter(code__in=[b.code for b in registry.businesses()], is_active=True)


def businesses_for(user) -> QuerySet[Business]:
    codes = business_codes_for(user)
    businesses = enabled_businesses()
    return businesses if codes is None else businesses.filter(code__in=codes)


def can_see_business(user, business_code: str) -> bool:
    codes = business_codes_for(user)
    return codes is None or business_code in codes
