from modules.core.registry.contract import MenuItem, Module, Role

MODULE = Module(
    key="businesses",
    label="People",
    icon="group",
    order=900,
    menu=(
        MenuItem("Users", "admin:auth_user_changelist", "person", "auth.view_user"),
        MenuItem("Roles", "admin:auth_group_changelist", "badge", "auth.view_group"),
        MenuItem("Businesses", "admin:businesses_business_changelist", "storefront", "businesses.view_business"),
    ),
    roles=(
        Role("Owner", permissions=("*",), sees_all_businesses=True),
        # Accountants read every money and operational record; apps add their own view_* here.
        Role("Accountant", permissions=("businesses.view_business",), sees_all_businesses=True),
    ),
)
