from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.registry.contract import MenuItem, Module, NotificationKind, Role, Schedule, Subscription

MODULE = Module(
    key="ledger",
    label=_("Books"),
    icon="account_balance",
    order=60,
    menu=(
        MenuItem(_("Trial balance"), "admin:ledger:trial_balance", "balance", "ledger.view_journalentry"),
        MenuItem(_("Profit and loss"), "admin:ledger:profit_and_loss", "trending_up", "ledger.view_journalentry"),
        MenuItem(_("Journal"), "admin:ledger_journalentry_changelist", "receipt_long", "ledger.view_journalentry"),
        MenuItem(_("Accounts"), "admin:ledger_account_changelist", "account_tree", "ledger.view_account"),
        MenuItem(_("Lock dates"), "admin:ledger_lockdate_changelist", "lock", "ledger.view_lockdate"),
        MenuItem(_("Settings history"), "admin:ledger_settingchange_changelist", "history", "ledger.view_settingchange"),
    ),
    roles=(Role("Accountant", permissions=("ledger.view_*",)),),
    subscriptions=(Subscription("businesses.synced", "modules.core.ledger.chart.ensure_charts"),),
    schedules=(
        # the chain follower: posting takes no lock; links are appended here, seconds after commit
        Schedule("ledger.follow_chain", "modules.core.ledger.jobs.follow_chain", interval=10, timeout=300),
        # before the 02:30 backup: checkpoint to the anchor directory and the owner's mail, then verify
        Schedule("ledger.nightly", "modules.core.ledger.jobs.nightly", cron="5 2 * * *", timeout=3600),
    ),
    notification_kinds=(
        NotificationKind("ledger.alert", _("Ledger alerts (tampering, checkpoints)"), default_roles=("Owner",)),
    ),
    admin_urls="modules.core.ledger.views.admin_urlpatterns",
    append_only=("ledger.JournalEntry", "ledger.JournalLine", "ledger.ChainLink", "ledger.SettingChange"),
)
