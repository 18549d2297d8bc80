from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.inventory.services import ITEM_DATA_ENTRY, STOCK_DESK, items_menu_item, price_list_widget
from modules.core.payments.services import PAYMENT_DESK
from modules.core.cms.services import REQUEST_DESK
from modules.core.registry.contract import (Business, CustomerRequestKind, MenuItem, Module, NotificationKind, Payable,
                                            PublicLookup, PublicSite, Role, Schedule, Subscription, Widget)
from modules.core.sales.services import SALES_DESK, takings_widget

from .services import BUSINESS_CODE, LAUNDRY_DESK


def _widget(key, title, template, refresh_seconds=30):
    return Widget(key=f"{BUSINESS_CODE}.{key}", title=title, callable=f"modules.laundry.widgets.{key}",
                  template=f"laundry/widget_{template}.html", refresh_seconds=refresh_seconds,
                  permission="laundry.view_job", business=BUSINESS_CODE)


MODULE = Module(
    key=BUSINESS_CODE,
    label=_("Laundry"),
    icon="local_laundry_service",
    order=20,
    business=Business(BUSINESS_CODE, "Laundry"),
    menu=(
        MenuItem(_("Laundry board"), "admin:laundry:board", "view_kanban", "laundry.view_job"),
        MenuItem(_("New laundry job"), "admin:laundry:new_job", "add_circle", "laundry.add_job"),
        MenuItem(_("Laundry jobs"), "admin:laundry_job_changelist", "local_laundry_service", "laundry.view_job"),
        items_menu_item(BUSINESS_CODE, _("Laundry prices"), "sell"),
    ),
    widgets=(
        _widget("by_status", _("Laundry: jobs by status"), "by_status"),
        _widget("ready", _("Laundry: ready for pickup"), "ready"),
        takings_widget(BUSINESS_CODE, _("Laundry: today's takings")),
        _widget("overdue", _("Laundry: overdue"), "overdue", refresh_seconds=60),
        price_list_widget(BUSINESS_CODE, _("Laundry: price list")),
    ),
    demo="modules.laundry.demo.seed",
    roles=(
        Role("Laundry staff",
             permissions=ITEM_DATA_ENTRY + STOCK_DESK + PAYMENT_DESK + SALES_DESK + LAUNDRY_DESK + REQUEST_DESK,
             business=BUSINESS_CODE),
        Role("Accountant", permissions=("laundry.view_*",)),
    ),
    schedules=(Schedule("laundry.daily_overdue", "modules.laundry.jobs.daily_overdue", cron="0 8 * * *"),),
    notification_kinds=(NotificationKind("laundry.overdue", _("Laundry overdue or uncollected"), default_roles=("Owner",)),),
    subscriptions=(
        Subscription("laundry.overdue", "modules.laundry.handlers.tell_the_owner_what_is_overdue", durable=True),
        Subscription("laundry.status_changed", "modules.laundry.handlers.text_the_customer_when_ready", durable=True),
    ),
    payables=(Payable("sales.Sale", "Laundry ticket", find="modules.laundry.payables.find_job",
                      open="modules.laundry.payables.open_jobs"),),
    admin_urls="modules.laundry.views.admin_urlpatterns",
    append_only=("laundry.JobLine", "laundry.JobEvent", "laundry.OverdueDigest"),
    public=PublicSite(
        summary="Washing, drying and ironing by the kilo or by the piece, with express service and pick-up.",
        lookups=(PublicLookup("laundry.ticket", "Check your laundry", "Ticket number",
                              callable="modules.laundry.services.job_status_for_customer",
                              reference_key="modules.laundry.services.parse_ticket",
                              template="laundry/public_status.html", reference_hint="On your ticket, e.g. LT-0042"),),
        requests=(CustomerRequestKind("laundry.pickup", "Laundry pick-up", create="modules.laundry.public.pickup_from_request",
                                      action_label="Start the drop-off"),),
    ),
)
