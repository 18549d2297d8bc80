from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.registry.contract import MenuItem, Module, NotificationKind, OutboxTopic, Schedule

from .kinds import APPROVAL_DECIDED, APPROVAL_REQUESTED, DELIVER_TOPIC, SYSTEM_WARNING

MODULE = Module(
    key="notifications",
    label=_("Notifications"),
    icon="notifications",
    order=940,
    menu=(
        MenuItem(_("Notifications"), "admin:notifications:list", "notifications"),
        MenuItem(_("Notification settings"), "admin:notifications:preferences", "tune"),
    ),
    notification_kinds=(
        # the owner may have these texted too (big approvals, system warnings): preferences page
        NotificationKind(APPROVAL_REQUESTED, _("Approval requested"), default_roles=("Owner",), sms=True),
        NotificationKind(APPROVAL_DECIDED, _("Approval decided")),
        NotificationKind(SYSTEM_WARNING, _("System warning"), default_roles=("Owner",), throttle_seconds=3600, sms=True),
    ),
    outbox_topics=(
        OutboxTopic(DELIVER_TOPIC, handler="modules.core.notifications.services.deliver_message",
                    label=_("Notification")),
    ),
    schedules=(Schedule("notifications.prune", "modules.core.notifications.jobs.prune", cron="41 3 * * *"),),
    admin_urls="modules.core.notifications.views.admin_urlpatterns",
)
