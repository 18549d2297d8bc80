"""Collects the ``MODULE`` declared by every enabled module (autodiscovered in AppConfig.ready)."""

from __future__ import annotations

import importlib
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .contract import (ApprovalRule, Business, CustomerRequestKind, FiscalReceipt, Module, NotificationKind,
                       OutboxTopic, Payable, PublicLookup, Retention, Role, Schedule, Subscription, Widget)


@cache
def modules() -> tuple[Module, ...]:
    found = []
    for package in [*settings.BACKOFFICE_CORE, *settings.BACKOFFICE_MODULES]:
        try:
            declaration = importlib.import_module(f"{package}.module")
        except ModuleNotFoundError as error:
            if error.name != f"{package}.module":
                raise
            continue
        module = getattr(declaration, "MODULE", None)
        if not isinstance(module, Module):
            raise ImproperlyConfigured(f"{package}.module must define MODULE = Module(...)")
        found.append(module)
    keys = [m.key for m in found]
    if len(keys) != len(set(keys)):
        raise ImproperlyConfigured(f"duplicate module keys in {keys}")
    fiscal = [m.key for m in found if m.fiscal_receipt]
    if len(fiscal) > 1:
        raise ImproperlyConfigured(f"only one module may declare fiscal_receipt: {fiscal}")
    for what, names in (("widget keys", [w.key for m in found for w in m.widgets]),
                        ("outbox topics", [t.name for m in found for t in m.outbox_topics]),
                        ("public request or lookup keys",
                         [item.key for m in found if m.public for item in (*m.public.requests, *m.public.lookups)])):
        if len(names) != len(set(names)):
            raise ImproperlyConfigured(f"duplicate {what} in {names}")
    return tuple(sorted(found, key=lambda m: (m.order, m.key)))


def businesses() -> list[Business]:
    return [m.business for m in modules() if m.business]


def widgets() -> list[Widget]:
    return [w for m in modules() for w in m.widgets]


def widget(key: str) -> Widget | None:
    return next((w for w in widgets() if w.key == key), None)


def schedules() -> list[Schedule]:
    return [s for m in modules() for s in m.schedules]


def subscriptions(event: str) -> list[Subscription]:
    """Handlers of ``event``, then those subscribed to every event ("*")."""
    named = [s for m in modules() for s in m.subscriptions if s.event == event]
    return named + [s for m in modules() for s in m.subscriptions if s.event == "*"]


def notification_kinds() -> list[NotificationKind]:
    return [k for m in modules() for k in m.notification_kinds]


def notification_kind(key: str) -> NotificationKind | None:
    return next((k for k in notification_kinds() if k.key == key), None)


def approval_rules() -> list[ApprovalRule]:
    return [r for m in modules() for r in m.approval_rules]


def approval_rule(document: str) -> ApprovalRule | None:
    """The rule for "app_label.Model" (matched case-insensitively), or None."""
    return next((r for r in approval_rules() if r.document.lower() == document.lower()), None)


def sale_flows(business_code: str) -> list:
    """The sale flows declared by the module of this business."""
    module = module_for_business(business_code)
    return list(module.sale_flows) if module else []


def outbox_topics() -> list[OutboxTopic]:
    return [t for m in modules() for t in m.outbox_topics]


def outbox_topic(name: str) -> OutboxTopic | None:
    return next((t for t in outbox_topics() if t.name == name), None)


def payables() -> list[Payable]:
    return [p for m in modules() for p in m.payables]


def fiscal_receipt() -> FiscalReceipt | None:
    """The tax authority's part of sales' receipts, if a module declares one (eTIMS)."""
    return next((m.fiscal_receipt for m in modules() if m.fiscal_receipt), None)


def module_for_business(code: str) -> Module | None:
    return next((m for m in modules() if m.business and m.business.code == code), None)


def request_kinds() -> list[tuple[Business, CustomerRequestKind]]:
    """What customers can ask for on the public site, with the business that answers."""
    return [(m.business, kind) for m in modules() if m.business and m.public for kind in m.public.requests]


def request_kind(key: str) -> tuple[Business, CustomerRequestKind] | None:
    return next(((b, k) for b, k in request_kinds() if k.key == key), None)


def public_lookups() -> list[PublicLookup]:
    return [lookup for m in modules() if m.public for lookup in m.public.lookups]


def public_lookup(key: str) -> PublicLookup | None:
    return next((lookup for lookup in public_lookups() if lookup.key == key), None)


def append_only_models() -> list[str]:
    return [label for m in modules() for label in m.append_only]


def append_only_counters() -> list[str]:
    return [column for m in modules() for column in m.append_only_counters]


def staff_roles() -> list[Role]:
    """The business-scoped roles business modules declare ("Water staff"), each with every module's
    ``staff_permissions`` added: a new business's staff get them without an edit in the core."""
    granted = tuple(p for m in modules() for p in m.staff_permissions)
    return [Role(r.name, r.permissions + granted, r.business, r.sees_all_businesses)
            for m in modules() if m.business for r in m.roles if r.business]


def retentions() -> list[Retention]:
    return [r for m in modules() for r in m.retention]


def roles() -> list[Role]:
    """Roles merged by name across modules, in first-declared order (a business's staff role with
    the core's ``staff_permissions``)."""
    merged: dict[str, Role] = {}
    staff = {r.name: r for r in staff_roles()}
    for role in (staff.get(r.name, r) for m in modules() for r in m.roles):
        if role.name not in merged:
            merged[role.name] = role
            continue
        first = merged[role.name]
        if role.business and first.business and role.business != first.business:
            raise ImproperlyConfigured(f"role {role.name!r} is scoped to two businesses")
        merged[role.name] = Role(
            name=role.name,
            permissions=first.permissions + role.permissions,
            business=first.business or role.business,
            sees_all_businesses=first.sees_all_businesses or role.sees_all_businesses,
        )
    return list(merged.values())
