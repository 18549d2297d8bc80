from django.urls import path

from .views import public_receipt, public_statement

app_name = "sales"
urlpatterns = [
    path("statement/<str:token>/", public_statement, name="public_statement"),
    path("<str:token>/", public_receipt, name="public_receipt"),
]
