"""Short links for texts: ``/s/<slug>/`` redirects to a page of this site (a signed receipt or
statement link, 60+ characters) so a text stays one part. The slug is random (48 bits from
``secrets``): links cannot be guessed or walked, and a miss is counted per address (past
``SMS_LINK_MISSES_PER_MINUTE`` a minute, 429). The target page keeps its own checks (signature,
expiry): the short link adds no access of its own."""

import secrets

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect

from modules.core.system.network import client_ip
from modules.core.system.services import refused

from .models import ShortLink

PRIVATE = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


def short_link(path: str, *, key: str) -> str:
    """The absolute short URL for ``path`` (``/r/…``); one link per ``key``, made once."""
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"a short link leads to a path of this site, not {path!r}")
    link = ShortLink.objects.filter(key=key[:200]).first()
    while link is None:  # a slug taken already (2^-48) or a rival made the key's link: look again
        ShortLink.objects.bulk_create([ShortLink(slug=secrets.token_urlsafe(6), key=key[:200], target=path)],
                                      ignore_conflicts=True)
        link = ShortLink.objects.filter(key=key[:200]).first()
    return f"{settings.PUBLIC_BASE_URL}/s/{link.slug}/"


def follow(request, slug):
    link = ShortLink.objects.filter(slug=slug[:16]).only("target").first()
    if link is None:
        if refused("sms-link", "sms.bad_link", "A short link that does not exist", ip=client_ip(request),
                   limit=settings.SMS_LINK_MISSES_PER_MINUTE):
            return HttpResponse("Too many requests", status=429, content_type="text/plain",
                                headers={"Retry-After": "60", **PRIVATE})
        return HttpResponse("No such link. Ask the shop to send it again.", status=404,
                            content_type="text/plain; charset=utf-8", headers=PRIVATE)
    response = HttpResponseRedirect(link.target)
    for name, value in PRIVATE.items():
        response[name] = value
    return response
