from django.contrib import admin
from unfold.admin import ModelAdmin

from modules.core.businesses.admin_kit import BigTableAdminMixin, BusinessScopedAdminMixin, ReadOnlyAdminMixin

from .models import SmsMessage, SmsReply


@admin.register(SmsMessage)
class SmsMessageAdmin(BigTableAdminMixin, ReadOnlyAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
    phone_cards = True
    list_display = ["kind", "phone", "status", "delivery_status", "cost", "created_at", "business"]
    list_filter = ["status", "kind", "delivery_status", "business"]
    search_fields = ["=phone", "=gateway_message_id"]
    list_select_related = ["business"]
    readonly_fields = ["business", "key", "kind", "phone", "customer", "text", "status", "error", "settled_attempts",
                       "gateway_message_id", "cost", "created_at", "sent_at", "delivery_status", "delivery_failure",
                       "delivery_reported_at"]


@admin.register(SmsReply)
class SmsReplyAdmin(BigTableAdminMixin, ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["phone", "text", "opted_out", "received_at"]
    list_filter = ["opted_out"]
    search_fields = ["=phone"]
    readonly_fields = ["gateway_id", "phone", "text", "customer", "opted_out", "received_at"]
