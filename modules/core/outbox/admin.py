from django.contrib import admin, messages
from unfold.admin import ModelAdmin
from unfold.decorators import action

from . import services
from .models import Message


@admin.register(Message)
class MessageAdmin(ModelAdmin):
    """Read-only for everyone; the owner may retry dead or waiting messages."""

    list_display = ["created_at", "topic", "status", "attempts", "business_code", "key", "next_attempt_at"]
    list_filter = ["status", "topic"]
    search_fields = ["key", "topic", "last_error"]
    readonly_fields = [f.name for f in Message._meta.fields]
    list_per_page = 25
    show_full_result_count = False
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("outbox.change_message")

    @action(description="Retry now", permissions=["retry"])
    def retry(self, request, queryset):
        count = services.retry(queryset)
        for message in queryset.filter(status=Message.Status.PENDING):
            services.dispatch(message.pk)
        self.message_user(request, f"{count} message(s) will run again now.", messages.SUCCESS)
