from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from unfold.admin import ModelAdmin, TabularInline
from unfold.views import ChangeList

from modules.core.businesses.admin_kit import BusinessScopedAdminMixin, ReadOnlyAdminMixin
from modules.core.live.locking import LiveEditingAdminMixin

from . import services
from .models import Job, JobEvent, JobLine, OverdueDigest


class JobLineInline(ReadOnlyAdminMixin, TabularInline):
    model = JobLine
    fields = ["item", "quantity", "unit_price", "line_total"]
    readonly_fields = fields
    extra = 0


class JobEventInline(ReadOnlyAdminMixin, TabularInline):
    model = JobEvent
    fields = ["at", "kind", "from_status", "to_status", "note", "user"]
    readonly_fields = fields
    extra = 0


class JobChangeList(ChangeList):
    """A row opens the job page (status, payments, history, actions), not the read-only form."""

    def url_for_result(self, result):
        return reverse("admin:laundry:job", args=[result.pk])


@admin.register(Job)
class JobAdmin(LiveEditingAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
    """Jobs are made by the drop-off page and moved on by the board; here staff correct the details
    (name, promised time, notes on stains and damage) while the job is open. Two people editing the
    same job see each other, and a stale save is refused with what changed (LiveEditingAdminMixin).
    On a phone each row is a card: ticket (opens the job page), status, promised time."""

    phone_cards = True  # a card of two lines on a phone
    list_display = ["ticket", "status", "promised_at"]
    list_display_links = ["ticket"]
    actions = None  # nothing to do in bulk: jobs move on the board
    list_filter = ["status", "express", "business"]
    search_fields = ["customer_phone", "customer_name", "notes"]
    list_select_related = ["business"]
    list_before_template = "laundry/job_list_before.html"
    editable_fields = ["customer_name", "promised_at", "notes"]
    fields = ["business", "number", *editable_fields, "customer_phone", "status", "express", "total", "vat",
              "created_by", "created_at", "ready_at", "collected_at", "cancelled_at", "cancel_reason", "paid_at",
              "version"]
    inlines = [JobLineInline, JobEventInline]

    def has_add_permission(self, request):
        return False  # the drop-off page (admin:laundry:new_job) posts the sale to the ledger

    def get_readonly_fields(self, request, obj=None):
        closed = obj is not None and obj.status in (Job.Status.COLLECTED, Job.Status.CANCELLED)
        return self.fields if closed else [f for f in self.fields if f not in self.editable_fields]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if form.changed_data:
            JobEvent.objects.create(job=obj, kind=JobEvent.Kind.NOTE, at=timezone.now(), user=request.user,
                                    note=f"Edited: {', '.join(form.changed_data)}"[:200])

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        results, duplicates = super().get_search_results(request, queryset, search_term)
        number = services.parse_ticket(search_term) if search_term.upper().startswith("LT") else None
        if number:
            results |= queryset.filter(number=number)
        return results, duplicates

    def get_changelist(self, request, **kwargs):
        return JobChangeList

    @admin.display(description="Ticket", ordering="number")
    def ticket(self, job):
        return f"{job.ticket_number} · {job.customer_name or job.customer_phone}"


@admin.register(JobEvent)
class JobEventAdmin(ReadOnlyAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
    business_field = "job__business"
    list_display = ["at", "job", "summary", "user"]
    list_filter = ["kind"]
    list_select_related = ["job", "job__business", "user"]


@admin.register(OverdueDigest)
class OverdueDigestAdmin(ReadOnlyAdminMixin, BusinessScopedAdminMixin, ModelAdmin):
    list_display = ["day", "overdue", "uncollected"]

    @admin.display(description="Overdue")
    def overdue(self, digest):
        return len(digest.overdue_job_ids)

    @admin.display(description="Uncollected 7+ days")
    def uncollected(self, digest):
        return len(digest.uncollected_job_ids)
