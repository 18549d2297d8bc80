from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.businesses.history import kept_for_the_audit
from modules.core.registry.contract import ApprovalRule, MenuItem, Module, NotificationKind, Role, Subscription, Widget

from .kinds import LOW_STOCK

# Staff of every business ask to move stock in their own business (approvals decides).
ASK_TRANSFER = ("inventory.view_transferrequest", "inventory.add_transferrequest")

MODULE = Module(
    key="inventory",
    label=_("Stock"),
    icon="inventory_2",
    order=50,
    menu=(
        MenuItem(_("Items and prices"), "admin:inventory_item_changelist", "sell", "inventory.view_item"),
        MenuItem(_("Price changes"), "admin:inventory_pricechangerequest_changelist", "edit_note",
                 "inventory.view_pricechangerequest"),
        MenuItem(_("Stock levels"), "admin:inventory_stocklevel_changelist", "inventory", "inventory.view_stocklevel"),
        MenuItem(_("Movements"), "admin:inventory_stockmovement_changelist", "swap_vert", "inventory.view_stockmovement"),
        MenuItem(_("Locations"), "admin:inventory_location_changelist", "location_on", "inventory.view_location"),
        MenuItem(_("Stock counts"), "admin:inventory_stockcount_changelist", "checklist", "inventory.view_stockcount"),
        MenuItem(_("Transfers"), "admin:inventory_transfer_changelist", "local_shipping", "inventory.view_transfer"),
        MenuItem(_("Transfer requests"), "admin:inventory_transferrequest_changelist", "move_up",
                 "inventory.view_transferrequest"),
        MenuItem(_("Valuation report"), "admin:inventory:valuation", "price_check", "inventory.view_stocklevel"),
    ),
    widgets=(
        Widget(key="inventory.low_stock", title=_("Low stock"), callable="modules.core.inventory.widgets.low_stock",
               template="inventory/widget_low_stock.html", refresh_seconds=60,
               permission="inventory.view_stocklevel"),
    ),
    roles=(Role("Accountant", permissions=("inventory.view_*",)),),
    admin_urls="modules.core.inventory.views.admin_urlpatterns",
    # Item history (price, cost, stock rules, old → new): written by triggers, never rewritten.
    append_only=("inventory.StockMovement", "inventory.ItemEvent"),
    retention=(kept_for_the_audit("inventory.ItemEvent"),),
    # the same item running low is announced at most every 12 hours (inventory already says it once a day)
    notification_kinds=(NotificationKind(LOW_STOCK, _("Low stock"), default_roles=("Owner",),
                                         throttle_seconds=12 * 3600),),
    subscriptions=(Subscription("stock.low", "modules.core.inventory.notices.on_stock_low", durable=True),),
    staff_permissions=ASK_TRANSFER,
    approval_rules=(
        # Posting a count whose variance (shortage + surplus at cost) is KES 5,000 or more needs the owner.
        ApprovalRule("inventory.StockCount", threshold="5000", label=_("Stock count"),
                     on_approved="modules.core.inventory.approvals.post_count"),
        # Every stock transfer asked for by staff (0 = any value) waits for the owner.
        ApprovalRule("inventory.TransferRequest", threshold="0", label=_("Stock transfer"), ask=_("Ask for a transfer"),
                     on_approved="modules.core.inventory.approvals.execute_transfer"),
        # Every price, cost or stock-rule change staff ask for waits for the owner.
        ApprovalRule("inventory.PriceChangeRequest", threshold="0", label=_("Price change"),
                     on_approved="modules.core.inventory.services.apply_price_change"),
    ),
)
