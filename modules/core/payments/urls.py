from django.urls import path

from . import callbacks

app_name = "payments"
# Registered and callback URLs must not contain "mpesa" or "safaricom" (Safaricom drops them).
urlpatterns = [
    path("stk/<str:token>/", callbacks.stk_callback, name="stk_callback"),
    path("stk/<str:token>/<int:ref>/", callbacks.stk_callback, name="stk_callback_for"),
    path("c2b/<str:token>/validation/", callbacks.c2b_validation, name="c2b_validation"),
    path("c2b/<str:token>/confirmation/", callbacks.c2b_confirmation, name="c2b_confirmation"),
    # the path pushes sent before the rename still carry; answered the same way
    path("mpesa/callback/<str:token>/", callbacks.stk_callback, name="mpesa_callback"),
]
