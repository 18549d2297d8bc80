from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.registry.contract import MenuItem, Module, NotificationKind, Role, Schedule, Widget

MODULE = Module(
    key="cms",
    label=_("Public site"),
    icon="language",
    order=930,
    menu=(
        MenuItem(_("Website requests"), "admin:cms_customerrequest_changelist", "support_agent",
                 "cms.view_customerrequest"),
        MenuItem(_("Edit the public site"), "/cms/", "web", "wagtailadmin.access_admin"),
    ),
    widgets=(
        Widget(key="cms.requests", title=_("Website requests"), callable="modules.core.cms.widgets.new_requests",
               template="cms/widget_requests.html", refresh_seconds=60, permission="cms.view_customerrequest"),
    ),
    notification_kinds=(
        NotificationKind("cms.customer_request", _("Orders and call-backs from the website"), default_roles=("Owner",)),
    ),
    roles=(Role("Accountant", permissions=("cms.view_customerrequest",)),),  # staff get REQUEST_DESK in their role
    schedules=(Schedule("cms.prune", "modules.core.cms.jobs.prune", cron="23 3 * * *"),),
    admin_urls="modules.core.cms.views.admin_urlpatterns",
)
