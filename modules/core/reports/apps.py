from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default = True
    name = "modules.core.reports"
    label = "reports"
    verbose_name = "Reports"
