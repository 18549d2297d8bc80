from modules.core.registry.contract import MenuItem, Module, Schedule, Widget

MODULE = Module(
    key="system",
    label="System",
    icon="monitor_heart",
    order=950,
    menu=(
        MenuItem("Job queue", "/admin/rq/", "queue", "django_rq.admin"),
        MenuItem("Failed jobs", "admin:system_failedjob_changelist", "error", "system.view_failedjob"),
        MenuItem("Security events", "admin:system_securityevent_changelist", "shield", "system.view_securityevent"),
        MenuItem("Health", "/health/deps/", "monitor_heart", "django_rq.admin"),
    ),
    widgets=(
        Widget(
            key="system",
            title="System",
            callable="modules.core.system.widgets.system",
            template="system/widget_system.html",
            refresh_seconds=30,
            refresh_on="clock",
            permission="django_rq.admin",
        ),
    ),
    schedules=(Schedule("system.prune_failed_jobs", "modules.core.system.jobs.prune_failed_jobs", cron="17 3 * * *"),),
)
