from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    default = True
    name = "modules.core.payments"
    label = "payments"
    verbose_name = "Payments"
