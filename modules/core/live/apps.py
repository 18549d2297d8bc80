from django.apps import AppConfig


class LiveConfig(AppConfig):
    default = True
    name = "modules.core.live"
    label = "live"
    verbose_name = "Live updates"
