"""The outbox's own topic: durable event subscriptions (``Subscription(..., durable=True)``)."""

from django.utils.module_loading import import_string


def run_subscription(message):
    """Call the subscriber exactly as an in-process subscription would be: ``f(**payload)``."""
    import_string(message.payload["handler"])(**message.payload["payload"])
