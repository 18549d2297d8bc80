"""Editing together without lost updates, for admin change forms.

``LiveEditingAdminMixin`` on a ModelAdmin whose model has an integer ``version`` field:

* presence: opening the form registers the user (presence.py); the page's live poll keeps it fresh
  and shows "Akinyi is editing this since 10:42" to the others;
* optimistic locking: the form carries the version it was opened at. Saving locks the row
  (the admin's change view runs in one transaction) and refuses a stale version with a message
  listing what changed meanwhile, keeping everything the user typed in the form.
"""

import json
from datetime import datetime
from datetime import timezone as dt_timezone

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F

from . import presence


class VersionedFormMixin:
    """Carries the record's version and values as they were when the form was first shown (hidden,
    rendered by live/editing.html inside the admin form). A stale save is refused: fields someone
    else changed that this user left alone take the saved value, fields this user changed keep what
    they typed, and the message names what the other person changed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            opened = {name: _plain(getattr(self.instance, name)) for name in self._model_fields()}
            self.fields["opened_version"] = forms.IntegerField(widget=forms.HiddenInput, initial=self.instance.version,
                                                               required=False)  # absent: no check (scripts)
            self.fields["opened_values"] = forms.CharField(widget=forms.HiddenInput, required=False,
                                                           initial=json.dumps(opened))

    def _model_fields(self):
        names = {f.name for f in self._meta.model._meta.concrete_fields} - {"version"}
        return [name for name in self.fields if name in names]

    def clean(self):
        cleaned = super().clean()
        opened_at = cleaned.get("opened_version")
        if self.instance.pk is None or opened_at is None:
            return cleaned
        current = type(self.instance)._default_manager.select_for_update().get(pk=self.instance.pk)
        if current.version == opened_at:
            return cleaned
        try:
            opened = json.loads(cleaned.get("opened_values") or "{}")
        except ValueError:
            opened = {}
        self.data = self.data.copy()  # the re-shown form carries the new version and values
        self.data[self.add_prefix("opened_version")] = current.version
        theirs, now = [], {}
        for name in self._model_fields():
            saved = getattr(current, name)
            now[name] = _plain(saved)
            if name in opened and now[name] != opened[name]:
                field = self._meta.model._meta.get_field(name)
                theirs.append(f"{field.verbose_name} is now “{field.value_to_string(current) or '—'}”")
                if name in cleaned and _plain(cleaned[name]) == opened[name]:  # left alone here
                    self._put(name, saved)
        self.data[self.add_prefix("opened_values")] = json.dumps(now)
        detail = "; ".join(theirs) if theirs else "its status or payments changed"
        raise ValidationError(f"Someone saved this record after you opened it: {detail}. What you typed is still "
                              f"in the form: check it, then save again.", code="stale")

    def _put(self, name, value):
        widget, key = self.fields[name].widget, self.add_prefix(name)
        if isinstance(widget, forms.MultiWidget):
            for suffix, sub, part in zip(widget.widgets_names, widget.widgets, widget.decompress(value)):
                self.data[key + suffix] = sub.format_value(part) or ""
        else:
            self.data[key] = widget.format_value(value) or ""


def _plain(value) -> str:
    """A comparable text form of a field value (datetimes in UTC to the second, as forms carry
    them; None as empty)."""
    if isinstance(value, datetime):
        value = value.astimezone(dt_timezone.utc).replace(microsecond=0)
    return "" if value is None else str(value)


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
            context["live_editing"] = {"record": record, "token": presence.token_for(record, request.user),
                                       "others": presence.refresh(record, request.user)}
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)
