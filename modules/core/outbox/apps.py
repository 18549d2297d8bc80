from django.apps import AppConfig


class OutboxConfig(AppConfig):
    default = True
    name = "modules.core.outbox"
    label = "outbox"
    verbose_name = "Outbox"

    def ready(self):
        from modules.core.registry import events

        from .handlers import keep_subscription

        events.keep_durable_with(keep_subscription)
