from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.inventory.services import ITEM_DATA_ENTRY, STOCK_DESK, items_menu_item, price_list_widget
from modules.core.payments.services import PAYMENT_DESK
from modules.core.cms.services import REQUEST_DESK
from modules.core.registry.contract import (AccountSpec, Business, CustomerRequestKind, MenuItem, Module, PublicSite, Role,
                                            Subscription, Widget)
from modules.core.sales.services import SALES_DESK, takings_widget

from .services import BOTTLE_DEPOSITS, BUSINESS_CODE

WATER_DESK = ("water.view_*", "water.add_*", "water.change_*", "water.post_productionbatch")


def _widget(key, title, refresh, permission):
    return Widget(key=f"{BUSINESS_CODE}.{key}", title=title, callable=f"modules.water.widgets.{key}",
                  template=f"water/widget_{key}.html", refresh_seconds=refresh, permission=permission,
                  business=BUSINESS_CODE)


MODULE = Module(
    key=BUSINESS_CODE,
    label=_("Water"),
    icon="water_drop",
    order=10,
    business=Business(BUSINESS_CODE, "Water refill and packaging"),
    menu=(
        items_menu_item(BUSINESS_CODE, _("Water prices"), "water_drop"),
        MenuItem(_("Production batches"), "admin:water_productionbatch_changelist", "factory",
                 "water.view_productionbatch"),
        MenuItem(_("Recipes"), "admin:water_recipe_changelist", "receipt_long", "water.view_recipe"),
        MenuItem(_("Bottles and deposits"), "admin:water:bottles", "propane_tank", "water.view_bottlemovement"),
        MenuItem(_("Deliveries"), "admin:water_deliveryorder_changelist", "local_shipping", "water.view_deliveryorder"),
    ),
    widgets=(
        price_list_widget(BUSINESS_CODE, _("Water: price list")),
        _widget("production", _("Water: production today"), 60, "water.view_productionbatch"),
        takings_widget(BUSINESS_CODE, _("Water: today's takings")),
        _widget("deliveries", _("Water: pending deliveries"), 30, "water.view_deliveryorder"),
        _widget("bottles", _("Water: bottles out"), 120, "water.view_bottlemovement"),
    ),
    demo="modules.water.demo.seed",
    roles=(
        Role("Water staff",
             permissions=ITEM_DATA_ENTRY + STOCK_DESK + PAYMENT_DESK + SALES_DESK + WATER_DESK + REQUEST_DESK,
             business=BUSINESS_CODE),
        Role("Accountant", permissions=("water.view_*",)),
    ),
    accounts=(AccountSpec(BOTTLE_DEPOSITS, "Bottle deposits", "liability"),),
    subscriptions=(Subscription("water.dispatched", "modules.water.handlers.text_the_customer_it_is_on_its_way",
                                durable=True),),
    admin_urls="modules.water.views.admin_urlpatterns",
    public=PublicSite(
        summary="Purified drinking water: refills while you wait, sealed bottles, and delivery to your door.",
        requests=(CustomerRequestKind("water.delivery", "Water delivery", create="modules.water.public.delivery_from_request",
                                      action_label="Create the delivery", asks_item=True),),
    ),
)
