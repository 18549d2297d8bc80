from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The top floor: demo data and generated history (``manage.py seed_demo``, ``generate_history``),
    which use every other module and which no module uses."""

    default = True
    name = "modules.core.demo"
    label = "demo"
    verbose_name = "Demo data"
