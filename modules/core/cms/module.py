from modules.core.registry.contract import MenuItem, Module, NotificationKind, Role, Schedule

MODULE = Module(
    key="cms",
    label="Public site",
    icon="language",
    order=930,
    menu=(
        MenuItem("Website requests", "admin:cms_customerrequest_changelist", "support_agent",
                 "cms.view_customerrequest"),
        MenuItem("Edit the public site", "/cms/", "web", "wagtailadmin.access_admin"),
    ),
    notification_kinds=(
        NotificationKind("cms.customer_request", "Orders and call-backs from the website", default_roles=("Owner",)),
    ),
    roles=(Role("Accountant", permissions=("cms.view_customerrequest",)),),  # staff get REQUEST_DESK in their role
    schedules=(Schedule("cms.prune", "modules.core.cms.jobs.prune", cron="23 3 * * *"),),
    admin_urls="modules.core.cms.views.admin_urlpatterns",
)
