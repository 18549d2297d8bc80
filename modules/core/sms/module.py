from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.registry.contract import MenuItem, Module, OutboxTopic, Role, Subscription, Widget

MODULE = Module(
    key="sms",
    label=_("SMS"),
    icon="sms",
    order=65,
    menu=(MenuItem(_("Customer SMS"), "admin:sms_smsmessage_changelist", "sms", "sms.view_smsmessage"),
          MenuItem(_("SMS cost by month"), "admin:sms:costs", "table_chart", "sms.view_smsmessage"),
          MenuItem(_("My SMS alert phone"), "admin:sms:alert_phone", "phone", "sms.add_smsmessage")),
    admin_urls="modules.core.sms.views.admin_urlpatterns",
    widgets=(Widget(key="sms.cost", title=_("SMS this month"), callable="modules.core.sms.widgets.monthly_cost",
                    template="sms/widget_cost.html", refresh_seconds=300, permission="sms.view_smsmessage",
                    refresh_on="clock"),),
    roles=(Role("Accountant", permissions=("sms.view_*",)),),
    outbox_topics=(
        # Customers' texts: every 10 s doubling to 30 min, for about a day; a text older than that is
        # no news anymore (the message shows as failed in admin → Customer SMS).
        OutboxTopic("sms.send", handler="modules.core.sms.services.deliver", max_attempts=12,
                    backoff_seconds=10, max_backoff_seconds=1800, timeout=60, label=_("SMS to a customer")),
    ),
    # the health watcher's alerts, also by SMS to HEALTH_ALERT_PHONES
    subscriptions=(Subscription("system.alerted", "modules.core.sms.handlers.text_the_owner_an_alert", durable=True),
                   # the owner's alerts ticked "SMS" on the notification settings
                   Subscription("notifications.to_text", "modules.core.sms.handlers.text_the_alerts", durable=True)),
)
