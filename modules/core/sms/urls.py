from django.urls import path

from . import callbacks

app_name = "sms"
urlpatterns = [
    path("<str:token>/delivery/", callbacks.delivery_report, name="delivery_report"),
    path("<str:token>/incoming/", callbacks.incoming, name="incoming"),
]
