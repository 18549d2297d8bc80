"""Editing together without lost updates, for admin change forms.

``LiveEditingAdminMixin`` on a ModelAdmin whose model has an integer ``version`` field:

* presence: opening the form registers the user (presence.py); the page's live poll keeps it fresh
  and shows "Akinyi is editing this since 10:42" to the others;
* optimistic locking: the form carries the version it was opened at. Saving locks the row
  (the admin's change view runs in one transaction) and refuses a stale version with a message
  listing what changed meanwhile, keeping everything the user typed in the form.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F

from . import presence


class VersionedFormMixin:
    """Adds ``opened_version``: the record's version when the form was first shown (hidden, rendered
    by live/editing.html inside the admin form)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["opened_version"] = forms.IntegerField(widget=forms.HiddenInput, initial=self.instance.version)

    def clean(self):
        cleaned = super().clean()
        opened_at = cleaned.get("opened_version")
        if self.instance.pk is None or opened_at is None:
            return cleaned
        current = type(self.instance)._default_manager.select_for_update().get(pk=self.instance.pk)
        if current.version != opened_at:
            changed = [
                f"{field.verbose_name} is now “{field.value_to_string(current) or '—'}”"
                for field in type(self.instance)._meta.concrete_fields
                if field.name in self.initial and field.name != "version"
                and field.value_from_object(current) != self.initial[field.name]
            ]
            self.data = self.data.copy()  # the re-shown form now carries the new version
            self.data["opened_version"] = current.version
            detail = "; ".join(changed) if changed else "its status or payments"
            raise ValidationError(
                f"Someone saved this record after you opened it: {detail}. Your changes are still in the form; "
                f"check them against the new values, then save again.", code="stale")
        return cleaned


class LiveEditingAdminMixin:
    change_form_before_template = "live/editing.html"

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return form if obj is None else type(f"Versioned{form.__name__}", (VersionedFormMixin, form), {})

    def save_model(self, request, obj, form, change):
        if change:
            obj.version = F("version") + 1
        super().save_model(request, obj, form, change)
        if change:
            obj.refresh_from_db(fields=["version"])
            presence.leave(presence.key_for(obj), request.user)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            record = presence.key_for(obj)
            context["live_editing"] = {"record": record, "others": presence.refresh(record, request.user)}
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)
