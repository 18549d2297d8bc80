from modules.core.registry.contract import Module, Subscription

MODULE = Module(
    key="live",
    label="Live updates",
    order=900,
    subscriptions=(
        Subscription("*", "modules.core.live.handlers.any_event"),
        Subscription("notifications.changed", "modules.core.live.handlers.notifications_changed"),
    ),
    admin_urls="modules.core.live.views.urlpatterns",
)
