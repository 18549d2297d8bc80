from django.urls import path

from . import views

urlpatterns = [path("version1/messaging", views.messaging, name="sms_simulator_messaging")]
