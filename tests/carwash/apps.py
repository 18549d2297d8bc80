from django.apps import AppConfig


class CarWashConfig(AppConfig):
    default = True
    name = "tests.carwash"
    label = "carwash"
    verbose_name = "Car wash"
