from django.apps import AppConfig


class OutboxConfig(AppConfig):
    default = True
    name = "modules.core.outbox"
    label = "outbox"
    verbose_name = "Outbox"
