from django.apps import AppConfig


class RegistryConfig(AppConfig):
    default = True
    name = "modules.core.registry"
    label = "registry"
    verbose_name = "Module registry"

    def ready(self):
        from . import checks, registry, roles  # noqa: F401 (checks: registers the declaration check)
        from .signals import after_migrate

        registry.modules()  # autodiscover every module.py now: a bad declaration fails at start-up
        after_migrate(roles.sync_roles)
