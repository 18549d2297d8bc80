from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default = True
    name = "modules.core.notifications"
    label = "notifications"
    verbose_name = "Notifications"
