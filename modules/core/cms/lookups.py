"""Status lookups on the public site (the laundry ticket), rate-limited so they cannot be swept.

The module answers (``PublicLookup.callable``); this file decides whether to ask it. Only wrong
answers count, so a customer checking again and again is never slowed down.

* **Per reference** (the ticket): after ``REFERENCE_LIMIT`` wrong last-4 guesses in a day, that ticket
  wants the customer's *whole* phone number until the day ends.
* **Per address**: after ``ADDRESS_LIMIT`` wrong answers in ``ADDRESS_WINDOW``, that address too
  must give whole numbers; after ``ADDRESS_HARD_LIMIT`` it gets 429 until the window ends.

The real customer knows their whole number and gets in at once, so wrong guesses never lock them
out (short of someone making 30 wrong whole-number tries from their own address in 15 minutes); a
guesser faces ~2×10⁸ numbers instead of 10⁴, at 30 tries per address per 15 minutes. Counters live
in PostgreSQL (limits.py): Redis down changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from django.utils.module_loading import import_string

from modules.core.registry.contract import PublicLookup

from . import limits

ADDRESS_LIMIT = 10
ADDRESS_HARD_LIMIT = 30
ADDRESS_WINDOW = timedelta(minutes=15)
REFERENCE_LIMIT = 5
REFERENCE_WINDOW = timedelta(days=1)
WHOLE_NUMBER_DIGITS = 9  # 712345678 and longer: a whole number, not the last 4 digits


@dataclass
class Answer:
    status: int  # of the page that shows it: 200 for an answer or a miss (a query like any), 4xx for bad input
    result: dict | None = None
    message: str = ""
    needs_whole_phone: bool = False


def _reference_counter(lookup: PublicLookup, reference_key: str) -> str:
    return f"lookup:ref:{lookup.key}:{reference_key}"[:120]


def check(lookup: PublicLookup, request, reference: str, phone: str) -> Answer:
    address = limits.address_key(request, f"lookup:{lookup.key}")
    address_misses = limits.count(address, ADDRESS_WINDOW)
    if address_misses >= ADDRESS_HARD_LIMIT:
        return Answer(429, message="Too many wrong tries from this connection. Wait 15 minutes, or call us.")
    reference_key = import_string(lookup.reference_key)(reference)
    if reference_key is None:
        return Answer(400, message=f"Enter the {lookup.reference_label.lower()} as it is written "
                                   f"({lookup.reference_hint or 'on your receipt'}).")
    digits = re.sub(r"\D", "", phone or "")
    whole = len(digits) >= WHOLE_NUMBER_DIGITS
    if not whole and len(digits) != 4:
        return Answer(400, message="Enter the last 4 digits of your phone number.")
    counter = _reference_counter(lookup, str(reference_key))
    if not whole and (address_misses >= ADDRESS_LIMIT or limits.count(counter, REFERENCE_WINDOW) >= REFERENCE_LIMIT):
        return Answer(200, needs_whole_phone=True, message="For your safety, enter your whole phone number this time.")
    result = import_string(lookup.callable)(reference, digits)
    if result is not None:
        return Answer(200, result=result)
    limits.hit(address, ADDRESS_WINDOW)
    if not whole:
        limits.hit(counter, REFERENCE_WINDOW)
    return Answer(200, needs_whole_phone=whole,
                  message=f"We found no {lookup.reference_label.lower()} with that phone number. Check both and try again.")
