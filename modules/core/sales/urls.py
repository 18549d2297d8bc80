from django.urls import path

from .views import public_receipt

app_name = "sales"
urlpatterns = [path("<str:token>/", public_receipt, name="public_receipt")]
