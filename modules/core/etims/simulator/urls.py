from django.urls import path

from . import views

app_name = "etims_simulator"
urlpatterns = [
    path(name, getattr(views, name), name=name) for name in (
        "selectInitOsdcInfo", "selectCodeList", "selectItemClsList", "selectCustomer", "saveItem", "selectItemList",
        "selectInvoiceDetails", "selectTrnsPurchaseSalesList", "insertTrnsPurchase", "insertStockIO",
        "saveStockMaster")
] + [path(views.SALES, views.save_sales, name=views.SALES)]
