"""History of master data (django-pghistory): every version of an item, a price, a cylinder type,
a customer, a role's permissions and a user's permissions, written by PostgreSQL triggers.

A model's app declares its event model once, next to the model::

    class ItemEvent(history_of(Item, exclude=["updated_at", "version"])):
        pass

and in its ``module.py`` declares the event model append-only (the app's database role may INSERT
events through the trigger, never UPDATE or DELETE them) and kept like the other records::

    append_only=("inventory.ItemEvent",), retention=(kept_for_the_audit("inventory.ItemEvent"),)

The admin shows the events, old → new, on the object's history page to whoever may view the event
model (``HistoryAdminMixin`` in the admin kit).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pghistory
from django.contrib.auth import get_user_model

from modules.core.registry.contract import Retention

# Records are kept 7 years (Kenya's Tax Procedures Act, like the ledger); history of master data too.
AUDIT_DAYS = 7 * 366
CENT = Decimal("0.01")


def history_of(model, *, exclude=(), fields=None, **kwargs):
    """The abstract event model of ``model``: a row on every insert, change of a kept field, and delete."""
    return pghistory.create_event_model(
        model, pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(),
        exclude=list(exclude), fields=fields, **kwargs)


def links_history(through):
    """The event model of a many-to-many link (a role's permissions, a user's groups): a row when
    a link is added and when it is removed. Links of third-party models (auth) are tracked through
    a proxy of the link table declared in one of our apps (modules/core/businesses/models.py)."""
    return pghistory.create_event_model(
        through, pghistory.InsertEvent("added"), pghistory.DeleteEvent("removed"), obj_field=None)


def kept_for_the_audit(event_model: str) -> Retention:
    return Retention(event_model, "pgh_created_at", days=AUDIT_DAYS)


def record_baseline(event_label: str):
    """A migration step: one "baseline" event per existing row of the event model's tracked model,
    so the first change after history starts still shows its old values."""

    def run(apps, schema_editor):
        event_model = apps.get_model(event_label)
        tracked = apps.get_model(event_model._meta.get_field("pgh_obj").related_model._meta.label)
        kept = [f.attname for f in event_model._meta.concrete_fields if not f.name.startswith("pgh_")]
        event_model.objects.bulk_create(
            event_model(pgh_label="baseline", pgh_obj_id=row.pk, **{name: getattr(row, name) for name in kept})
            for row in tracked._base_manager.all().iterator())

    return run


# --- reading it back: old → new, for the admin's history page ------------------------------------

@dataclass
class Change:
    """One recorded event of an object: when, by whom, what (created, changed, …) and the fields
    old → new (for a link: the thing added or removed)."""

    at: datetime
    who: str
    what: str
    fields: list[tuple[str, str, str]]  # (label, old, new)
    page: str = ""


def shown(event, field) -> str:
    value = getattr(event, field.attname)
    if value is None or value == "":
        return "—"
    if field.is_relation:
        return str(getattr(event, field.name, None) or value)
    if field.flatchoices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value == value.quantize(CENT) else f"{value.normalize():,f}"  # cost: 4 places
    return str(value)


def changes(event_model, obj, *, by: str = "pgh_obj", limit: int = 200) -> list[Change]:
    """The events of ``obj`` in ``event_model``, newest first. Snapshot events (``by="pgh_obj"``)
    show the fields that differ from the version before; events of links and parts that point at
    ``obj`` by another field (a role's permission, ``by="group"``) show what was added or removed."""
    events = list(event_model.objects.filter(**{f"{by}_id" if by == "pgh_obj" else by: obj.pk})
                  .order_by("-pgh_id")[:limit + 1])[::-1]
    kept = [f for f in event_model._meta.concrete_fields if not f.name.startswith("pgh_")]
    users = dict(get_user_model().objects.filter(
        pk__in={e.pgh_context.get("user") for e in events if e.pgh_context}).values_list("pk", "username"))
    found, before = [], None
    for event in events:
        context = event.pgh_context or {}
        who = users.get(context.get("user"), "") if context.get("user") else ""
        if by != "pgh_obj":  # a link (a role's permission) or a part (a customer's phone): what it was
            fields = [(str(f.verbose_name), "", shown(event, f)) for f in kept if f.name not in (by, "id")]
            label = {"insert": "added", "delete": "removed", "update": "changed to"}.get(event.pgh_label, event.pgh_label)
            found.append(Change(event.pgh_created_at, who or "system", label, fields, context.get("url", "")))
            continue
        if event.pgh_label == "baseline":  # the values when history started (record_baseline)
            before = event
            continue
        if before is None:
            fields = [(str(f.verbose_name), "—", shown(event, f)) for f in kept
                      if event.pgh_label == "insert" and f.name != "id"]
        else:
            fields = [(str(f.verbose_name), shown(before, f), shown(event, f)) for f in kept
                      if getattr(before, f.attname) != getattr(event, f.attname)]
        label = {"insert": "created", "update": "changed", "delete": "deleted"}.get(event.pgh_label, event.pgh_label)
        if before is not None or event.pgh_label != "update":
            found.append(Change(event.pgh_created_at, who or "system", label, fields, context.get("url", "")))
        before = event
    return found[::-1][:limit]
