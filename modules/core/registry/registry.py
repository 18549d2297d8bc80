"""Collects the ``MODULE`` declared by every enabled module (autodiscovered in AppConfig.ready)."""

from __future__ import annotations

import importlib
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .contract import ApprovalRule, Business, Module, NotificationKind, Payable, Role, Schedule, Subscription, Widget


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
    widget_keys = [w.key for m in found for w in m.widgets]
    if len(widget_keys) != len(set(widget_keys)):
        raise ImproperlyConfigured(f"duplicate widget keys in {widget_keys}")
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


def payables() -> list[Payable]:
    return [p for m in modules() for p in m.payables]


def module_for_business(code: str) -> Module | None:
    return next((m for m in modules() if m.business and m.business.code == code), None)


def append_only_models() -> list[str]:
    return [label for m in modules() for label in m.append_only]


def roles() -> list[Role]:
    """Roles merged by name across modules, in first-declared order."""
    merged: dict[str, Role] = {}
    for role in (r for m in modules() for r in m.roles):
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
