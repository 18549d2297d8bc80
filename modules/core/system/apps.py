from django.apps import AppConfig


class SystemConfig(AppConfig):
    default = True
    name = "modules.core.system"
    label = "system"
    verbose_name = "System"

    def ready(self):
        from modules.core.registry.signals import after_migrate

        from .db_roles import grant_app_role

        after_migrate(grant_app_role)  # the system app is the last core app: grants run last
