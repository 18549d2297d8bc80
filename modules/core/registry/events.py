"""In-process events: modules subscribe by name in their MODULE declaration.

``publish`` runs handlers after the surrounding transaction commits, so nothing reacts to work
that was rolled back. Handlers that must not be lost enqueue through the PostgreSQL outbox.
"""

from functools import partial

from django.db import transaction
from django.utils.module_loading import import_string

from . import registry


def publish(event: str, **payload) -> None:
    """A failing handler is logged by Django (robust=True) and does not stop the others."""
    for subscription in registry.subscriptions(event):
        transaction.on_commit(partial(import_string(subscription.handler), **payload), robust=True)
