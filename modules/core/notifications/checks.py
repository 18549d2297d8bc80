"""System checks on the declared kinds: unique keys, and default roles that some module declares."""

from django.core import checks

from modules.core.registry import registry


@checks.register()
def declared_kinds(app_configs=None, **kwargs):
    errors, seen = [], set()
    roles = {r.name for r in registry.roles()}
    for kind in registry.notification_kinds():
        if kind.key in seen:
            errors.append(checks.Error(f"notification kind {kind.key!r} is declared twice", id="notifications.E001"))
        seen.add(kind.key)
        for role in kind.default_roles:
            if role not in roles:
                errors.append(checks.Error(f"notification kind {kind.key!r}: no module declares the role {role!r}",
                                           id="notifications.E002"))
    return errors
