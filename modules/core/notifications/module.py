from modules.core.registry.contract import MenuItem, Module, NotificationKind, OutboxTopic, Schedule, Subscription

from .kinds import (APPROVAL_DECIDED, APPROVAL_REQUESTED, DELIVER_TOPIC, LOW_STOCK, MPESA_PAID_LATE, MPESA_SETUP_ERROR,
                    MPESA_UNALLOCATED, PAYMENT_FAILED, PAYMENT_RECEIVED, SYSTEM_WARNING)

MODULE = Module(
    key="notifications",
    label="Notifications",
    icon="notifications",
    order=940,
    menu=(
        MenuItem("Notifications", "admin:notifications:list", "notifications"),
        MenuItem("Notification settings", "admin:notifications:preferences", "tune"),
    ),
    notification_kinds=(
        # The same item running low is announced at most every 12 hours (inventory already says it once a day).
        NotificationKind(LOW_STOCK, "Low stock", default_roles=("Owner",), throttle_seconds=12 * 3600),
        NotificationKind(PAYMENT_RECEIVED, "M-Pesa payment received", default_roles=("Owner",)),
        NotificationKind(PAYMENT_FAILED, "M-Pesa payment failed", default_roles=("Owner",)),
        NotificationKind(MPESA_PAID_LATE, "M-Pesa paid after we stopped waiting", default_roles=("Owner",)),
        NotificationKind(MPESA_UNALLOCATED, "M-Pesa money waiting in the inbox", default_roles=("Owner",)),
        # one wrong till set-up fails every push: say it once an hour per business, not per push
        NotificationKind(MPESA_SETUP_ERROR, "M-Pesa set-up problem", default_roles=("Owner",),
                         throttle_seconds=3600),
        NotificationKind(APPROVAL_REQUESTED, "Approval requested", default_roles=("Owner",)),
        NotificationKind(APPROVAL_DECIDED, "Approval decided"),
        NotificationKind(SYSTEM_WARNING, "System warning", default_roles=("Owner",), throttle_seconds=3600),
    ),
    outbox_topics=(
        OutboxTopic(DELIVER_TOPIC, handler="modules.core.notifications.services.deliver_message",
                    label="Notification"),
    ),
    subscriptions=(
        Subscription("stock.low", "modules.core.notifications.handlers.on_stock_low", durable=True),
        Subscription("payment.received", "modules.core.notifications.handlers.on_payment_received", durable=True),
        Subscription("payment.failed", "modules.core.notifications.handlers.on_payment_failed", durable=True),
        # late and unallocated money must reach the owner: through the outbox, never lost with a worker
        Subscription("mpesa.paid_late", "modules.core.notifications.handlers.on_mpesa_paid_late", durable=True),
        Subscription("mpesa.unallocated", "modules.core.notifications.handlers.on_mpesa_unallocated", durable=True),
        Subscription("mpesa.setup_error", "modules.core.notifications.handlers.on_mpesa_setup_error", durable=True),
    ),
    schedules=(Schedule("notifications.prune", "modules.core.notifications.jobs.prune", cron="41 3 * * *"),),
    admin_urls="modules.core.notifications.views.admin_urlpatterns",
)
