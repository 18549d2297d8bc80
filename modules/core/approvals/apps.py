from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    default = True
    name = "modules.core.approvals"
    label = "approvals"
    verbose_name = "Approvals"
