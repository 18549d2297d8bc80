from django.urls import path

from . import views

app_name = "mpesa_simulator"
urlpatterns = [
    path("oauth/v1/generate", views.oauth, name="oauth"),
    path("mpesa/stkpush/v1/processrequest", views.stk_push, name="stk-push"),
    path("mpesa/stkpushquery/v1/query", views.stk_query, name="stk-query"),
]
