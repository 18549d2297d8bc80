"""Events: modules subscribe by name in their MODULE declaration.

``publish`` never runs a handler for work that was rolled back. A plain subscription runs in this
process after the surrounding transaction commits (a crash right after the commit loses it: fine
for cache bumps). A ``durable=True`` subscription is written to the PostgreSQL outbox inside the
transaction and run by a worker until it succeeds. How it is written is the outbox's business: the
outbox app hands its writer to ``keep_durable_with`` when Django starts, so the registry (the
ground floor) never imports the outbox above it.
"""

import uuid
from functools import partial

from django.db import transaction
from django.utils.module_loading import import_string

from django.core.exceptions import ImproperlyConfigured

from . import registry

_keep_durable = None  # f(event, handler, payload, *, key): set by modules.core.outbox at start-up


def keep_durable_with(writer) -> None:
    """The outbox registers how a durable subscription's call is written in the publishing transaction."""
    global _keep_durable
    _keep_durable = writer


def publish(event: str, **payload) -> None:
    """A failing in-process handler is logged by Django (robust=True) and does not stop the others.
    ``payload`` must be JSON for durable subscribers (codes and ids, not model instances)."""
    published = uuid.uuid4().hex
    for subscription in registry.subscriptions(event):
        if subscription.durable:
            if _keep_durable is None:
                raise ImproperlyConfigured(f"{subscription.handler} subscribes durably: enable modules.core.outbox")
            _keep_durable(event, subscription.handler, payload, key=f"{published}:{subscription.handler}"[:200])
        else:
            transaction.on_commit(partial(import_string(subscription.handler), **payload), robust=True)
