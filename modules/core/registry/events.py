"""In-process events: modules subscribe by name in their MODULE declaration.

``publish`` runs handlers after the surrounding transaction commits, so nothing reacts to work
that was rolled back. Handlers that must not be lost enqueue through the PostgreSQL outbox.
"""

import logging

from django.db import transaction
from django.utils.module_loading import import_string

from . import registry

logger = logging.getLogger(__name__)


def publish(event: str, **payload) -> None:
    for subscription in registry.subscriptions(event):
        handler = import_string(subscription.handler)
        transaction.on_commit(lambda handler=handler: _run(event, handler, payload), robust=True)


def _run(event, handler, payload):
    try:
        handler(**payload)
    except Exception:
        logger.exception("handler %s for %s failed", handler.__qualname__, event)
        raise
