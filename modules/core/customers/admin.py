from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline

from modules.core.businesses.admin_kit import HistoryAdminMixin
from modules.core.businesses.services import businesses_for
from modules.core.exports.admin_mixins import DeskExportMixin
from .phones import normalize_phone
from modules.core.registry.roles import business_codes_for

from .models import Customer, CustomerPhone


class PhoneForm(forms.ModelForm):
    class Meta:
        model = CustomerPhone
        fields = ["phone"]

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except ValidationError as error:
            raise ValidationError(error.messages) from None


class PhoneInline(TabularInline):
    model = CustomerPhone
    form = PhoneForm
    fields = ["phone"]
    extra = 1
    min_num = 1
    validate_min = True


@admin.register(Customer)
class CustomerAdmin(HistoryAdminMixin, DeskExportMixin, ModelAdmin):
    history_events = (("customers.CustomerEvent", "pgh_obj"), ("customers.CustomerPhoneEvent", "customer"))
    resource_classes = ["modules.core.customers.resources.CustomerResource"]
    phone_cards = True  # a card of two lines on a phone
    list_display = ["__str__", "phones_list", "credit_limit", "statement"]
    search_fields = ["name", "phones__phone"]
    fields = ["name", "businesses", "language", "sms_opt_out", "kra_pin", "credit_limit"]
    filter_horizontal = []
    inlines = [PhoneInline]

    @admin.display(description="Account")
    def statement(self, obj):
        return format_html('<a class="bs-tap inline-flex items-center text-primary-600" href="{}">Statement</a>',
                           reverse("admin:sales:statement", args=[obj.pk]))

    @admin.display(description="Phones")
    def phones_list(self, obj):
        return ", ".join(p.phone for p in obj.phones.all())

    def get_queryset(self, request):
        """Staff see the customers of their businesses; the owner and the accountant see all."""
        customers = super().get_queryset(request).prefetch_related("phones")
        if business_codes_for(request.user) is None:
            return customers
        return customers.filter(businesses__in=businesses_for(request.user)).distinct()

    def get_readonly_fields(self, request, obj=None):
        """The credit limit is the owner's decision (customers.set_credit_limit)."""
        return [] if request.user.has_perm("customers.set_credit_limit") else ["credit_limit"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "businesses":
            kwargs["queryset"] = businesses_for(request.user)
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        """Staff editing a customer never drop the businesses they cannot see."""
        hidden = set()
        if change and business_codes_for(request.user) is not None:
            visible = set(businesses_for(request.user).values_list("pk", flat=True))
            hidden = set(form.instance.businesses.exclude(pk__in=visible).values_list("pk", flat=True))
        super().save_related(request, form, formsets, change)
        if hidden:
            form.instance.businesses.add(*hidden)

    def has_delete_permission(self, request, obj=None):
        return False  # sales, jobs and payments point at customers: keep them for 7 years
