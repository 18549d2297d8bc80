"""Export from a changelist (django-import-export + Unfold's forms), safe and audited.

Add ``DeskExportMixin`` first in a core ModelAdmin's bases and ``resource_classes``. The export
button exports what the list shows (its filters and the user's business scope) as CSV or XLSX;
cells are made inert by ``safety``; every export is recorded as an ExportJob (mode "admin").
Ledger lists, and any list above EXPORTS_INLINE_MAX_ROWS rows, are sent to the desk instead,
where the export runs as a background job.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.module_loading import import_string
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX
from unfold.contrib.import_export.forms import ExportForm

from . import services
from .models import ExportJob
from .safety import inert_row
from .specs import spec_for_model


class DeskExportMixin(ExportMixin):
    export_form_class = ExportForm
    formats = [CSV, XLSX]
    import_export_change_list_template = "exports/admin/change_list_export.html"
    export_template_name = "exports/admin/export.html"

    def get_resource_classes(self, request):
        """``resource_classes`` may be dotted paths (keeps the admins' imports light)."""
        return [import_string(c) if isinstance(c, str) else c for c in self.resource_classes]

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def export_action(self, request):
        if not self.has_export_permission(request):
            raise PermissionDenied
        spec = spec_for_model(self.model)
        if request.method == "POST" and spec is not None:
            queryset = self.get_export_queryset(request)
            if services.is_large(spec, queryset):
                messages.info(request, "This export is large: it is prepared in the background. "
                                       "Choose the dates and press Export.")
                return redirect(f"{reverse('admin:exports:desk')}?kind={spec.key}")
        return super().export_action(request)

    def get_data_for_export(self, request, queryset, **kwargs):
        dataset = super().get_data_for_export(request, queryset, **kwargs)
        # Resources that are not SafeModelResource still get inert cells here.
        for index in range(len(dataset)):
            dataset[index] = tuple(inert_row(dataset[index]))
        return dataset

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        spec = spec_for_model(self.model)
        opts = self.model._meta
        services.record(request.user, kind=spec.key if spec else f"{opts.app_label}.{opts.model_name}",
                        label=f"{opts.verbose_name_plural} (admin list)".capitalize(),
                        file_format=file_format.get_extension(), mode=ExportJob.Mode.ADMIN,
                        filters={k: v for k, v in request.GET.items()}, rows=queryset.count())
        return data
