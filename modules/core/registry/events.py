"""Events: modules subscribe by name in their MODULE declaration.

``publish`` never runs a handler for work that was rolled back. A plain subscription runs in this
process after the surrounding transaction commits (a crash right after the commit loses it: fine
for cache bumps). A ``durable=True`` subscription is written to the PostgreSQL outbox inside the
transaction and run by a worker until it succeeds.
"""

import uuid
from functools import partial

from django.db import transaction
from django.utils.module_loading import import_string

from . import registry


def publish(event: str, **payload) -> None:
    """A failing in-process handler is logged by Django (robust=True) and does not stop the others.
    ``payload`` must be JSON for durable subscribers (codes and ids, not model instances)."""
    published = uuid.uuid4().hex
    for subscription in registry.subscriptions(event):
        if subscription.durable:
            from modules.core.outbox import services as outbox
            from modules.core.outbox.module import DURABLE_EVENT

            outbox.enqueue(DURABLE_EVENT, key=f"{published}:{subscription.handler}"[:200],
                           payload={"event": event, "handler": subscription.handler, "payload": payload},
                           business=payload.get("business"))
        else:
            transaction.on_commit(partial(import_string(subscription.handler), **payload), robust=True)
