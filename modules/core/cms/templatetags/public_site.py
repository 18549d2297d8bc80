"""Template tags of the public site: navigation, the footer's contact page, dates from lookups."""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import mark_safe
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from wagtail.models import Site

from ..forms import form_token
from modules.core.registry import registry

from ..models import BusinessPage, ContactPage, HomePage

register = template.Library()


@register.simple_tag(takes_context=True)
def public_home(context):
    """The site's home page (one query per page drawn, kept on the request)."""
    request = context.get("request")
    if request is not None and hasattr(request, "_public_home"):
        return request._public_home
    site = Site.find_for_request(request) if request is not None else None
    home = (site.root_page.specific if site else None) or HomePage.objects.first()
    if request is not None:
        request._public_home = home
    return home


@register.simple_tag(takes_context=True)
def public_menu(context):
    """The home page's live children marked "show in menus" (Promote tab), but not the page of a
    business whose module is switched off."""
    home = public_home(context)
    if home is None:
        return []
    enabled = [b.code for b in registry.businesses()]
    hidden = BusinessPage.objects.exclude(business_code__in=enabled).values("pk")
    return list(home.get_children().live().in_menu().exclude(pk__in=hidden).order_by("path"))


@register.simple_tag
def contact_page():
    return ContactPage.objects.live().order_by("path").first()


@register.simple_tag
def request_form_token():
    return form_token()


@register.simple_tag
def ld_json(data):
    """Structured data for search engines, escaped like Django's json_script."""
    text = json.dumps(data, cls=DjangoJSONEncoder).replace("<", "\\u003C").replace(">", "\\u003E").replace(
        "&", "\\u0026")
    # bandit: the JSON is escaped as json_script escapes it
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # nosec B308 B703


@register.filter
def public_datetime(value):
    """An ISO time from a lookup's answer, as a customer reads it: "Fri 5 Dec, 17:00"."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%a %-d %b, %H:%M")
