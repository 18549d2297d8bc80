"""What can be exported and imported: ``ExportSpec`` and ``ImportSpec`` declarations found in each
enabled module's resources.py. The desk knows no module: the module that owns the rows declares
both, beside each other.

A module (core or business) opts in by declaring, in ``<package>/resources.py``::

    EXPORTS = (
        ExportSpec("laundry.jobs", "Laundry jobs", "modules.laundry.resources.JobResource",
                   business_path="business", date_field="created_at"),
    )

Nothing else is needed: the desk (admin → Books → Exports) lists it for users who may view the
resource's model, scopes it by business and date, and streams it in the background when large.
A resources.py without ``EXPORTS`` still contributes each resource whose model has a ``business``
foreign key (dated by its first of created_at/date/…); resources of models that cannot be scoped
to a business are left out rather than shown to everybody.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.utils.module_loading import import_string

DATE_FIELDS = ("date", "created_at", "bill_date", "paid_on", "received_at", "issued_on")


@dataclass(frozen=True)
class ExportSpec:
    key: str  # unique, "<module>.<what>": "ledger.journal_lines"
    label: str  # what the accountant picks: "Journal lines (ledger)"
    resource: str  # dotted path of an import-export ModelResource (ideally a SafeModelResource)
    business_path: str | None = "business"  # ORM path to the Business FK; None: not business data
    date_field: str | None = None  # DateField or DateTimeField path used by the date filter
    background: bool = False  # always a background job (ledger exports)
    permission: str | None = None  # default: "<app>.view_<model>" of the resource's model
    order: int = 100

    @property
    def resource_class(self):
        return import_string(self.resource)

    @property
    def model(self):
        return self.resource_class._meta.model

    @property
    def required_permission(self) -> str:
        opts = self.model._meta
        return self.permission or f"{opts.app_label}.view_{opts.model_name}"


@dataclass(frozen=True)
class ImportSpec:
    key: str  # unique; in URLs and the export log ("import.<key>"): "items"
    label: str  # what the user picks: "Items and prices"
    resource: str  # dotted path of a modules.core.exports.imports.DeskImport subclass
    help: str = ""  # one sentence: what the import adds or changes
    export: str | None = None  # key of the ExportSpec whose file this import takes back
    order: int = 100

    @property
    def resource_class(self):
        return import_string(self.resource)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.resource_class.columns


def _guessed(module, package) -> list[ExportSpec]:
    """Specs for a resources.py that declares no EXPORTS: its business-scoped model resources."""
    from import_export.resources import ModelResource

    found = []
    for name, cls in vars(module).items():
        if not (inspect.isclass(cls) and issubclass(cls, ModelResource) and cls.__module__ == module.__name__):
            continue
        model = cls._meta.model
        if model is None:
            continue
        try:
            model._meta.get_field("business")
        except FieldDoesNotExist:
            continue
        names = {f.name for f in model._meta.get_fields()}
        date_field = next((d for d in DATE_FIELDS if d in names), None)
        label = str(model._meta.verbose_name_plural).capitalize()
        found.append(ExportSpec(f"{package.rsplit('.', 1)[-1]}.{model._meta.model_name}", label,
                                f"{module.__name__}.{name}", business_path="business", date_field=date_field,
                                order=500))
    return found


def _resources():
    """(package, its resources module) for each enabled package that has one."""
    for package in [*settings.BACKOFFICE_CORE, *settings.BACKOFFICE_MODULES]:
        try:
            yield package, importlib.import_module(f"{package}.resources")
        except ModuleNotFoundError as error:
            if error.name != f"{package}.resources":
                raise


def _unique(specs, what):
    keys = [s.key for s in specs]
    if len(keys) != len(set(keys)):
        raise ImproperlyConfigured(f"duplicate {what} keys in {keys}")
    return tuple(sorted(specs, key=lambda s: (s.order, s.label)))


@cache
def all_specs() -> tuple[ExportSpec, ...]:
    specs = []
    for package, module in _resources():
        declared = getattr(module, "EXPORTS", None)
        specs.extend(declared if declared is not None else _guessed(module, package))
    return _unique(specs, "export")


@cache
def all_imports() -> tuple[ImportSpec, ...]:
    return _unique([spec for _, module in _resources() for spec in getattr(module, "IMPORTS", ())], "import")


def import_spec(key: str) -> ImportSpec | None:
    return next((s for s in all_imports() if s.key == key), None)


def spec(key: str) -> ExportSpec | None:
    return next((s for s in all_specs() if s.key == key), None)


def spec_for_model(model) -> ExportSpec | None:
    return next((s for s in all_specs() if s.model is model), None)


def specs_for(user) -> list[ExportSpec]:
    return [s for s in all_specs() if user.has_perm(s.required_permission)]
