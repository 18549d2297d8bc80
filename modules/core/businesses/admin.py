from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, User
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from .admin_kit import HistoryAdminMixin
from .models import Business

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(HistoryAdminMixin, DjangoUserAdmin, ModelAdmin):
    history_events = (("businesses.UserAccessEvent", "pgh_obj"), ("businesses.UserRoleEvent", "user"),
                      ("businesses.UserPermissionEvent", "user"))
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ["username", "first_name", "is_active", "last_login"]
    list_filter = ["is_active", "groups"]

    def get_deleted_objects(self, objs, request):
        """Someone with an admin history stays (untick *active* instead): the admin log is
        append-only for the app's database role, so it cannot follow the user out."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for user in objs:
            entries = LogEntry.objects.filter(user=user).count()
            if entries:
                protected.append(f"{user}: {entries} entries in the admin log (kept for the audit)")
        return deleted, counts, perms_needed, protected


@admin.register(Group)
class GroupAdmin(HistoryAdminMixin, DjangoGroupAdmin, ModelAdmin):
    """Roles. Which permissions a role was given or lost, by whom and when, is on its history page."""

    history_events = (("businesses.RolePermissionEvent", "group"),)


@admin.register(Business)
class BusinessAdmin(ModelAdmin):
    list_display = ["name", "code", "is_active"]
    readonly_fields = ["code"]

    def has_add_permission(self, request):
        return False  # businesses come from the enabled modules

    def has_delete_permission(self, request, obj=None):
        return False  # records stay 7 years; deactivate instead
