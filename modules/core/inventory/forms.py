"""Admin helpers shared by the stock and purchasing screens."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from modules.core.businesses.models import Business
from modules.core.businesses.services import businesses_for
from modules.core.ledger.services import LedgerError

from .services import OutOfStock


class ScopedChoicesMixin:
    """Foreign-key choices of any model that has a ``business`` are limited to the user's businesses
    (BusinessScopedAdminMixin only limits the ``business`` field itself)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        model = db_field.related_model
        if model is not Business and any(f.name == "business" for f in model._meta.fields):
            kwargs.setdefault("queryset", model._default_manager.filter(business__in=businesses_for(request.user)))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ServiceForm(forms.ModelForm):
    """An add form whose saving is a service call (transfer_stock, pay_supplier, …).

    The service runs once the form and model validation pass, inside the admin's own transaction,
    so a refusal ("Only 2 … left", the ledger's "Cash would go below zero …") shows on the form
    instead of a server error. ServiceAdminMixin.save_model then has nothing left to save.
    """

    user = None  # set by ServiceAdminMixin.get_form

    def perform(self, data):
        """Call the service with the cleaned data; return the instance it saved."""
        raise NotImplementedError

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            with transaction.atomic():
                self.instance = self.perform(self.cleaned_data)
        except ValidationError as error:
            self.add_error(None, error.messages)
        except (LedgerError, OutOfStock, PermissionDenied) as error:
            self.add_error(None, str(error) or "You may not do this.")


class ServiceAdminMixin:
    """Uses ``add_form`` (a ServiceForm) on the add page; the service has already saved the row."""

    add_form: type[ServiceForm]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        return form

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
