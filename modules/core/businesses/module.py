from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.registry.contract import MenuItem, Module, Role

from .history import kept_for_the_audit

ACCESS_HISTORY = ("businesses.UserAccessEvent", "businesses.RolePermissionEvent", "businesses.UserRoleEvent",
                  "businesses.UserPermissionEvent")

MODULE = Module(
    key="businesses",
    label=_("People"),
    icon="group",
    order=900,
    menu=(
        MenuItem(_("Users"), "admin:auth_user_changelist", "person", "auth.view_user"),
        MenuItem(_("Roles"), "admin:auth_group_changelist", "badge", "auth.view_group"),
        MenuItem(_("Businesses"), "admin:businesses_business_changelist", "storefront", "businesses.view_business"),
    ),
    roles=(
        Role("Owner", permissions=("*",), sees_all_businesses=True),
        # Accountants read every money and operational record; apps add their own view_* here.
        Role("Accountant", permissions=("businesses.view_business",), sees_all_businesses=True),
    ),
    # Who was given which role and permission, and who took it away (history.py). pghistory's own
    # context table is unused (each event row carries its context) and may not be rewritten either.
    append_only=(*ACCESS_HISTORY, "pghistory.Context"),
    retention=tuple(kept_for_the_audit(model) for model in ACCESS_HISTORY),
)
