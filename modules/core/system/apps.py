from django.apps import AppConfig


class SystemConfig(AppConfig):
    default = True
    name = "modules.core.system"
    label = "system"
    verbose_name = "System"
