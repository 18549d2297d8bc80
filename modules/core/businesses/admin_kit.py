"""The admin kit: what every module's admin classes and admin pages are built from, once.

    from modules.core.businesses.admin_kit import (BigTableAdminMixin, BusinessScopedAdminMixin,
        ReadOnlyAdminMixin, ScopedChoicesMixin, ServiceAdminMixin, ServiceForm, admin_page, scoped_or_403)

Model admins:
* ``BusinessScopedAdminMixin`` (``scoping``): rows, object pages (another business's row: 403) and the
  business choices of the user's businesses only; ``ScopedChoicesMixin`` limits every other foreign
  key that belongs to a business the same way.
* ``ReadOnlyAdminMixin``: posted records are never added, changed or deleted in the admin.
* ``BigTableAdminMixin``: tables that grow without bound never count themselves exactly.
* ``ServiceForm`` + ``ServiceAdminMixin``: an add page whose saving is a service call; a refusal
  (any ``ValidationError``) shows on the form.
* ``GuardedFieldsAdminMixin``: fields the books depend on (prices, costs, stock rules) are read-only
  without the permission that guards them; a forged POST of them is ignored.
* ``HistoryAdminMixin``: the history page shows the object's recorded versions, old → new
  (``history.py``), to whoever may view its event model (owner, accountant).

Admin pages (a module's ``admin_urls``), declared as Unfold's custom pages are, by a title and the
permissions they need::

    @admin_page("Laundry board", permission="laundry.view_job", template="laundry/board.html")
    def board(request):
        business = scoped_or_403(request, enabled_businesses(), code="laundry")
        return {"columns": ...}
"""

from functools import wraps
from operator import attrgetter

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.http import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from modules.core.registry import registry
from .pagination import EstimatedCountPaginator

from .models import Business
from .scoping import BusinessScopedAdminMixin, ScopedChoicesMixin
from .services import can_see_business

__all__ = ["BigTableAdminMixin", "BusinessScopedAdminMixin", "GuardedFieldsAdminMixin", "HistoryAdminMixin",
           "ReadOnlyAdminMixin", "ScopedChoicesMixin", "ServiceAdminMixin", "ServiceForm", "admin_page", "may_see",
           "render_page", "scoped_or_403"]


# --- model admins ------------------------------------------------------------------------------

class ReadOnlyAdminMixin:
    """Posted records (money, stock, history) are never edited in the admin: their services post or
    reverse them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BigTableAdminMixin:
    """For changelists of tables that grow without bound (sales, stock movements, ledger, payments):
    an estimated count, no "show all" count, and a phone-sized page (the rows render as cards)."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 25


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
        except PermissionDenied as error:
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


class GuardedFieldsAdminMixin:
    """Fields the books depend on change only for users with ``guard_permission`` (the owner's;
    staff ask through a request the owner approves). For everyone else they are read-only fields:
    not in the form, so a POST that forges them changes nothing. ``guarded_on_add`` are guarded
    on the add page too (a new row takes their defaults); the others may be set once, on add."""

    guard_permission: str
    guarded_fields: tuple[str, ...] = ()
    guarded_on_add: tuple[str, ...] = ()

    def may_change_guarded(self, request) -> bool:
        return request.user.has_perm(self.guard_permission)

    def guarded(self, request, obj=None) -> tuple[str, ...]:
        """What this user may not set here (nothing for the owner)."""
        if self.may_change_guarded(request):
            return ()
        return self.guarded_fields if obj else self.guarded_on_add

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        # shown read-only when the model has it; a form-only field (a new row's cost) is left out
        return readonly + [f for f in self.guarded(request, obj) if f not in readonly and hasattr(self.model, f)]

    def get_fields(self, request, obj=None):
        guarded = self.guarded(request, obj)
        return [f for f in super().get_fields(request, obj) if f not in guarded or hasattr(self.model, f)]

    def get_form(self, request, obj=None, **kwargs):
        """A form's own declared fields stay in it even when read-only: take the guarded ones out."""
        form = super().get_form(request, obj, **kwargs)
        guarded = set(self.guarded(request, obj)) & set(form.base_fields)
        if not guarded:
            return form
        return type(form.__name__, (form,), {
            "base_fields": {name: field for name, field in form.base_fields.items() if name not in guarded}})


class HistoryAdminMixin:
    """The object's history page lists what changed, old → new, who changed it and where, from
    its event models (``history_events``: (event model label, the field that points at the
    object: ``pgh_obj`` for a snapshot, the link's side for a many-to-many)), above the admin log.
    Only users who may view an event model see its values."""

    object_history_template = "admin/field_history.html"
    history_events: tuple[tuple[str, str], ...] = ()

    def history_view(self, request, object_id, extra_context=None):
        from .history import changes

        obj = self.get_object(request, unquote(object_id))
        found = []
        if obj is not None and self.has_view_or_change_permission(request, obj):
            for label, by in self.history_events:
                model = apps.get_model(label)
                if request.user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}"):
                    found += changes(model, obj, by=by)
        found.sort(key=attrgetter("at"), reverse=True)
        return super().history_view(request, object_id, {**(extra_context or {}), "field_history": found})


# --- admin pages -------------------------------------------------------------------------------

def render_page(request, template, context, status: int = 200) -> TemplateResponse:
    """A page in the admin's layout (sidebar, header, messages): the admin site's context, then
    ``context``; ``status`` 400 re-shows a refused form."""
    return TemplateResponse(request, template, {**admin.site.each_context(request), **context}, status=status)


def admin_page(title: str = "", *, permission: str | tuple[str, ...] = (), template: str | None = None):
    """Declare a function view as an admin page: its ``title`` and the permissions it needs
    (``permission_required``, as Unfold's custom pages declare them). Without every permission the
    page answers 403. The view returns its template's context (a ``title`` there overrides the
    declared one, e.g. a receipt number) or a response of its own (a redirect, JSON, another page)."""
    permissions = (permission,) if isinstance(permission, str) else tuple(permission)

    def declare(view):
        @wraps(view)
        def page(request, *args, **kwargs):
            if not request.user.has_perms(permissions):
                raise PermissionDenied
            result = view(request, *args, **kwargs)
            if isinstance(result, HttpResponseBase):
                return result
            return render_page(request, template, {"title": title, **result})

        page.title, page.permission_required = title, permissions
        return page

    return declare


def may_see(user, business: Business) -> bool:
    """The business is enabled and active, and this user may see it (as ``businesses_for`` says)."""
    return (business.is_active and business.code in {b.code for b in registry.businesses()}
            and can_see_business(user, business.code))


def scoped_or_403(request, found, *permissions: str, business_field: str = "business", **lookup):
    """The object ``lookup`` finds in ``found`` (a model or a queryset; 404 when there is none; or
    ``found`` itself, an object already at hand), if the user holds every one of ``permissions``
    and may see the object's business (the object itself when it is a Business; else its
    ``business_field``, a path such as "item__business"). Otherwise PermissionDenied: another
    business's row answers 403, never quietly."""
    obj = found if isinstance(found, Model) else get_object_or_404(found, **lookup)
    business = obj if isinstance(obj, Business) else attrgetter(business_field.replace("__", "."))(obj)
    if not (request.user.has_perms(permissions) and may_see(request.user, business)):
        raise PermissionDenied
    return obj
