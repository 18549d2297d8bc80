from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import models

from .history import history_of, links_history


class Business(models.Model):
    """One of the owner's businesses. Rows are created from the enabled modules' declarations."""

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=80)
    is_active = models.BooleanField(default=True)
    vat_registered = models.BooleanField(
        "VAT-registered", default=True,
        help_text="Off: its sales charge and post no VAT (every line is eTIMS band D, non-VAT).")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "businesses"
        permissions = [("view_all_businesses", "Can see every business's records")]

    def __str__(self):
        return self.name


# --- history of roles and user permissions (history.py) ------------------------------------------
# auth's tables are tracked through proxies declared here, so the triggers' migrations are ours.

class UserAccess(User):
    """A user's flags that grant access: active, staff (admin), superuser (everything)."""

    class Meta:
        proxy = True


class RolePermission(Group.permissions.through):
    class Meta:
        proxy = True


class UserRole(User.groups.through):
    class Meta:
        proxy = True


class UserPermission(User.user_permissions.through):
    class Meta:
        proxy = True


class UserAccessEvent(history_of(UserAccess, fields=["id", "username", "is_active", "is_staff", "is_superuser"])):
    pass


class RolePermissionEvent(links_history(RolePermission)):
    pass


class UserRoleEvent(links_history(UserRole)):
    pass


class UserPermissionEvent(links_history(UserPermission)):
    pass


class UserPreference(models.Model):
    """What one user chose for themselves; no row means the defaults (the site's language)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="preference")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE,
                                help_text="The language of the back office's screens for this user.")

    def __str__(self):
        return f"{self.user}: {self.language}"
