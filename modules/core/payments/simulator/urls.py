from django.urls import path

from . import c2b, views

app_name = "mpesa_simulator"
urlpatterns = [
    path("oauth/v1/generate", views.oauth, name="oauth"),
    path("mpesa/stkpush/v1/processrequest", views.stk_push, name="stk-push"),
    path("mpesa/stkpushquery/v1/query", views.stk_query, name="stk-query"),
    path("mpesa/c2b/v1/registerurl", c2b.register_url, name="c2b-register-v1"),
    path("mpesa/c2b/v2/registerurl", c2b.register_url, name="c2b-register"),
    path("mpesa/c2b/v1/simulate", c2b.simulate, name="c2b-simulate"),
    path("portal/statement", c2b.statement, name="statement"),
]
