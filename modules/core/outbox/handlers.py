"""The outbox's own topic: durable event subscriptions (``Subscription(..., durable=True)``):
written in the publishing transaction by ``keep_subscription`` (handed to the registry's events at
start-up), run by a worker with ``run_subscription``."""

from django.utils.module_loading import import_string

from . import services
from .module import DURABLE_EVENT


def keep_subscription(event: str, handler: str, payload: dict, *, key: str) -> None:
    services.enqueue(DURABLE_EVENT, key=key, payload={"event": event, "handler": handler, "payload": payload},
                     business=payload.get("business"))


def run_subscription(message):
    """Call the subscriber exactly as an in-process subscription would be: ``f(**payload)``."""
    import_string(message.payload["handler"])(**message.payload["payload"])
