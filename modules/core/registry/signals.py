"""Run a handler once after `migrate`, when every app's tables and permissions exist."""

from django.apps import apps
from django.db.models.signals import post_migrate


def after_migrate(handler):
    """Connect ``handler()`` to run after the last app's post_migrate. Handlers run in the
    order their apps are installed (core first), e.g. roles, businesses, charts, DB grants."""

    def receiver(app_config=None, **kwargs):
        with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
        if app_config is None or app_config == with_models[-1]:
            handler()

    post_migrate.connect(receiver, weak=False, dispatch_uid=f"{handler.__module__}.{handler.__qualname__}")
