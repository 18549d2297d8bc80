"""The module contract: what a module declares in its `module.py` as ``MODULE = Module(...)``.

Everything is plain data. Callables are referenced by dotted path (resolved lazily, as Unfold's
callbacks are), so declaring a module imports nothing heavy and never another module.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MenuItem:
    title: str
    link: str  # a URL name ("admin:inventory_item_changelist") or an absolute path
    icon: str = "circle"  # Material Symbols name, as Unfold uses
    permission: str | None = None  # "app_label.codename"; None = any back-office user


@dataclass(frozen=True)
class Widget:
    key: str  # unique across modules, used in the URL /admin/widgets/<key>/
    title: str
    callable: str  # dotted path: f(request) -> dict, the template's context
    template: str
    refresh_seconds: int = 15
    permission: str | None = None
    business: str | None = None  # shown only to users who can see this business
    # "changes": refreshed when the live poll sees its business's data move (any business's, for a
    # widget of none); "clock": every refresh_seconds, for data no event announces (queues, health)
    refresh_on: str = "changes"


@dataclass(frozen=True)
class Role:
    """A Django group. Modules contributing the same role name merge their permissions.

    ``permissions`` are "app_label.codename" patterns ("inventory.view_*", "*" for all).
    ``business`` scopes members of the group to that business's records.
    """

    name: str
    permissions: tuple[str, ...] = ()
    business: str | None = None
    sees_all_businesses: bool = False


@dataclass(frozen=True)
class Schedule:
    name: str  # prefix-named after the module: "system.prune_failed_jobs"
    job: str  # dotted path of the function to enqueue
    cron: str | None = None  # five-field cron, evaluated in Africa/Nairobi
    interval: int | None = None  # or every N seconds
    queue: str = "default"
    timeout: int = 600


@dataclass(frozen=True)
class Subscription:
    event: str  # "sale.committed", "stock.low", …; "*" for every event
    handler: str  # dotted path: f(**payload)


@dataclass(frozen=True)
class AccountSpec:
    """A ledger account a module needs in its business's chart (beyond the shared template)."""

    code: str
    name: str
    kind: str  # asset, liability, equity, revenue, expense
    allow_negative: bool = True


@dataclass(frozen=True)
class NotificationKind:
    """A kind of notification a module sends (``modules.core.notifications.services.send``).

    ``default_roles``: role names notified when ``send`` gets no ``to``. ``throttle_seconds``: the
    same kind for the same object is delivered at most once per this window (0: never throttled).
    """

    key: str  # prefix-named after the module: "inventory.low_stock"
    label: str  # what users see on their preferences page
    default_roles: tuple[str, ...] = ()
    throttle_seconds: int = 0


@dataclass(frozen=True)
class ApprovalRule:
    """Documents of one type need an approval at or above ``threshold`` KES (``modules.core.approvals``).

    ``on_approved``: dotted path ``f(document, request)`` run in the same transaction as the final
    approval (pay the expense, post the count, …); empty when the owning service checks
    ``approvals.services.is_approved`` itself. ``second_approver``: a second, different approver.
    """

    document: str  # "app_label.Model"
    threshold: str = "0"  # KES, as a string so declaring stays import-light; compared as Decimal
    second_approver: bool = False
    permission: str = "approvals.decide_approvalrequest"  # who may approve (the Owner role has "*")
    on_approved: str = ""
    label: str = ""  # "Expense", "Purchase order", … as approvers read it


@dataclass(frozen=True)
class Payable:
    """A kind of document customers pay (``modules.core.payments``). M-Pesa money that arrives on
    its own (a paybill account number, a till payment, a statement line, the M-Pesa inbox) is
    matched against these. The document offers payments' ``payable_*`` interface."""

    model: str  # "sales.Sale"
    label: str  # "Sale", as the M-Pesa inbox shows it
    find: str  # dotted path f(business, reference) -> document | None (an account number, a receipt no.)
    open: str  # dotted path f(business, since) -> documents made since then with money still due


@dataclass(frozen=True)
class Business:
    code: str  # "water", "laundry", "shop"
    name: str


@dataclass(frozen=True)
class Module:
    key: str
    label: str
    icon: str = "apps"
    business: Business | None = None
    menu: tuple[MenuItem, ...] = ()
    widgets: tuple[Widget, ...] = ()
    roles: tuple[Role, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    accounts: tuple[AccountSpec, ...] = ()  # extra ledger accounts for this module's business
    admin_urls: str | None = None  # dotted path to a list of URL patterns mounted under /admin/
    append_only: tuple[str, ...] = ()  # "app_label.Model": the app's DB role may only SELECT/INSERT
    demo: str | None = None  # dotted path: f(business, *, opening_stock, activity), idempotent demo data
    notification_kinds: tuple[NotificationKind, ...] = ()
    approval_rules: tuple[ApprovalRule, ...] = ()  # see modules/core/approvals
    payables: tuple[Payable, ...] = ()  # documents customers pay, for M-Pesa matching (core payments)
    order: int = field(default=100)
