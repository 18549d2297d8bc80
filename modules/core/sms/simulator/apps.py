from django.apps import AppConfig


class SmsSimulatorConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "modules.core.sms.simulator"
    label = "sms_simulator"
    verbose_name = "Africa's Talking SMS simulator (dev and tests only)"
