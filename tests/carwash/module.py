"""The car wash declares itself: a business, its menu, a widget, its staff role, a schedule, a
notification and an event subscription. It sells through the core's quick sale (the one sale
engine), so it needs no models of its own."""

from modules.core.inventory.services import items_menu_item
from modules.core.payments.services import PAYMENT_DESK
from modules.core.registry.contract import (Business, MenuItem, Module, NotificationKind, Role, Schedule, Subscription,
                                            Widget)
from modules.core.sales.services import SALES_DESK, takings_widget

BUSINESS_CODE = "carwash"
STAFF_ROLE = "Car wash staff"

MODULE = Module(
    key=BUSINESS_CODE,
    label="Car wash",
    icon="local_car_wash",
    order=40,
    business=Business(BUSINESS_CODE, "Car wash"),
    menu=(
        MenuItem("Sell a wash", f"/admin/sales/quick/?business={BUSINESS_CODE}", "local_car_wash", "sales.add_sale"),
        items_menu_item(BUSINESS_CODE, "Wash prices", "sell"),
    ),
    widgets=(
        Widget(key="carwash.cars_today", title="Car wash: cars today", callable="tests.carwash.widgets.cars_today",
               template="carwash/widget_cars_today.html", refresh_seconds=30, permission="sales.view_sale",
               business=BUSINESS_CODE),
        takings_widget(BUSINESS_CODE, "Car wash: today's takings"),
    ),
    roles=(
        Role(STAFF_ROLE, permissions=("inventory.view_item",) + SALES_DESK + PAYMENT_DESK, business=BUSINESS_CODE),
    ),
    demo="tests.carwash.demo.seed",
    schedules=(Schedule("carwash.evening_count", "tests.carwash.jobs.evening_count", cron="30 19 * * *"),),
    notification_kinds=(
        NotificationKind("carwash.wash_paid", "Car wash: a wash was paid, start washing",
                         default_roles=(STAFF_ROLE,)),
        NotificationKind("carwash.evening_count", "Car wash: cars washed today", default_roles=("Owner",)),
    ),
    subscriptions=(Subscription("sale.committed", "tests.carwash.handlers.tell_the_bay", durable=True),),
)
