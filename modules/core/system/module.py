from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.registry.contract import MenuItem, Module, OutboxTopic, Retention, Schedule, Widget

MODULE = Module(
    key="system",
    label=_("System"),
    icon="monitor_heart",
    order=950,
    menu=(
        MenuItem(_("Job queue"), "/admin/rq/", "queue", "django_rq.admin"),
        MenuItem(_("Failed jobs"), "admin:system_failedjob_changelist", "error", "system.view_failedjob"),
        MenuItem(_("Backups"), "admin:system_backuprun_changelist", "backup", "system.view_backuprun"),
        MenuItem(_("Security events"), "admin:system_securityevent_changelist", "shield", "system.view_securityevent"),
        MenuItem(_("Health"), "/health/deps/", "monitor_heart", "django_rq.admin"),
    ),
    widgets=(
        Widget(
            key="system",
            title=_("System"),
            callable="modules.core.system.widgets.system",
            template="system/widget_system.html",
            refresh_seconds=30,
            refresh_on="clock",
            permission="django_rq.admin",
        ),
    ),
    # Audit trails: the app role may add rows, never change or delete them (modules/core/system/db_roles.py).
    # Django's admin log and axes' login history (AccessLog, AccessFailureLog) are declared here.
    append_only=("system.SecurityEvent", "admin.LogEntry", "axes.AccessLog", "axes.AccessFailureLog"),
    # repeats of a security event within a minute raise its count (services.security_event)
    append_only_counters=("system.SecurityEvent.count",),
    retention=(
        Retention("system.FailedJob", "failed_at", days=180),
        Retention("system.SecurityEvent", "created_at", days=90),
        Retention("axes.AccessFailureLog", "attempt_time", days=365),
        Retention("axes.AccessLog", "attempt_time", days=365),
    ),
    schedules=(
        Schedule("system.prune_old_rows", "modules.core.system.db_roles.prune_old_rows", cron="17 3 * * *"),
        Schedule("system.health_watch", "modules.core.system.jobs.health_watch", interval=60, timeout=120),
        Schedule("system.cron_heartbeat", "modules.core.system.jobs.cron_heartbeat", interval=60, timeout=30),
        Schedule("system.verify_ledger", "modules.core.system.jobs.verify_ledger", cron="10 3 * * *", timeout=3600),
    ),
    outbox_topics=(
        OutboxTopic("system.alert_email", handler="modules.core.system.watcher.send_alert_email",
                    label=_("Health alert e-mail to the owner")),
    ),
)
