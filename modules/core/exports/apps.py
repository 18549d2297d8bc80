from django.apps import AppConfig


class ExportsConfig(AppConfig):
    default = True
    name = "modules.core.exports"
    label = "exports"
    verbose_name = "Exports and imports"
