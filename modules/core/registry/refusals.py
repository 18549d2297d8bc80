"""One refusal type for every module: a business rule said no.

A refusal is a ``ValidationError`` whose message is written for the person who tried ("Only 2 …
left", "Cash would go below zero: it holds KES 100.00 …"), so views and forms catch
``ValidationError`` and show ``error.messages``; ``str(refusal)`` is that message too. Modules
subclass it for what a caller may want to tell apart (``LedgerError``, ``OutOfStock``,
``SaleConflict`` for the 409 of a reused sale ID, …).
"""

from django.core.exceptions import ValidationError


class Refusal(ValidationError):
    def __str__(self):
        return " ".join(self.messages)
