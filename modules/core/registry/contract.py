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
    name: str  # prefix-named after the module: "system.prune_old_rows"
    job: str  # dotted path of the function to enqueue
    cron: str | None = None  # five-field cron, evaluated in Africa/Nairobi
    interval: int | None = None  # or every N seconds
    queue: str = "default"
    timeout: int = 600


@dataclass(frozen=True)
class HealthCondition:
    """A condition the health watcher (modules.core.system.watcher) checks every minute, declared by
    the module that knows it: ``check() -> str``, the owner's alert when something is wrong, else ''."""

    key: str  # unique: "mpesa_callbacks_stopped"
    check: str  # dotted path


@dataclass(frozen=True)
class Subscription:
    """``durable=False``: called in-process after the publishing transaction commits (cheap,
    losable work: cache bumps). ``durable=True``: written to the PostgreSQL outbox inside that
    transaction and run by a worker, retried until it succeeds (notifications, digests, SMS)."""

    event: str  # "sale.committed", "stock.low", …; "*" for every event
    handler: str  # dotted path: f(**payload)
    durable: bool = False


@dataclass(frozen=True)
class OutboxTopic:
    """A kind of message in the PostgreSQL outbox (``modules.core.outbox``).

    ``handler``: dotted path ``f(message)``, run by an RQ worker after the enqueuing transaction
    commits, inside a transaction that also marks the message done: its database writes happen
    exactly once; anything it does outside the database (an SMS, an eTIMS call) may be repeated
    after a crash and must be idempotent there (use ``message.key``). A failing handler is retried
    after ``backoff_seconds`` × 2^(attempt−1) (at most ``max_backoff_seconds``); after
    ``max_attempts`` the message is dead: shown to the owner, retried only by hand.
    """

    name: str  # prefix-named after the module: "notifications.deliver", "sms.send"
    handler: str
    max_attempts: int = 10
    backoff_seconds: int = 30
    max_backoff_seconds: int = 3600
    timeout: int = 300  # seconds an attempt may run before the worker is killed (and it is retried)
    queue: str = "default"
    label: str = ""  # what the owner reads on the outbox page


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
    ``sms``: the owner may also have it texted to their phone (ticked on the preferences page).
    """

    key: str  # prefix-named after the module: "inventory.low_stock"
    label: str  # what users see on their preferences page
    default_roles: tuple[str, ...] = ()
    throttle_seconds: int = 0
    sms: bool = False


@dataclass(frozen=True)
class ApprovalRule:
    """Documents of one type need an approval at or above ``threshold`` KES (``modules.core.approvals``).

    ``on_approved``: dotted path ``f(document, request)`` run in the same transaction as the final
    approval (pay the expense, post the count, …); empty when the owning service checks
    ``approvals.services.is_approved`` itself. ``second_approver``: a second, different approver.
    ``ask``: for documents people ask for (an expense, a stock transfer), the link approvals' page
    shows to who may add one ("Ask for a transfer"), leading to the document's admin add page.
    """

    document: str  # "app_label.Model"
    threshold: str = "0"  # KES, as a string so declaring stays import-light; compared as Decimal
    second_approver: bool = False
    permission: str = "approvals.decide_approvalrequest"  # who may approve (the Owner role has "*")
    on_approved: str = ""
    label: str = ""  # "Expense", "Purchase order", … as approvers read it
    ask: str = ""  # "Ask for an expense": a link on approvals' page; empty: none


@dataclass(frozen=True)
class SaleFlow:
    """Items a module sells through a flow of its own, never as plain quick-sale lines
    (``modules.core.sales``): ``items`` is a dotted path ``f(business) -> list[FlowItem]``
    (``modules.core.sales.flows.FlowItem``): an item to hide (an LPG empty) or a tile that opens
    the module's page for it (a gas cylinder opens the refill exchange). ``label`` names the flow
    in the refusal when someone tries to sell such an item as a line."""

    key: str  # "shop.lpg"
    label: str  # "the LPG exchange"
    items: str


@dataclass(frozen=True)
class FiscalReceipt:
    """A tax authority's part of every sale's receipt (``modules.core.sales``), declared by the module
    that talks to the authority (eTIMS); one module at most. Sales never imports that module: its
    receipt page, the customer's link, Print and Share and the quick sale call these.

    ``block``: dotted path ``f(sale, *, issue=None) -> part | None`` (None: this sale was never
    declared to the authority). The part has ``state`` ("signed", "pending": the receipt looks again
    by itself, "failed") and ``copy`` (a reprint); where there is one it takes the place of the
    receipt's own VAT lines and buyer's PIN line, rendered by ``template`` as ``block`` (with
    ``refresh_url`` on the shop's screen). ``issue``: ``f(sale) -> int``, a print or share counted
    (1: the original, more: a COPY, 0: none yet). ``check_buyer``: ``f(pin) -> sales.services.Buyer``,
    a business customer's tax PIN checked at the sale (a Refusal when it is wrong).
    """

    block: str
    template: str
    issue: str
    check_buyer: str


@dataclass(frozen=True)
class Retention:
    """Rows of ``model`` older than ``days`` (by the timestamp ``field``) are deleted every night
    (``system.prune_old_rows``). The delete runs in a function the owner role creates after migrate
    (SECURITY DEFINER, the age fixed inside it), so append-only audit trails are pruned too while
    the app role itself can never delete a row of them, nor anything younger."""

    model: str  # "app_label.Model"
    field: str
    days: int


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
class CustomerRequestKind:
    """Something a customer can ask for on the public site (``modules.core.cms``): an order or a
    call-back that lands in the bell of the business's staff and the owner.

    ``create``: dotted path ``f(customer_request, user) -> str``, run in one transaction with marking
    the request taken (so two taps make one job): it makes the job, delivery or draft and returns
    the admin path to open. ``asks_item``: the form offers the business's price list and a quantity.
    """

    key: str  # prefix-named after the module: "water.delivery"
    label: str  # what the customer picks: "Water delivery"
    create: str
    action_label: str  # the staff's one tap: "Create the delivery"
    asks_item: bool = False
    asks_place: bool = True  # where to deliver or collect


@dataclass(frozen=True)
class PublicLookup:
    """A status a customer checks on the public site with a reference (a ticket number) and their
    phone number: the last 4 digits, or the whole number once the reference has drawn too many
    wrong guesses. The core rate-limits per address and per reference; the module only answers.

    ``callable``: ``f(reference, phone_digits) -> dict | None``; None for a wrong reference or phone
    alike (compare in constant time). ``reference_key``: ``f(reference) -> str | None``, the canonical
    reference ("LT-0012", "lt12" and "12" are one ticket) the per-reference limit counts on.
    ``template`` renders the dict (as ``status``) on the public page.
    """

    key: str  # "laundry.ticket"
    title: str  # "Check your laundry"
    reference_label: str  # "Ticket number"
    callable: str
    reference_key: str
    template: str
    reference_hint: str = ""  # "On your ticket, e.g. LT-0042"


@dataclass(frozen=True)
class PublicSite:
    """How a business shows on the public site. Its page is created from this after `migrate`
    (once: the owner edits it in /cms/ from then on)."""

    summary: str  # the first paragraph of the business page
    requests: tuple[CustomerRequestKind, ...] = ()
    lookups: tuple[PublicLookup, ...] = ()


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
    # "app_label.Model" (any installed app's, e.g. "admin.LogEntry"): the app's DB role may only
    # SELECT/INSERT; the model's admin must be read-only (tests/integration/test_db_roles.py)
    append_only: tuple[str, ...] = ()
    # "app_label.Model.field": a counter column of an append_only model the app's role may also
    # UPDATE (that column only; the model's migration adds a trigger that lets it only grow)
    append_only_counters: tuple[str, ...] = ()
    retention: tuple[Retention, ...] = ()
    demo: str | None = None  # dotted path: f(business, *, opening_stock, activity), idempotent demo data
    notification_kinds: tuple[NotificationKind, ...] = ()
    approval_rules: tuple[ApprovalRule, ...] = ()  # see modules/core/approvals
    sale_flows: tuple[SaleFlow, ...] = ()  # items sold through the module's own flow (modules.core.sales)
    outbox_topics: tuple[OutboxTopic, ...] = ()  # see modules/core/outbox
    public: PublicSite | None = None  # the business's page, requests and lookups on the public site
    payables: tuple[Payable, ...] = ()  # documents customers pay, for M-Pesa matching (core payments)
    health_conditions: tuple[HealthCondition, ...] = ()  # watched every minute (modules.core.system)
    fiscal_receipt: FiscalReceipt | None = None  # a tax authority's part of sales' receipts (eTIMS)
    # what a core module lets every business's staff do in their own business (ask for an expense,
    # count the cash): merged into each business-scoped role a business module declares
    staff_permissions: tuple[str, ...] = ()
    order: int = field(default=100)
