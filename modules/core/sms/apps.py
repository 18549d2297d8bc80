from django.apps import AppConfig


class SmsConfig(AppConfig):
    default = True
    default_auto_field = "django.db.models.BigAutoField"
    name = "modules.core.sms"
    label = "sms"
    verbose_name = "SMS"
