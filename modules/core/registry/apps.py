from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RegistryConfig(AppConfig):
    default = True
    name = "modules.core.registry"
    label = "registry"
    verbose_name = "Module registry"

    def ready(self):
        from . import registry, roles

        registry.modules()  # autodiscover every module.py now: a bad declaration fails at start-up
        post_migrate.connect(roles.sync_roles, dispatch_uid="registry.sync_roles")
