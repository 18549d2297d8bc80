"""Business scoping for admin classes: querysets, object access and form choices.

A staff member sees only their business's rows; a row of another business answers 403,
not a quiet redirect. Owners and accountants (roles with sees_all_businesses) see all.
Admin classes take these from the admin kit (``admin_kit``), with the kit's other mixins.
"""

from django.core.exceptions import PermissionDenied, ValidationError

from .models import Business
from .services import businesses_for


class BusinessScopedAdminMixin:
    business_field = "business"

    def scope(self, request, queryset):
        # A literal id list, not a subquery: PostgreSQL then estimates the rows from the big table's
        # own statistics, which the estimated-count paginator relies on (the tiny businesses table
        # is never analyzed, so a semi-join on it is estimated at a few hundred rows).
        if not hasattr(request, "_business_ids"):
            request._business_ids = list(businesses_for(request.user).values_list("pk", flat=True))
        return queryset.filter(**{f"{self.business_field}__in": request._business_ids})

    def get_queryset(self, request):
        return self.scope(request, super().get_queryset(request))

    def lookup_allowed(self, lookup, value, request):
        """Modules know their business by code, so their menu links filter by it
        (?business__code__exact=water); the queryset stays scoped whatever the code."""
        return lookup == f"{self.business_field}__code__exact" or super().lookup_allowed(lookup, value, request)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            field = self.model._meta.get_field(from_field) if from_field else self.model._meta.pk
            try:
                value = field.to_python(object_id)
            except (ValidationError, ValueError):
                return None
            if super().get_queryset(request).filter(**{field.name: value}).exists():
                raise PermissionDenied
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == self.business_field:
            kwargs["queryset"] = businesses_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedChoicesMixin:
    """Foreign-key choices of any model that has a ``business`` are limited to the user's businesses
    (BusinessScopedAdminMixin only limits the ``business`` field itself)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        model = db_field.related_model
        if model is not Business and any(f.name == "business" for f in model._meta.fields):
            kwargs.setdefault("queryset", model._default_manager.filter(business__in=businesses_for(request.user)))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
