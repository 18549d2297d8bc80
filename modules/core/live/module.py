from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.registry.contract import Module, Subscription

MODULE = Module(
    key="live",
    label=_("Live updates"),
    order=900,
    subscriptions=(
        Subscription("*", "modules.core.live.handlers.any_event"),
        Subscription("notifications.changed", "modules.core.live.handlers.notifications_changed"),
    ),
    admin_urls="modules.core.live.views.urlpatterns",
)
