from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.registry.contract import MenuItem, Module, OutboxTopic, Schedule

DURABLE_EVENT = "events.durable"

MODULE = Module(
    key="outbox",
    label=_("Outbox"),
    icon="outbox",
    order=945,
    menu=(MenuItem(_("Outbox"), "admin:outbox_message_changelist", "outbox", "outbox.view_message"),),
    outbox_topics=(
        OutboxTopic(DURABLE_EVENT, handler="modules.core.outbox.handlers.run_subscription",
                    label=_("Durable event subscription")),
    ),
    schedules=(
        Schedule("outbox.sweep", "modules.core.outbox.jobs.sweep", interval=30, timeout=120),
        Schedule("outbox.prune", "modules.core.outbox.jobs.prune", cron="53 3 * * *"),
    ),
)
