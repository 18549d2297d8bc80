"""POSTs to a public page: each names the block it came from (a lookup or a request form).

Spam protection for the request form, with no third-party service: a honeypot field people never
see, a signed render time (sent faster than a person types: dropped), and rate limits per address
and per phone in PostgreSQL. Dropped spam is answered like a real request, so bots learn nothing.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from modules.core.registry import registry

from . import limits, lookups, services
from .blocks import offered_kinds

HONEYPOT = "website"
MIN_SECONDS = 3  # a person needs longer than this to fill the form
MAX_AGE = timedelta(days=2)  # a page left open on a phone that long is drawn again
REQUESTS_PER_ADDRESS = 5
REQUESTS_PER_PHONE = 3
REQUEST_WINDOW = timedelta(hours=1)
TOKEN_SALT = "cms.request-form"


@dataclass
class Outcome:
    block_id: str = ""
    status: int = 200
    message: str = ""
    result: dict | None = None  # a lookup's answer
    needs_whole_phone: bool = False
    values: dict = field(default_factory=dict)  # what was typed, shown again
    redirect: HttpResponseRedirect | None = None


def form_token() -> str:
    """Put in the request form when it is drawn: when, signed (the time trap)."""
    return signing.dumps(time.time(), salt=TOKEN_SALT)


def _seconds_since_drawn(token: str) -> float | None:
    try:
        return time.time() - float(signing.loads(token, salt=TOKEN_SALT, max_age=MAX_AGE))
    except (signing.BadSignature, TypeError, ValueError):
        return None


def handle(page, request) -> Outcome:
    block_id = request.POST.get("block", "")
    child = next((c for c in page.body if c.id == block_id), None)
    if child is None or child.block_type not in ("lookup", "request_form"):
        return Outcome(status=400, message="This form has changed since the page was opened: send it again.")
    if child.block_type == "lookup":
        return _lookup(request, child)
    return _request_form(page, request, child)


def _lookup(request, child) -> Outcome:
    lookup = registry.public_lookup(child.value["lookup"])
    values = {"reference": request.POST.get("reference", "")[:40]}
    if lookup is None:
        return Outcome(child.id, 404, "This lookup is not offered any more.", values=values)
    answer = lookups.check(lookup, request, values["reference"], request.POST.get("phone", "")[:20])
    return Outcome(child.id, answer.status, answer.message, result=answer.result,
                   needs_whole_phone=answer.needs_whole_phone, values=values)


def _request_form(page, request, child) -> Outcome:
    post = request.POST
    values = {name: post.get(name, "")[:500] for name in ("kind", "name", "phone", "place", "item", "quantity",
                                                          "details", "uuid")}
    sent = HttpResponseRedirect(f"{page.url}?sent={child.id}#b-{child.id}")
    age = _seconds_since_drawn(post.get("token", ""))
    if age is None:
        return Outcome(child.id, 400, "This form is too old: it has been drawn again, send it once more.",
                       values=values)
    if post.get(HONEYPOT) or age < MIN_SECONDS:
        return Outcome(child.id, redirect=sent)  # a bot: answered like everyone, recorded nowhere
    if values["kind"] not in {kind.key for _, kind in offered_kinds(child.value)}:
        return Outcome(child.id, 400, "Choose what you need.", values=values)
    address = limits.address_key(request, "request")
    phone = limits.hashed("".join(ch for ch in values["phone"] if ch.isdigit())[-9:])
    if (limits.count(address, REQUEST_WINDOW) >= REQUESTS_PER_ADDRESS
            or limits.count(f"request:phone:{phone}", REQUEST_WINDOW) >= REQUESTS_PER_PHONE):
        return Outcome(child.id, 429, "We already have several requests from you and will call back soon. "
                                      "If it is urgent, call us.", values=values)
    try:
        services.submit_request(kind=values["kind"], phone=values["phone"], name=values["name"],
                                place=values["place"], item_id=values["item"], quantity=values["quantity"],
                                details=values["details"], client_uuid=_uuid(values["uuid"]))
    except ValidationError as error:
        return Outcome(child.id, 400, " ".join(error.messages), values=values)
    limits.hit(address, REQUEST_WINDOW)
    limits.hit(f"request:phone:{phone}", REQUEST_WINDOW)
    return Outcome(child.id, redirect=sent)


def _uuid(raw):
    try:
        return uuid.UUID(raw)
    except (TypeError, ValueError):
        return None
