from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default = True
    name = "modules.core.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from . import checks  # noqa: F401 (registers the system checks)
