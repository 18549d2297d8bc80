from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.registry.contract import ApprovalRule, MenuItem, Module, Role, Widget

# Staff of every business bank its cash, move floats and pay petty cash from their drawer (above
# the owner's limit it waits for approval).
STAFF = ("money.view_movement", "money.add_movement")

MODULE = Module(
    key="money",
    label=_("Money"),
    icon="account_balance_wallet",
    order=55,
    menu=(
        MenuItem(_("Move money"), "admin:money:move", "currency_exchange", "money.add_movement"),
        MenuItem(_("Money movements"), "admin:money_movement_changelist", "swap_horiz", "money.view_movement"),
        MenuItem(_("Manual journal"), "admin:money:journal", "edit_note", "money.add_journal"),
        MenuItem(_("Manual journals"), "admin:money_journal_changelist", "menu_book", "money.view_journal"),
        MenuItem(_("Opening balances"), "admin:money:opening", "start", "money.add_openingbalances"),
        MenuItem(_("Expense categories"), "admin:money:categories", "category", "ledger.view_account"),
        MenuItem(_("Approval limits"), "admin:money:limits", "tune", "money.change_limits"),
    ),
    widgets=(
        Widget(key="money.tills", title=_("Cash and M-Pesa"), callable="modules.core.money.widgets.tills",
               template="money/widget_tills.html", permission="money.add_movement"),
    ),
    staff_permissions=STAFF,
    roles=(
        # the accountant writes journals (the owner approves big ones) and reads the rest
        Role("Accountant", permissions=("money.view_*", "money.add_journal")),
    ),
    approval_rules=(
        # threshold 0: whether to ask at all is decided by the owner's own limits (money.Limits)
        ApprovalRule("money.Movement", threshold="0", label=_("Money movement"),
                     on_approved="modules.core.money.services.movement_approved"),
        ApprovalRule("money.Journal", threshold="0", label=_("Manual journal"),
                     on_approved="modules.core.money.services.journal_approved"),
    ),
    admin_urls="modules.core.money.views.admin_urlpatterns",
)
