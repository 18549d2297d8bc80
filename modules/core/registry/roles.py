"""Roles declared by modules become Django groups, synced after every migrate."""

from fnmatch import fnmatchcase

from django.contrib.auth.models import Group, Permission

from . import registry


def permissions_matching(patterns):
    wanted = set()
    for permission in Permission.objects.select_related("content_type"):
        name = f"{permission.content_type.app_label}.{permission.codename}"
        if any(fnmatchcase(name, pattern) for pattern in patterns):
            wanted.add(permission.pk)
    return wanted


def sync_roles():
    for role in registry.roles():
        group, _ = Group.objects.get_or_create(name=role.name)
        group.permissions.set(permissions_matching(role.permissions))


def business_codes_for(user) -> set[str] | None:
    """Business codes a user may see; None means all of them."""
    if not hasattr(user, "_business_codes"):
        user._business_codes = _business_codes(user)
    return user._business_codes


def _business_codes(user):
    if not user.is_active:
        return set()
    if user.is_superuser:
        return None
    group_names = set(user.groups.values_list("name", flat=True))
    codes = set()
    for role in registry.roles():
        if role.name not in group_names:
            continue
        if role.sees_all_businesses:
            return None
        if role.business:
            codes.add(role.business)
    return codes
